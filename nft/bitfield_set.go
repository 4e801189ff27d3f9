package nft

import "math/big"

// Header fields that are not whole bytes (dccp type, ip version) are
// loaded in whole bytes, masked, and compared shifted into place; a set
// looked up with one holds its elements shifted too. Printing shifts
// them back.

// fieldMaskShift returns the shift of a bit field whose whole mask is
// mask (register order), ok false when sel is no such field.
func fieldMaskShift(sel selector, mask []byte) (int, bool) {
	p, ok := sel.(*payloadExpr)
	if !ok || p.field == nil || mask == nil {
		return 0, false
	}
	n, shift, bf := p.geom()
	if !bf || len(mask) != n {
		return 0, false
	}
	fm := new(big.Int).Lsh(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(p.bits())), big.NewInt(1)), uint(shift))
	if new(big.Int).SetBytes(fromReg(mask, p.order())).Cmp(fm) != 0 {
		return 0, false
	}
	return shift, true
}

// shiftedSet is s with its keys shifted right by shift bits, as wide as
// the field.
func shiftedSet(s *kSet, shift, bits int) *kSet {
	c := *s
	n := (bits + 7) / 8
	c.elems = make([]kElem, len(s.elems))
	for i, e := range s.elems {
		k := new(big.Int).Rsh(new(big.Int).SetBytes(e.key), uint(shift))
		e.key = fit(k.Bytes(), n)
		c.elems[i] = e
	}
	c.keyLen = uint32(n)
	return &c
}
