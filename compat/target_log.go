package compat

import (
	"strconv"
	"strings"
)

// LOG: -j LOG (struct xt_log_info, 32 bytes): u8 level, u8 logflags, char
// prefix[30]. The prefix is cut to 29 bytes, as iptables does.

type logInfo struct {
	level, logflags uint8
	prefix          [30]byte
}

func (l *logInfo) unmarshal(b []byte) {
	l.level, l.logflags = b[0], b[1]
	copy(l.prefix[:], b[2:32])
}

func (l *logInfo) marshal(b []byte) {
	b[0], b[1] = l.level, l.logflags
	copy(b[2:32], l.prefix[:])
}

const logDefaultLevel = 4

// logFlags are the flag options, IDs logOptFlags and on.
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

const (
	logOptLevel = iota
	logOptPrefix
	logOptFlags
)

// logLevelNames are the level names iptables -L shows.
var logLevelNames = [8]string{"emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"}

var syslogLevels = map[string]byte{
	"emerg": 0, "panic": 0, "alert": 1, "crit": 2, "error": 3, "err": 3,
	"warning": 4, "warn": 4, "notice": 5, "info": 6, "debug": 7,
}

func init() {
	opts := []Option{
		{Name: "log-level", ID: logOptLevel, Type: TypeString},
		{Name: "log-prefix", ID: logOptPrefix, Type: TypeString},
	}
	for i, f := range logFlags {
		opts = append(opts, Option{Name: f.opt, ID: logOptFlags + i})
	}
	Register(&Extension{
		Name: "LOG", Target: true, Revision: 0, Size: 32,
		Options: opts,
		Init: func(info []byte, _ *ParseContext) {
			l := logInfo{level: logDefaultLevel}
			l.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error {
			var l logInfo
			l.unmarshal(info)
			switch c.Option.ID {
			case logOptLevel:
				lvl, err := parseSyslogLevel(c.Arg())
				if err != nil {
					return err
				}
				l.level = lvl
			case logOptPrefix:
				p := c.Arg()
				if p == "" {
					return badSpec("--log-prefix", "LOG: \"--log-prefix\" requires a non-empty argument")
				}
				if strings.ContainsRune(p, '\n') {
					return badSpec(p, "Newlines not allowed in --log-prefix")
				}
				putCString(l.prefix[:], p)
			default:
				l.logflags |= logFlags[c.Option.ID-logOptFlags].bit
			}
			l.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var l logInfo
			l.unmarshal(info)
			if w.Numeric() {
				w.WriteString(" LOG flags " + strconv.Itoa(int(l.logflags)) + " level " + strconv.Itoa(int(l.level)))
			} else {
				if l.level < 8 {
					w.WriteString(" LOG level " + logLevelNames[l.level])
				} else {
					w.WriteString(" LOG UNKNOWN level " + strconv.Itoa(int(l.level)))
				}
				for _, f := range logFlags {
					if l.logflags&f.bit != 0 {
						w.WriteString(" " + strings.TrimPrefix(f.opt, "log-"))
					}
				}
			}
			if p := cString(l.prefix[:]); p != "" {
				w.WriteString(" prefix \"" + p + "\"")
			}
		},
		Save: func(info []byte, w *Writer) {
			var l logInfo
			l.unmarshal(info)
			if p := cString(l.prefix[:]); p != "" {
				w.Opt(false, "log-prefix")
				w.Quoted(p)
			}
			if l.level != logDefaultLevel {
				w.Opt(false, "log-level", strconv.Itoa(int(l.level)))
			}
			for _, f := range logFlags {
				if l.logflags&f.bit != 0 {
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
