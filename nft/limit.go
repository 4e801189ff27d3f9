package nft

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// limitStmt is limit rate [over] N/unit [burst N packets], or its byte
// form limit rate [over] N kbytes/unit [burst N kbytes] (statement.c's
// limit_stmt): a token bucket the kernel keeps per rule.
type limitStmt struct {
	srcSpan
	rate  uint64 // packets or bytes per unit
	unit  uint64 // seconds
	burst uint64
	bytes bool
	over  bool
}

func init() {
	stmtParsers["limit"] = func(p *parser, t token) Stmt {
		p.i++
		if p.isWord("name") {
			return p.objrefStmt(t, objLimit)
		}
		s := &limitStmt{srcSpan: srcSpan{t.pos, t.end}}
		p.expectWord("rate")
		if p.acceptWord("over") {
			s.over = true
		} else {
			p.acceptWord("until")
		}
		s.rate = p.number()
		switch n := p.peek(); {
		case n.kind == tPunct && n.text == "/":
			p.i++
			s.unit = p.timeUnit()
			s.burst = 5
			if p.acceptWord("burst") {
				s.burst = p.number()
				p.expectWord("packets")
				if s.burst == 0 {
					p.errorf(p.spanFrom(t), "limit burst must be > 0")
				}
			}
		case n.kind == tWord && strings.Contains(n.text, "/"):
			// nft's scanner reads kbytes/second as one string.
			p.i++
			unit, per, _ := strings.Cut(n.text, "/")
			mult, ok := dataUnit(unit)
			u, uok := timeUnits[per]
			if !ok || !uok {
				p.errorf(p.spanFrom(t), "Wrong rate format")
			}
			s.rate *= mult
			s.unit, s.bytes = u, true
		case n.kind == tWord:
			p.i++
			mult, ok := dataUnit(n.text)
			if !ok || !p.isPunct("/") {
				p.errorf(p.spanFrom(t), "Wrong rate format")
			}
			p.i++
			s.rate *= mult
			s.unit, s.bytes = p.timeUnit(), true
		default:
			p.unexpected(n)
		}
		if s.bytes && p.acceptWord("burst") {
			s.burst = p.number() * p.dataUnitArg(t)
		}
		s.end = p.toks[p.i-1].end
		return s
	}
}

// spanFrom is the span from t to the last token read.
func (p *parser) spanFrom(t token) srcSpan {
	s := srcSpan{t.pos, t.end}
	if last := p.toks[p.i-1]; last.pos.Line == t.pos.Line {
		s.end = last.end
	}
	return s
}

var timeUnits = map[string]uint64{"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}

// timeUnit reads second, minute, hour, day or week.
func (p *parser) timeUnit() uint64 {
	n := p.next()
	u, ok := timeUnits[n.text]
	if n.kind != tWord || !ok {
		p.unexpected(n)
	}
	return u
}

// dataUnit is the multiplier of bytes, kbytes or mbytes; nft compares
// only the unit's length of the word (data_unit_parse).
func dataUnit(s string) (uint64, bool) {
	switch {
	case strings.HasPrefix(s, "bytes"):
		return 1, true
	case strings.HasPrefix(s, "kbytes"):
		return 1024, true
	case strings.HasPrefix(s, "mbytes"):
		return 1024 * 1024, true
	}
	return 0, false
}

// dataUnitArg reads a byte unit word after a number; stmt is where the
// statement started, for the error.
func (p *parser) dataUnitArg(stmt token) uint64 {
	n := p.next()
	if n.kind != tWord {
		p.unexpected(n)
	}
	m, ok := dataUnit(n.text)
	if !ok {
		p.errorf(p.spanFrom(stmt), "Wrong rate format")
	}
	return m
}

func (s *limitStmt) compile(r *ruleCtx) error {
	var a attrBuf
	a.u64(unix.NFTA_LIMIT_RATE, s.rate)
	a.u64(unix.NFTA_LIMIT_UNIT, s.unit)
	a.u32(unix.NFTA_LIMIT_BURST, uint32(s.burst))
	typ := uint32(unix.NFT_LIMIT_PKTS)
	if s.bytes {
		typ = unix.NFT_LIMIT_PKT_BYTES
	}
	a.u32(unix.NFTA_LIMIT_TYPE, typ)
	var flags uint32
	if s.over {
		flags = unix.NFT_LIMIT_F_INV
	}
	a.u32(unix.NFTA_LIMIT_FLAGS, flags)
	r.emit("limit", &a)
	return nil
}

// byteRate prints a byte count in the largest unit dividing it
// (statement.c's get_rate).
func byteRate(n uint64) string {
	units := []string{"bytes", "kbytes", "mbytes"}
	i := 0
	for n != 0 && i < len(units)-1 && n%1024 == 0 {
		n /= 1024
		i++
	}
	return fmt.Sprintf("%d %s", n, units[i])
}

func unitName(u uint64) string {
	for name, v := range timeUnits {
		if v == u {
			return name
		}
	}
	return "error"
}

func limitText(a attrMap) string {
	rate, unit, burst := a.u64(unix.NFTA_LIMIT_RATE), a.u64(unix.NFTA_LIMIT_UNIT), a.u32(unix.NFTA_LIMIT_BURST)
	over := ""
	if a.u32(unix.NFTA_LIMIT_FLAGS)&unix.NFT_LIMIT_F_INV != 0 {
		over = "over "
	}
	if a.u32(unix.NFTA_LIMIT_TYPE) == unix.NFT_LIMIT_PKT_BYTES {
		s := fmt.Sprintf("limit rate %s%s/%s", over, byteRate(rate), unitName(unit))
		if burst != 0 && burst != 5 {
			s += " burst " + byteRate(uint64(burst))
		}
		return s
	}
	s := fmt.Sprintf("limit rate %s%d/%s", over, rate, unitName(unit))
	if burst != 0 && burst != 5 {
		s += fmt.Sprintf(" burst %d packets", burst)
	}
	return s
}
