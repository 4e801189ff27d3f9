package compat

import (
	"strconv"
	"strings"
)

// LOG: -j LOG (struct xt_log_info, 32 bytes): u8 level @0, u8 logflags @1,
// char prefix[30] @2. The prefix is cut to 29 bytes, as iptables does.

const (
	logDefaultLevel = 4
	logPrefixOff    = 2
	logPrefixSize   = 30
)

var logFlags = []struct {
	opt string
	bit byte
}{
	{"log-tcp-sequence", 0x01},
	{"log-tcp-options", 0x02},
	{"log-ip-options", 0x04},
	{"log-uid", 0x08},
	{"log-macdecode", 0x20},
}

// logLevelNames are the level names iptables -L shows.
var logLevelNames = [8]string{"emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"}

var syslogLevels = map[string]byte{
	"emerg": 0, "panic": 0, "alert": 1, "crit": 2, "error": 3, "err": 3,
	"warning": 4, "warn": 4, "notice": 5, "info": 6, "debug": 7,
}

func init() {
	opts := []Option{
		{Name: "log-level", Args: 1, ID: -1},
		{Name: "log-prefix", Args: 1, ID: -2},
	}
	for i, f := range logFlags {
		opts = append(opts, Option{Name: f.opt, ID: i})
	}
	Register(&Extension{
		Name: "LOG", Target: true, Revision: 0, Size: 32,
		Options: opts,
		Init:    func(info []byte, _ *ParseContext) { info[0] = logDefaultLevel },
		LegacyParse: func(info []byte, opt *Option, args []string, _ bool, _ *ParseContext) error {
			switch opt.ID {
			case -1:
				lvl, err := parseSyslogLevel(args[0])
				if err != nil {
					return err
				}
				info[0] = lvl
			case -2:
				p := args[0]
				if p == "" {
					return badSpec("--log-prefix", "LOG: \"--log-prefix\" requires a non-empty argument")
				}
				if strings.ContainsRune(p, '\n') {
					return badSpec(p, "Newlines not allowed in --log-prefix")
				}
				putCString(info[logPrefixOff:logPrefixOff+logPrefixSize], p)
			default:
				info[1] |= logFlags[opt.ID].bit
			}
			return nil
		},
		Print: func(info []byte, w *Writer) {
			if w.Numeric() {
				w.WriteString(" LOG flags " + strconv.Itoa(int(info[1])) + " level " + strconv.Itoa(int(info[0])))
			} else {
				if info[0] < 8 {
					w.WriteString(" LOG level " + logLevelNames[info[0]])
				} else {
					w.WriteString(" LOG UNKNOWN level " + strconv.Itoa(int(info[0])))
				}
				for _, f := range logFlags {
					if info[1]&f.bit != 0 {
						w.WriteString(" " + strings.TrimPrefix(f.opt, "log-"))
					}
				}
			}
			if p := cString(info[logPrefixOff : logPrefixOff+logPrefixSize]); p != "" {
				w.WriteString(" prefix \"" + p + "\"")
			}
		},
		Save: func(info []byte, w *Writer) {
			if p := cString(info[logPrefixOff : logPrefixOff+logPrefixSize]); p != "" {
				w.Opt(false, "log-prefix")
				w.Quoted(p)
			}
			if info[0] != logDefaultLevel {
				w.Opt(false, "log-level", strconv.Itoa(int(info[0])))
			}
			for _, f := range logFlags {
				if info[1]&f.bit != 0 {
					w.Opt(false, f.opt)
				}
			}
		},
	})
}

func parseSyslogLevel(s string) (byte, error) {
	if v, ok := parseUint(s, 0, 7); ok {
		return byte(v), nil
	}
	if v, ok := syslogLevels[strings.ToLower(s)]; ok {
		return v, nil
	}
	return 0, badSpec(s, "log level \"%s\" unknown", s)
}
