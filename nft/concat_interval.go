package nft

// Concatenations with ranges ({ 192.0.2.1 . 10.0.0.1-10.0.0.2 }): each
// element is a start and an end key (NFTA_SET_ELEM_KEY_END), one range
// per part, in a set flagged interval and concat whose description
// lists the parts' lengths (the kernel's pipapo set).

// concatInterval resolves a concatenation element into the keys of its
// parts' lower and upper ends, each part padded to 32 bits.
func (r *ruleCtx) concatInterval(li *lhsInfo, c *concatExpr) (interval, error) {
	if len(c.parts) != len(li.sels) {
		return interval{}, r.cc.errAt(c.srcSpan, "datatype mismatch: concatenation has wrong number of parts")
	}
	var iv interval
	for i, p := range c.parts {
		s := li.sels[i]
		n := (s.bits() + 7) / 8
		pli := &lhsInfo{dt: s.dtype(), bits: s.bits(), order: s.order(), lenBytes: n}
		part, err := r.resolveElem(p, pli)
		if err != nil {
			return interval{}, err
		}
		iv.isRange = iv.isRange || part.isRange
		pad := make([]byte, int(regSpace(n))*4-n)
		iv.lo = append(append(iv.lo, regBytes(fit(part.lo, n), pli.order)...), pad...)
		iv.hi = append(append(iv.hi, regBytes(fit(part.hi, n), pli.order)...), pad...)
	}
	return iv, nil
}

// concatIntervalElems are the elements of a concatenation set with
// ranges: each its start and end key.
func concatIntervalElems(ivs []interval, elem func(interval, []byte) (setElemWire, error)) ([]setElemWire, error) {
	var out []setElemWire
	for _, iv := range ivs {
		w, err := elem(iv, iv.lo)
		if err != nil {
			return nil, err
		}
		w.keyEnd = iv.hi
		out = append(out, w)
	}
	return out, nil
}

// concatFieldLens are the parts' lengths in bytes, for the set's
// description.
func concatFieldLens(li *lhsInfo) []uint32 {
	var out []uint32
	for _, s := range li.sels {
		out = append(out, uint32((s.bits()+7)/8))
	}
	return out
}

// concatRangeText prints a concatenation element with ranges: each part
// as a value, or a range or prefix where its ends differ.
func concatRangeText(kts []*Datatype, key, keyEnd []byte, o *PrintOptions) string {
	var parts []string
	off := 0
	for _, dt := range kts {
		n := dt.bytesLen()
		if off+n > len(key) || off+n > len(keyEnd) {
			break
		}
		lo, hi := fromReg(key[off:off+n], dt.Order), fromReg(keyEnd[off:off+n], dt.Order)
		parts = append(parts, intervalText(dt, lo, hi, o))
		off += int(regSpace(n)) * 4
	}
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += " . "
		}
		s += p
	}
	return s
}
