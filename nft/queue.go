package nft

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// queueStmt is queue [num N[-M]] [bypass] [fanout], or queue [flags
// bypass,fanout] to EXPR (statement.c's queue_stmt): the packet goes to
// a userspace queue, a constant one or one computed per packet.
type queueStmt struct {
	srcSpan
	num   Expr // nil: queue 0
	flags uint16
}

// Queue attributes (NFTA_QUEUE_*) and flags (NFT_QUEUE_FLAG_*).
const (
	nftaQueueNum     = 1
	nftaQueueTotal   = 2
	nftaQueueFlags   = 3
	nftaQueueSregQ   = 4
	queueFlagBypass  = 0x1
	queueFlagFanout  = 0x2
	queueMaxQueueNum = 0xffff
)

func init() {
	stmtParsers["queue"] = func(p *parser, t token) Stmt {
		p.i++
		s := &queueStmt{srcSpan: srcSpan{t.pos, t.end}}
		switch {
		case p.acceptWord("to"):
			s.num = p.queueExpr(true)
		case p.acceptWord("flags"):
			s.flags = p.queueFlags()
			switch {
			case p.acceptWord("to"):
				s.num = p.queueExpr(true)
			case p.acceptWord("num"):
				s.num = p.queueExpr(false)
			default:
				p.unexpected(p.peek())
			}
		default:
			// the older form: num and flags in any order
			for {
				switch {
				case p.acceptWord("num"):
					s.num = p.queueExpr(false)
				case p.isWord("bypass") || p.isWord("fanout"):
					s.flags |= p.queueFlags()
				default:
					s.end = p.toks[p.i-1].end
					return s
				}
			}
		}
		s.end = p.toks[p.i-1].end
		return s
	}
	exprPrinters["queue"] = func(d *delin, a attrMap) {
		s := "queue"
		f := be16(a[nftaQueueFlags])
		var fl []string
		if f&queueFlagBypass != 0 {
			fl = append(fl, "bypass")
		}
		if f&queueFlagFanout != 0 {
			fl = append(fl, "fanout")
		}
		if len(fl) > 0 {
			s += " flags " + strings.Join(fl, ",")
		}
		if a.has(nftaQueueSregQ) {
			rv := d.regs[a.u32(nftaQueueSregQ)]
			switch {
			case rv == nil:
				s += " to <?>"
			case rv.expr != "":
				s += " to " + rv.expr
			case rv.str != "":
				s += " to " + rv.str
			case rv.sel != nil:
				s += " to " + selText(rv.sel)
			}
			d.add(s)
			return
		}
		num, total := be16(a[nftaQueueNum]), be16(a[nftaQueueTotal])
		if total > 1 {
			s += fmt.Sprintf(" to %d-%d", num, int(num)+int(total)-1)
		} else {
			s += fmt.Sprintf(" to %d", num)
		}
		d.add(s)
	}
}

// queueExpr reads a queue number or range; after "to" also a hash,
// numgen or map expression.
func (p *parser) queueExpr(full bool) Expr {
	if full {
		return p.mapValue(p.rhsConcat()) // map.go
	}
	t := p.peek()
	if t.kind != tNum && t.kind != tVar {
		p.unexpected(t)
	}
	return p.rhsPrimary()
}

func (p *parser) queueFlags() uint16 {
	var f uint16
	for {
		n := p.next()
		switch {
		case n.kind == tWord && n.text == "bypass":
			f |= queueFlagBypass
		case n.kind == tWord && n.text == "fanout":
			f |= queueFlagFanout
		default:
			p.unexpected(n)
		}
		if !p.acceptPunct(",") {
			return f
		}
	}
}

var queueNumType = &lhsInfo{dt: dtInteger, bits: 16, order: orderHost, lenBytes: 2}

func (s *queueStmt) compile(r *ruleCtx) error {
	var a attrBuf
	num, total := uint16(0), uint16(1)
	switch x := s.num.(type) {
	case nil:
	case *rangeExpr:
		lo, err := r.constValue(x.lo, queueNumType)
		if err != nil {
			return err
		}
		hi, err := r.constValue(x.hi, queueNumType)
		if err != nil {
			return err
		}
		l, h := binary.BigEndian.Uint16(lo), binary.BigEndian.Uint16(hi)
		if l > h {
			return r.cc.errAt(x.srcSpan, "Range has zero or negative size")
		}
		num, total = l, h-l+1
	case *symbolExpr, *valueExpr:
		v, err := r.constValue(x, queueNumType)
		if err != nil {
			return err
		}
		if s.flags&queueFlagFanout != 0 {
			return r.cc.errAt(x.span(), "fanout requires a range to be specified")
		}
		num = binary.BigEndian.Uint16(v)
	case *hashExpr, *numgenExpr, *mapExpr:
		if s.flags&queueFlagFanout != 0 {
			return r.cc.errAt(x.span(), "fanout requires a range to be specified")
		}
		if max, ok := queueMax(x); ok && max > queueMaxQueueNum {
			return r.cc.errAt(x.span(), fmt.Sprintf("queue expression max value exceeds %d", queueMaxQueueNum))
		}
		// a map's values are queue numbers; hash and numgen write 32 bits
		li := queueNumType
		if _, ok := x.(*mapExpr); !ok {
			li = &lhsInfo{dt: dtInteger, bits: 32, order: orderHost, lenBytes: 4}
		}
		reg, err := r.loadValue(x, li)
		if err != nil {
			return err
		}
		a.u32(nftaQueueSregQ, kernelReg(reg))
		if s.flags != 0 {
			a.raw(nftaQueueFlags, []byte{byte(s.flags >> 8), byte(s.flags)})
		}
		r.putReg(li.lenBytes)
		r.emit("queue", &a)
		return nil
	default:
		return s.badExpr(r)
	}
	a.raw(nftaQueueNum, []byte{byte(num >> 8), byte(num)})
	a.raw(nftaQueueTotal, []byte{byte(total >> 8), byte(total)})
	if s.flags != 0 {
		a.raw(nftaQueueFlags, []byte{byte(s.flags >> 8), byte(s.flags)})
	}
	r.emit("queue", &a)
	return nil
}

func (s *queueStmt) badExpr(r *ruleCtx) error {
	return r.cc.errAt(s.num.span(), "syntax error, unexpected expression: a queue is a number, a range, jhash, symhash, numgen or a map")
}

// queueMax is the largest queue number a hash or numgen yields.
func queueMax(e Expr) (uint64, bool) {
	switch x := e.(type) {
	case *hashExpr:
		return uint64(x.mod) + uint64(x.offset) - 1, x.mod > 0
	case *numgenExpr:
		return uint64(x.mod) + uint64(x.offset) - 1, x.mod > 0
	}
	return 0, false
}
