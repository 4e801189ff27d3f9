package nft

// The argument of dup, fwd and tproxy-like statements (stmt_expr in
// parser_bison.y): a constant, or KEY map { ... } / KEY map @name that
// chooses it per packet. Each argument takes a register of its own,
// counted in 128-bit registers as nft's get_register does; a map's key is
// loaded into the register its result goes to (netlink_gen_map).

type stmtArg struct {
	srcSpan
	value Expr     // a constant, when m is nil
	m     *mapExpr // KEY map TARGET
}

// stmtArgument parses a statement argument.
func (p *parser) stmtArgument() *stmtArg {
	t := p.peek()
	if t.kind == tWord && selectorParsers[t.text] != nil && p.selectorFollows(t) {
		key := p.expr()
		p.expectWord("map")
		target := p.mapTarget()
		m := &mapExpr{srcSpan: spanOf(key.span(), target.span()), key: key, m: target}
		return &stmtArg{srcSpan: m.srcSpan, m: m}
	}
	v := p.literal()
	return &stmtArg{srcSpan: v.span(), value: v}
}

// loadArg puts the argument, a value of type dt, in a fresh register and
// returns it; the caller frees it with putReg(16).
func (r *ruleCtx) loadArg(a *stmtArg, dt *Datatype) (uint32, error) {
	li := &lhsInfo{dt: dt, bits: dt.Bits, order: dt.Order, lenBytes: dt.bytesLen()}
	if a.m != nil {
		a.m.dtype = dt
		dreg := r.reg
		if err := r.compileMap(a.m, false, dreg); err != nil {
			return 0, err
		}
		return r.getReg(16), nil
	}
	v, err := r.constValue(a.value, li)
	if err != nil {
		return 0, err
	}
	reg := r.getReg(16)
	r.emitImmediateData(reg, li.regValue(v))
	return reg, nil
}

// argText prints what a statement's source register holds: a constant
// loaded by an immediate, or the map lookup that computed it.
func (d *delin) argText(reg uint32, dt *Datatype) string {
	rv := d.regs[reg]
	switch {
	case rv == nil:
		return "<?>"
	case rv.text == "imm":
		return formatValue(dt, fromReg(fit(rv.mask, dt.bytesLen()), dt.Order), d.o)
	case rv.expr != "":
		return rv.expr
	}
	return selText(rv.sel)
}
