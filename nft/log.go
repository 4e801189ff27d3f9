package nft

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// logStmt is log [prefix S] [group N] [snaplen N] [queue-threshold N]
// [level L] [flags F] (statement.c's log_stmt).
type logStmt struct {
	srcSpan
	prefix    string
	hasPrefix bool
	level     int
	hasLevel  bool
	group     int
	hasGroup  bool
	snaplen   int
	hasSnap   bool
	qthresh   int
	hasQT     bool
	flags     uint32
}

// Log flags (NF_LOG_*).
const (
	logTCPSeq    = 0x01
	logTCPOpt    = 0x02
	logIPOpt     = 0x04
	logUID       = 0x08
	logMACDecode = 0x20
	logMask      = 0x2f
	logAudit     = 8 // NFT_LOGLEVEL_AUDIT
	logWarn      = 4
)

var logLevels = map[string]int{"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warn": 4, "notice": 5, "info": 6, "debug": 7, "audit": 8}

func init() {
	stmtParsers["log"] = func(p *parser, t token) Stmt {
		p.i++
		s := &logStmt{srcSpan: srcSpan{t.pos, t.end}}
		for {
			switch {
			case p.acceptWord("prefix"):
				s.prefix, s.hasPrefix = p.stringArg(), true
			case p.acceptWord("level"):
				lt := p.peek()
				l, ok := logLevels[p.name()]
				if !ok {
					p.errorf(srcSpan{lt.pos, lt.end}, "invalid log level")
				}
				s.level, s.hasLevel = l, true
			case p.acceptWord("group"):
				s.group, s.hasGroup = int(p.number()), true
			case p.acceptWord("snaplen"):
				s.snaplen, s.hasSnap = int(p.number()), true
			case p.acceptWord("queue-threshold"):
				s.qthresh, s.hasQT = int(p.number()), true
			case p.acceptWord("flags"):
				s.flags |= p.logFlags()
			default:
				return s
			}
		}
	}
}

// logFlags reads what follows one "flags": tcp sequence,options, ip
// options, skuid, ether or all.
func (p *parser) logFlags() uint32 {
	n := p.next()
	switch n.text {
	case "tcp":
		var f uint32
		for {
			o := p.next()
			switch o.text {
			case "sequence":
				f |= logTCPSeq
			case "options":
				f |= logTCPOpt
			default:
				p.unexpected(o)
			}
			if !p.acceptPunct(",") {
				return f
			}
		}
	case "ip":
		p.expectWord("options")
		return logIPOpt
	case "skuid":
		return logUID
	case "ether":
		return logMACDecode
	case "all":
		return logMask
	}
	p.unexpected(n)
	return 0
}

func (s *logStmt) compile(r *ruleCtx) error {
	if s.hasGroup || s.hasSnap || s.hasQT {
		if s.hasLevel {
			return r.cc.errAt(s.srcSpan, "level and group are mutually exclusive")
		}
		if s.flags != 0 {
			return r.cc.errAt(s.srcSpan, "flags and group are mutually exclusive")
		}
	}
	if s.hasLevel && s.level == logAudit && (s.hasPrefix || s.hasGroup || s.hasSnap || s.hasQT || s.flags != 0) {
		return r.cc.errAt(s.srcSpan, "log level audit doesn't support any further options")
	}
	var a attrBuf
	if s.hasPrefix {
		a.str(unix.NFTA_LOG_PREFIX, s.prefix)
	}
	if s.hasGroup {
		a.raw(unix.NFTA_LOG_GROUP, []byte{byte(s.group >> 8), byte(s.group)})
	}
	if s.hasSnap {
		a.u32(unix.NFTA_LOG_SNAPLEN, uint32(s.snaplen))
	}
	if s.hasQT {
		a.raw(unix.NFTA_LOG_QTHRESHOLD, []byte{byte(s.qthresh >> 8), byte(s.qthresh)})
	}
	if s.hasLevel {
		a.u32(unix.NFTA_LOG_LEVEL, uint32(s.level))
	}
	if s.flags != 0 {
		a.u32(unix.NFTA_LOG_FLAGS, s.flags)
	}
	r.emit("log", &a)
	return nil
}

func logText(a attrMap) string {
	s := "log"
	if a.has(unix.NFTA_LOG_PREFIX) {
		s += ` prefix "` + a.str(unix.NFTA_LOG_PREFIX) + `"` // as written, not escaped
	}
	if a.has(unix.NFTA_LOG_GROUP) {
		g := a[unix.NFTA_LOG_GROUP]
		s += fmt.Sprintf(" group %d", int(g[0])<<8|int(g[1]))
	}
	if a.has(unix.NFTA_LOG_SNAPLEN) {
		s += fmt.Sprintf(" snaplen %d", a.u32(unix.NFTA_LOG_SNAPLEN))
	}
	if a.has(unix.NFTA_LOG_QTHRESHOLD) {
		g := a[unix.NFTA_LOG_QTHRESHOLD]
		s += fmt.Sprintf(" queue-threshold %d", int(g[0])<<8|int(g[1]))
	}
	if a.has(unix.NFTA_LOG_LEVEL) {
		if lv := a.u32(unix.NFTA_LOG_LEVEL); lv != logWarn {
			for name, v := range logLevels {
				if uint32(v) == lv {
					s += " level " + name
				}
			}
		}
	}
	f := a.u32(unix.NFTA_LOG_FLAGS)
	if f&logMask == logMask {
		return s + " flags all"
	}
	if f&(logTCPSeq|logTCPOpt) != 0 {
		s += " flags tcp"
		delim := " "
		if f&logTCPSeq != 0 {
			s += " sequence"
			delim = ","
		}
		if f&logTCPOpt != 0 {
			s += delim + "options"
		}
	}
	if f&logIPOpt != 0 {
		s += " flags ip options"
	}
	if f&logUID != 0 {
		s += " flags skuid"
	}
	if f&logMACDecode != 0 {
		s += " flags ether"
	}
	return s
}
