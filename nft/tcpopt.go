package nft

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// TCP options (tcpopt.c): "tcp option NAME FIELD", "tcp option NAME" (is
// the option there), "tcp option @KIND,OFFSET,BITS" (raw), and the
// statements "tcp option NAME FIELD set VALUE" and "reset tcp option
// NAME". They are exthdr expressions of op tcpopt (exthdr.go).

func tcpoptDesc(name string, kind uint8, extra ...protoField) *exthdrDesc {
	f := []protoField{intField("kind", 0, 8)}
	if kind > 1 {
		f = append(f, intField("length", 8, 8))
	}
	return &exthdrDesc{name: name, typ: kind, fields: append(f, extra...)}
}

var (
	tcpoptSACK = tcpoptDesc("sack", 5,
		intField("left", 16, 32), intField("right", 48, 32), intField("left", 80, 32), intField("right", 112, 32),
		intField("left", 144, 32), intField("right", 176, 32), intField("left", 208, 32), intField("right", 240, 32))
	tcpoptDescs = []*exthdrDesc{
		tcpoptDesc("eol", 0), tcpoptDesc("nop", 1),
		tcpoptDesc("maxseg", 2, intField("size", 16, 16)),
		tcpoptDesc("window", 3, intField("count", 16, 8)),
		tcpoptDesc("sack-perm", 4),
		tcpoptSACK,
		tcpoptDesc("timestamp", 8, intField("tsval", 16, 32), intField("tsecr", 48, 32)),
		tcpoptDesc("md5sig", 19),
		tcpoptDesc("mptcp", 30, intField("subtype", 16, 4)),
		tcpoptDesc("fastopen", 34),
	}
	// tcpoptFallback is an option kind nft has no name for: its kind
	// and length only.
	tcpoptFallback = tcpoptDesc("", 255)
)

// tcpoptKinds are the option names the parser accepts; sack1..3 name
// the second to fourth SACK block.
var tcpoptKinds = map[string]int{"eol": 0, "nop": 1, "noop": 1, "maxseg": 2, "window": 3, "sack-perm": 4,
	"sack-permitted": 4, "sack": 5, "sack0": 5, "sack1": 5, "sack2": 5, "sack3": 5, "echo": 6, "timestamp": 8,
	"md5sig": 19, "mptcp": 30, "fastopen": 34}

func tcpoptByKind(kind uint8) *exthdrDesc {
	for _, d := range tcpoptDescs {
		if d.typ == kind {
			return d
		}
	}
	return nil
}

// tcpOption parses what follows "tcp option"; t is the "tcp" token.
func (p *parser) tcpOption(t token) Expr {
	p.i += 2
	k := p.next()
	e := &exthdrExpr{srcSpan: srcSpan{t.pos, k.end}, op: unix.NFT_EXTHDR_OP_TCPOPT}
	block := 0
	switch k.kind {
	case tSetRef:
		// @kind,offset,bits
		kind, err := strconv.ParseUint(k.text, 10, 8)
		if err != nil {
			p.fail(k, "value too large")
		}
		p.expectPunct(",")
		off := p.next()
		p.expectPunct(",")
		bits := p.next()
		o, err1 := strconv.Atoi(off.text)
		b, err2 := strconv.Atoi(bits.text)
		if off.kind != tNum || bits.kind != tNum || err1 != nil || err2 != nil || b <= 0 || b > 128 {
			p.unexpected(bits)
		}
		e.typ, e.rawOffset, e.rawBits, e.end = uint8(kind), o, b, bits.end
		return e
	case tNum:
		v, err := strconv.ParseUint(k.text, 0, 64)
		if err != nil || v > 255 {
			p.fail(k, "value too large")
		}
		e.typ = uint8(v)
		e.desc = tcpoptByKind(e.typ)
		if e.desc == nil {
			e.desc = &exthdrDesc{typ: e.typ, fields: tcpoptFallback.fields}
		}
	case tWord:
		kind, ok := tcpoptKinds[k.text]
		if !ok {
			p.unexpected(k)
		}
		e.typ = uint8(kind)
		e.desc = tcpoptByKind(e.typ)
		if e.desc == nil {
			e.desc = &exthdrDesc{typ: e.typ, fields: tcpoptFallback.fields}
		}
		if len(k.text) == 5 && k.text[:4] == "sack" {
			block = int(k.text[4] - '0')
		}
	default:
		p.unexpected(k)
	}
	f := p.peek()
	if f.kind != tWord || f.text == "kind" {
		e.present = true
		return e
	}
	// A word that is no field of any option ends the expression (tcp
	// option sack-perm exists); one of another option's is an error.
	fi := e.desc.field(f.text)
	if fi == nil {
		if isTcpoptField(f.text) {
			p.fail(f, fmt.Sprintf("syntax error, unexpected %s", f.text))
		}
		e.present = true
		return e
	}
	p.i++
	if block > 0 {
		if f.text != "left" && f.text != "right" {
			p.fail(f, "syntax error, unexpected "+f.text)
		}
		fi = &tcpoptSACK.fields[2+2*block]
		if f.text == "right" {
			fi = &tcpoptSACK.fields[3+2*block]
		}
	}
	e.field, e.end = fi, f.end
	return e
}

func isTcpoptField(s string) bool {
	switch s {
	case "length", "size", "count", "left", "right", "tsval", "tsecr", "subtype", "window":
		return true
	}
	return false
}

// tcpoptAt finds the option field a tcpopt load reads (tcpopt_init_raw).
func tcpoptAt(kind uint8, off, n int, present bool) *exthdrExpr {
	e := &exthdrExpr{op: unix.NFT_EXTHDR_OP_TCPOPT, typ: kind, present: present, rawOffset: off, rawBits: n}
	e.desc = tcpoptByKind(kind)
	if e.desc == nil || present {
		return e
	}
	for i := range e.desc.fields {
		f := &e.desc.fields[i]
		if f.offset == off && f.bits == n {
			e.field = f
			return e
		}
	}
	for i := range e.desc.fields {
		// a bit field (mptcp subtype) loaded in whole bytes
		f := &e.desc.fields[i]
		c := &exthdrExpr{op: e.op, desc: e.desc, field: f, typ: kind}
		if m, _, bf := c.geom(); bf && f.offset/8 == off/8 && m*8 == n {
			e.field = f
			return e
		}
	}
	return e
}

// tcpoptText prints a TCP option as exthdr_expr_print does: sack blocks
// after the first carry their number (offset / 64).
func (e *exthdrExpr) tcpoptText() string {
	if e.desc == nil || e.desc.name == "" {
		if e.present && e.rawOffset == 0 {
			return fmt.Sprintf("tcp option %d", e.typ)
		}
		if e.field != nil {
			return fmt.Sprintf("tcp option @%d,%d,%d", e.typ, e.field.offset, e.field.bits)
		}
		return fmt.Sprintf("tcp option @%d,%d,%d", e.typ, e.rawOffset, e.rawBits)
	}
	s := "tcp option " + e.desc.name
	if e.present {
		return s
	}
	if e.field == nil {
		return fmt.Sprintf("tcp option @%d,%d,%d", e.typ, e.rawOffset, e.rawBits)
	}
	if b := e.field.offset / 64; b > 0 {
		s += strconv.Itoa(b)
	}
	return s + " " + e.field.name
}

// resetTCPOptStmt is "reset tcp option NAME": the kernel strips the
// option (turns it into NOPs).
type resetTCPOptStmt struct {
	srcSpan
	kind uint8
}

func init() {
	stmtParsers["reset"] = func(p *parser, t token) Stmt {
		if n, o := p.peekN(1), p.peekN(2); !(n.kind == tWord && n.text == "tcp" && o.kind == tWord && o.text == "option") {
			return nil
		}
		p.i++
		e := p.tcpOption(p.peek())
		x := e.(*exthdrExpr)
		if x.field != nil || x.rawBits != 0 {
			p.fail(p.toks[p.i-1], "syntax error, unexpected "+tokDesc(p.toks[p.i-1]))
		}
		return &resetTCPOptStmt{srcSpan: srcSpan{t.pos, x.end}, kind: x.typ}
	}
}

func (s *resetTCPOptStmt) compile(r *ruleCtx) error {
	var a attrBuf
	a.raw(unix.NFTA_EXTHDR_TYPE, []byte{s.kind})
	a.u32(unix.NFTA_EXTHDR_OP, unix.NFT_EXTHDR_OP_TCPOPT)
	r.emit("exthdr", &a)
	return nil
}
