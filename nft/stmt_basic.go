package nft

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// notrack and the set statement (meta mark set ...); counter, log,
// limit and quota have their own files.

type notrackStmt struct{ srcSpan }

// setStmt is "selector set value".
type setStmt struct {
	srcSpan
	lhs Expr
	val Expr
}

func init() {
	stmtParsers["notrack"] = func(p *parser, t token) Stmt {
		p.i++
		return &notrackStmt{srcSpan{t.pos, t.end}}
	}
}

func (s *notrackStmt) compile(r *ruleCtx) error {
	r.emit("notrack", &attrBuf{})
	return nil
}

func (s *setStmt) compile(r *ruleCtx) error {
	switch x := s.lhs.(type) {
	case *metaExpr:
		li := &lhsInfo{dt: x.dtype(), bits: x.bits(), order: x.order(), lenBytes: (x.bits() + 7) / 8}
		reg, err := r.loadValue(s.val, li)
		if err != nil {
			return err
		}
		var a attrBuf
		a.u32(unix.NFTA_META_KEY, x.key)
		a.u32(unix.NFTA_META_SREG, kernelReg(reg))
		r.emit("meta", &a)
		r.putReg(li.lenBytes)
		return nil
	case *ctExpr:
		li := &lhsInfo{dt: x.dtype(), bits: x.bits(), order: x.order(), lenBytes: (x.bits() + 7) / 8}
		reg, err := r.loadValue(s.val, li)
		if err != nil {
			return err
		}
		var a attrBuf
		a.u32(unix.NFTA_CT_KEY, x.key)
		if x.dir >= 0 {
			a.raw(unix.NFTA_CT_DIRECTION, []byte{byte(x.dir)})
		}
		a.u32(unix.NFTA_CT_SREG, kernelReg(reg))
		r.emit("ct", &a)
		r.putReg(li.lenBytes)
		return nil
	case *exthdrExpr:
		return x.compileSet(r, s.val)
	case *payloadExpr:
		return x.compileSet(r, s.val) // payload_set.go
	}
	return r.cc.errAt(s.srcSpan, "unsupported set statement")
}

// loadValue puts a statement's argument in a fresh register: a constant
// through immediate, a selector by loading it.
func (r *ruleCtx) loadValue(e Expr, li *lhsInfo) (uint32, error) {
	if m, ok := e.(*mapExpr); ok {
		return r.loadMap(m, li) // map.go
	}
	if b, ok := e.(*binopExpr); ok && hasSelector(b) {
		reg := r.getReg(li.lenBytes)
		return reg, r.valueInto(b, li, reg)
	}
	if sel, ok := e.(selector); ok {
		if err := sel.deps(r); err != nil {
			return 0, err
		}
		reg := r.getReg(li.lenBytes)
		sel.load(r, reg)
		if rt, ok := sel.(*rtExpr); ok {
			rt.convertFor(r, reg, li) // rt.go
		}
		return reg, nil
	}
	v, err := r.constValue(e, li)
	if err != nil {
		return 0, err
	}
	reg := r.getReg(li.lenBytes)
	r.emitImmediateData(reg, li.regValue(v))
	return reg, nil
}

// parseTime reads nft's time syntax (1d2h3m4s5ms, or plain seconds) in
// milliseconds.
func parseTime(s string) (uint64, bool) {
	if v, err := strconv.ParseUint(s, 10, 64); err == nil {
		return v * 1000, true
	}
	var total uint64
	for len(s) > 0 {
		i := 0
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == 0 {
			return 0, false
		}
		n, _ := strconv.ParseUint(s[:i], 10, 64)
		s = s[i:]
		j := 0
		for j < len(s) && isLetter(s[j]) {
			j++
		}
		unit := strings.ToLower(s[:j])
		s = s[j:]
		switch unit {
		case "d":
			total += n * 86400000
		case "h":
			total += n * 3600000
		case "m":
			total += n * 60000
		case "s":
			total += n * 1000
		case "ms":
			total += n
		default:
			return 0, false
		}
	}
	return total, true
}
