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
		reg := r.getReg(li.lenBytes)
		return reg, r.dataMap(m, li, reg)
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

// dataMap linearizes KEY map { k : v, ... } as a statement's value (ct
// mark set meta mark map { ... }): the key is loaded into dreg, where the
// lookup writes the value of type li, as nft does (netlink_gen_map).
func (r *ruleCtx) dataMap(m *mapExpr, li *lhsInfo, dreg uint32) error {
	if c, ok := m.key.(*ctExpr); ok && (c.key == 8 || c.key == 9) {
		return r.cc.errAt(c.srcSpan, "specify either ip or ip6 for address matching")
	}
	kli, err := r.evalLHS(m.key)
	if err != nil {
		return err
	}
	for _, s := range kli.sels {
		if err := s.deps(r); err != nil {
			return err
		}
	}
	var name string
	var id uint32
	var set *anonSet
	switch t := m.m.(type) {
	case *setExpr:
		valueOf := func(e Expr) ([]byte, *verdictExpr, error) {
			v, err := r.constValue(e, li)
			if err != nil {
				return nil, nil, err
			}
			return li.regValue(v), nil, nil
		}
		as, err := r.buildAnonSet(t, kli, valueOf)
		if err != nil {
			return err
		}
		as.name = "__map%d"
		as.flags |= setMap
		as.hasData = true
		as.dataType = li.dt.ID
		as.dataLen = uint32(li.lenBytes)
		// addAnonSet names it __map%d and writes the values' byte order
		// into its user data (mapUdata)
		r.addAnonSet(as)
		name, id, set = as.name, as.id, as
	case *setRefExpr:
		name, id = t.name, r.cc.namedSetID(r.table, t.name)
	default:
		return r.cc.errAt(m.m.span(), "Expression is not a map")
	}
	// load the key from dreg on, then free what it took beyond dreg
	save := r.reg
	r.reg = dreg
	sreg := r.loadLHS(kli)
	if set != nil {
		set.convert(r, sreg)
	}
	r.reg = save
	r.emitLookup(sreg, dreg, true, name, id, false)
	return nil
}
