package nft

import (
	"bytes"
	"math/big"
	"strings"

	"golang.org/x/sys/unix"
)

// Relational matches (evaluate.c's expr_evaluate_relational and
// netlink_linearize.c's netlink_gen_relational).

// lhsInfo describes what a match's left side loads.
type lhsInfo struct {
	sels  []selector // one, or the parts of a concatenation
	dt    *Datatype
	bits  int
	order byteOrder
	// mask and xor from "& MASK" / bitfields, in register order.
	mask []byte
	// xor is what "| V" and "^ V" on the left side leave after the mask:
	// the register holds (x & mask) ^ xor. Nil when zero.
	xor []byte
	// lenBytes is the register's width (concatenations: each part
	// padded to 4 bytes).
	lenBytes int
	shift    int
	bitfield bool
	// shiftOp is a << or >> on the left side.
	concat bool
	// mergeAdjacent joins touching intervals of an anonymous set.
	mergeAdjacent bool
	// namedSet marks the elements of a named set, whose touching
	// intervals each keep their end (set_to_intervals).
	namedSet bool
	// intervalSet: the elements are of a named set flagged interval.
	intervalSet bool
	// one holds sels of a single selector: one allocation per match
	// rather than two.
	one [1]selector
}

// evalLHS resolves the left side of a match.
func (r *ruleCtx) evalLHS(e Expr) (*lhsInfo, error) {
	switch x := e.(type) {
	case selector:
		if c, ok := x.(interface{ resolve(*ruleCtx) error }); ok {
			// a selector whose type depends on the rule so far (ct
			// saddr, rt nexthop)
			if err := c.resolve(r); err != nil {
				return nil, err
			}
		}
		n, shift, bf := x.geom()
		li := &lhsInfo{one: [1]selector{x}, dt: x.dtype(), bits: x.bits(), order: x.order(), lenBytes: n, shift: shift, bitfield: bf}
		li.sels = li.one[:]
		if bf {
			m := new(big.Int).Lsh(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(x.bits())), big.NewInt(1)), uint(shift))
			li.mask = fit(m.Bytes(), n)
		}
		return li, nil
	case *concatExpr:
		li := &lhsInfo{concat: true, order: orderBig}
		var dts []*Datatype
		for _, p := range x.parts {
			s, ok := p.(selector)
			if !ok {
				return nil, r.cc.errAt(p.span(), "unsupported concatenation part")
			}
			li.sels = append(li.sels, s)
			dts = append(dts, s.dtype())
			li.lenBytes += int(regSpace((s.bits()+7)/8)) * 4
		}
		li.dt = concatType(dts)
		li.bits = li.lenBytes * 8
		return li, nil
	case *binopExpr:
		if x.op != "&" && x.op != "|" && x.op != "^" {
			return nil, r.cc.errAt(x.srcSpan, "unsupported binary operation")
		}
		li, err := r.evalLHS(x.l)
		if err != nil {
			return nil, err
		}
		if li.concat {
			return nil, r.cc.errAt(x.srcSpan, "binary operation on a concatenation")
		}
		v, err := r.constValue(x.r, li)
		if err != nil {
			return nil, err
		}
		v = fit(shiftLeft(v, li.shift), li.lenBytes)
		mask, xor := li.mask, li.xor
		if mask == nil {
			mask = bytes.Repeat([]byte{0xff}, li.lenBytes)
		}
		if xor == nil {
			xor = make([]byte, li.lenBytes)
		}
		// (x & m ^ k) OP v as one mask and xor, as nft's bitwise does.
		switch x.op {
		case "&":
			mask, xor = andBytes(mask, v), andBytes(xor, v)
		case "|":
			mask, xor = andBytes(mask, notBytes(v)), orBytes(andBytes(xor, notBytes(v)), v)
		case "^":
			xor = xorBytes(xor, v)
		}
		li.mask, li.xor = mask, xor
		if isZero(xor) {
			li.xor = nil
		}
		li.bitfield = true
		return li, nil
	}
	return nil, r.cc.errAt(e.span(), "syntax error, unexpected expression on the left-hand side")
}

func concatType(dts []*Datatype) *Datatype {
	var id uint32
	name := ""
	bits := 0
	for i, dt := range dts {
		id = id<<typeBits | dt.ID
		if i > 0 {
			name += " . "
		}
		name += dt.Name
		bits += int(regSpace(dt.bytesLen())) * 32
	}
	return &Datatype{ID: id, Name: name, Bits: bits, Order: orderBig}
}

func shiftLeft(b []byte, n int) []byte {
	if n == 0 {
		return b
	}
	v := new(big.Int).Lsh(new(big.Int).SetBytes(b), uint(n))
	return fit(v.Bytes(), len(b))
}

func andBytes(a, b []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] & b[i]
	}
	return out
}

func notBytes(a []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = ^a[i]
	}
	return out
}

func orBytes(a, b []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] | b[i]
	}
	return out
}

// constValue resolves a constant of the left side's type, big-endian,
// as wide as the field (unshifted).
func (r *ruleCtx) constValue(e Expr, li *lhsInfo) ([]byte, error) {
	switch x := e.(type) {
	case *symbolExpr:
		b, err := parseValue(li.dt, x.text, li.bits)
		if err != nil {
			return nil, r.cc.errAt(x.srcSpan, err.Error())
		}
		return b, nil
	case *valueExpr:
		return fit(x.b, (li.bits+7)/8), nil
	case *listExpr:
		// a list of flags is their union (tcp flags syn / fin,syn)
		return r.flagUnion(x, li)
	case *binopExpr:
		a, err := r.constValue(x.l, li)
		if err != nil {
			return nil, err
		}
		b, err := r.constValue(x.r, li)
		if err != nil {
			return nil, err
		}
		switch x.op {
		case "|":
			return orBytes(a, b), nil
		case "&":
			return andBytes(a, b), nil
		case "^":
			return xorBytes(a, b), nil
		}
		return nil, r.cc.errAt(x.srcSpan, "unsupported binary operation")
	}
	return nil, r.cc.errAt(e.span(), "syntax error, unexpected expression")
}

// regValue converts a field value to what the register holds after the
// load (and mask): shifted into place, in the field's byte order, as wide
// as the load.
func (li *lhsInfo) regValue(v []byte) []byte {
	if li.bitfield || li.shift > 0 {
		v = shiftLeft(fit(v, li.lenBytes), li.shift)
	}
	if li.dt.root() == dtString {
		return v
	}
	return regBytes(fit(v, li.lenBytes), li.order)
}

// compileMatch linearizes one relational match.
func (r *ruleCtx) compileMatch(rel *relExpr) error {
	li, err := r.evalLHS(rel.l)
	if err != nil {
		return err
	}
	for _, s := range li.sels {
		if err := s.deps(r); err != nil {
			return err
		}
	}
	if rel.op == "!" {
		return r.negatedFlagTest(rel, li)
	}
	switch rhs := rel.r.(type) {
	case *setExpr:
		if err := r.matchSet(rel, li, rhs); err != nil {
			return err
		}
		r.learnICMPSet(rel, rhs)
		return nil
	case *setRefExpr:
		return r.matchSetRef(rel, li, rhs)
	case *listExpr:
		if li.dt.Bitmask && rel.op == "" {
			var v []byte
			for _, it := range rhs.items {
				b, err := r.constValue(it, li)
				if err != nil {
					return err
				}
				if v == nil {
					v = b
				} else {
					v = orBytes(v, b)
				}
			}
			return r.flagTest(li, v)
		}
		return r.matchSet(rel, li, &setExpr{srcSpan: rhs.srcSpan, elems: rhs.items})
	case *rangeExpr:
		return r.matchRange(rel, li, rhs)
	case *prefixExpr:
		return r.matchPrefix(rel, li, rhs)
	case *concatExpr:
		if !li.concat {
			return r.cc.errAt(rhs.srcSpan, "concatenation on the right-hand side of a single value")
		}
		v, err := r.concatValue(li, rhs)
		if err != nil {
			return err
		}
		reg := r.loadLHS(li)
		r.emitCmp(reg, cmpOp(rel.op), v)
		r.putReg(li.lenBytes)
		return nil
	}
	if li.concat {
		return r.cc.errAt(rel.r.span(), "a concatenation needs a concatenation of values")
	}
	v, err := r.constValue(rel.r, li)
	if err != nil {
		return err
	}
	if li.dt.Bitmask && rel.op == "" && li.mask == nil {
		return r.flagTest(li, v)
	}
	v = li.foldAllOnes(v)
	reg := r.loadLHS(li)
	rv := li.regValue(v)
	if li.dt.root() == dtString {
		rv = stringCmpValue(v, rel.r)
	} else if op := cmpOp(rel.op); op != opEq && op != opNeq && li.order == orderHost && li.lenBytes > 1 && !li.bitfield && !li.concat {
		// The kernel orders register bytes as big-endian: convert a
		// host-endian value first, as nft does (byteorder_conversion).
		r.emitByteorder(reg, reg, unix.NFT_BYTEORDER_HTON, li.lenBytes, li.lenBytes)
		rv = fit(v, li.lenBytes)
	}
	r.emitCmp(reg, cmpOp(rel.op), rv)
	r.putReg(li.lenBytes)
	if rel.op == "" || rel.op == "==" {
		if len(li.sels) == 1 && li.mask == nil {
			r.learn(li.sels[0], v)
		}
	}
	return nil
}

// stringCmpValue is the bytes compared for a string: up to the
// wildcard's star, or the whole string with its NUL.
func stringCmpValue(v []byte, e Expr) []byte {
	if s, ok := e.(*symbolExpr); ok && strings.HasSuffix(s.text, `\*`) {
		// An escaped star is the character itself: the whole name.
		return fit(append([]byte(s.text[:len(s.text)-2]+"*"), make([]byte, len(v))...)[:len(v)], len(v))
	}
	if s, ok := e.(*symbolExpr); ok && len(s.text) > 0 && s.text[len(s.text)-1] == '*' {
		return []byte(s.text[:len(s.text)-1])
	}
	return v
}

// loadLHS loads the left side (with its mask) into a fresh register.
func (r *ruleCtx) loadLHS(li *lhsInfo) uint32 {
	reg := r.getReg(li.lenBytes)
	if li.concat {
		sub := reg
		for _, s := range li.sels {
			r.loadConcatPart(s, sub)
			sub += regSpace((s.bits() + 7) / 8)
		}
		return reg
	}
	li.sels[0].load(r, reg)
	if li.mask != nil {
		xor := make([]byte, len(li.mask))
		if li.xor != nil {
			xor = regBytes(li.xor, li.order)
		}
		r.emitBitwise(reg, reg, regBytes(li.mask, li.order), xor)
	}
	return reg
}

// foldAllOnes drops a mask of all ones that comes with an xor (x ^ c):
// the xor moves to the compared value, as nft's binop_transfer does, and
// no bitwise is emitted.
func (li *lhsInfo) foldAllOnes(v []byte) []byte {
	if li.mask == nil || li.xor == nil || li.concat || li.shift != 0 {
		return v // x & 0xff keeps its bitwise, as in nft
	}
	for _, c := range li.mask {
		if c != 0xff {
			return v
		}
	}
	if li.xor != nil {
		v = xorBytes(fit(v, len(li.xor)), li.xor)
	}
	li.mask, li.xor, li.bitfield = nil, nil, false
	return v
}

// flagTest is "(x & v) != 0", the implicit operation on bitmask types.
func (r *ruleCtx) flagTest(li *lhsInfo, v []byte) error {
	reg := r.getReg(li.lenBytes)
	li.sels[0].load(r, reg)
	m := li.regValue(v)
	r.emitBitwise(reg, reg, m, make([]byte, len(m)))
	r.emitCmp(reg, opNeq, make([]byte, len(m)))
	r.putReg(li.lenBytes)
	return nil
}

func (r *ruleCtx) matchRange(rel *relExpr, li *lhsInfo, rg *rangeExpr) error {
	lo, err := r.constValue(rg.lo, li)
	if err != nil {
		return err
	}
	hi, err := r.constValue(rg.hi, li)
	if err != nil {
		return err
	}
	if bytes.Compare(fit(lo, len(hi)), hi) > 0 {
		return r.cc.errAt(rg.srcSpan, "Range has zero or negative size")
	}
	reg := r.loadLHS(li)
	l, h := li.regValue(lo), li.regValue(hi)
	if li.order == orderHost && len(l) > 1 {
		// Ranges compare big-endian: convert the register first.
		r.emitByteorder(reg, reg, unix.NFT_BYTEORDER_HTON, li.lenBytes, li.lenBytes)
		l, h = fit(lo, li.lenBytes), fit(hi, li.lenBytes)
	}
	switch rel.op {
	case "!=":
		r.emitRange(reg, unix.NFT_RANGE_NEQ, l, h)
	default:
		r.emitCmp(reg, opGte, l)
		r.emitCmp(reg, opLte, h)
	}
	r.putReg(li.lenBytes)
	return nil
}

func (r *ruleCtx) matchPrefix(rel *relExpr, li *lhsInfo, px *prefixExpr) error {
	v, err := r.constValue(px.x, li)
	if err != nil {
		return err
	}
	if px.plen > li.bits {
		return r.cc.errAt(px.srcSpan, "prefix length exceeds the field")
	}
	if pl, ok := li.sels[0].(*payloadExpr); ok && !li.bitfield && px.plen%8 == 0 && px.plen > 0 && !li.concat {
		// Whole bytes: load and compare only the prefix's bytes (a /0
		// is masked like the others, as nft does).
		n := px.plen / 8
		reg := r.getReg(n)
		emitPayloadLoad(r, pl.base(), pl.offset()/8, n, reg)
		r.emitCmp(reg, cmpOp(rel.op), v[:n])
		r.putReg(n)
		return nil
	}
	if li.order == orderBig && !li.bitfield && px.plen%8 == 0 && px.plen > 0 && !li.concat && li.mask == nil && li.dt.root() != dtString {
		// nft loads the whole selector and compares the prefix's bytes
		n := px.plen / 8
		reg := r.loadLHS(li)
		r.emitCmp(reg, cmpOp(rel.op), fit(v, li.lenBytes)[:n])
		r.putReg(li.lenBytes)
		return nil
	}
	mask := new(big.Int).Lsh(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(px.plen)), big.NewInt(1)), uint(li.bits-px.plen))
	mb := fit(mask.Bytes(), li.lenBytes)
	reg := r.loadLHS(li)
	r.emitBitwise(reg, reg, regBytes(mb, li.order), make([]byte, len(mb)))
	r.emitCmp(reg, cmpOp(rel.op), li.regValue(andBytes(fit(v, li.lenBytes), mb)))
	r.putReg(li.lenBytes)
	return nil
}

// concatValue is a concatenation's constant: each part in its register
// order, padded to 4 bytes.
func (r *ruleCtx) concatValue(li *lhsInfo, c *concatExpr) ([]byte, error) {
	if len(c.parts) != len(li.sels) {
		return nil, r.cc.errAt(c.srcSpan, "datatype mismatch: concatenation has wrong number of parts")
	}
	var out []byte
	for i, p := range c.parts {
		s := li.sels[i]
		pli := &lhsInfo{dt: s.dtype(), bits: s.bits(), order: s.order(), lenBytes: (s.bits() + 7) / 8}
		v, err := r.constValue(p, pli)
		if err != nil {
			return nil, err
		}
		rv := partBytes(v, pli)
		out = append(out, rv...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out, nil
}
