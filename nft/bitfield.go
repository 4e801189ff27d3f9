package nft

import "math/big"

// Header fields narrower than a byte (vlan pcp and dei, ip dscp, ...)
// are loaded in whole bytes and masked; the printer tells them apart by
// the mask and shifts values back.

// fieldMask is the mask that isolates a payload bit field in its load,
// in the load's big-endian bytes, with the shift that brings the field
// down to bit 0.
func fieldMask(p *payloadExpr) ([]byte, int) {
	n, shift, _ := p.geom()
	m := new(big.Int).Lsh(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(p.bits())), big.NewInt(1)), uint(shift))
	return fit(m.Bytes(), n), shift
}

// refineByMask picks, among the fields of sel's header that share its
// load, the one whose mask is mask (register order): a one-byte load at
// a vlan tag's start is vlan pcp or vlan dei by its mask alone.
func refineByMask(sel selector, mask []byte) selector {
	p, ok := sel.(*payloadExpr)
	if !ok || p.desc == nil || p.field == nil {
		return sel
	}
	n, _, _ := p.geom()
	m := fromReg(mask, p.order())
	if len(m) != n {
		return sel
	}
	for i := range p.desc.fields {
		f := &p.desc.fields[i]
		if f.name == "cfi" {
			continue // the old name of vlan dei
		}
		q := &payloadExpr{desc: p.desc, field: f, stackOff: p.stackOff}
		if q.offset()/8 != p.offset()/8 {
			continue
		}
		if qn, _, bf := q.geom(); !bf || qn != n {
			continue
		}
		if fm, _ := fieldMask(q); string(fm) == string(m) {
			return q
		}
	}
	return sel
}

// bitfieldValue shifts a value read from a field's masked load down to
// the field's own value, when the mask is exactly the field's.
func bitfieldValue(rv *regVal, v []byte) []byte {
	p, ok := rv.sel.(*payloadExpr)
	if !ok || p.field == nil || rv.mask == nil {
		return v
	}
	_, _, bf := p.geom()
	if !bf {
		return v
	}
	fm, shift := fieldMask(p)
	if string(fromReg(rv.mask, p.order())) != string(fm) || shift == 0 {
		return v
	}
	x := new(big.Int).Rsh(new(big.Int).SetBytes(fromReg(v, p.order())), uint(shift))
	return regBytes(fit(x.Bytes(), len(v)), p.order())
}

// maskText is " & MASK" for a register masked by other than its bit
// field's own mask (ip6 saddr & ::ffff map { ... }), "" otherwise.
func maskText(rv *regVal) string {
	if rv.mask == nil || rv.sel == nil {
		return ""
	}
	if p, ok := rv.sel.(*payloadExpr); ok && p.field != nil {
		if _, _, bf := p.geom(); bf {
			if fm, _ := fieldMask(p); string(fromReg(rv.mask, p.order())) == string(fm) {
				return ""
			}
		}
	}
	n := (rv.sel.bits() + 7) / 8
	return " & " + formatValue(rv.sel.dtype(), fit(fromReg(rv.mask, rv.sel.order()), n), nil)
}
