package nft

import (
	"math/big"

	"golang.org/x/sys/unix"
)

// Concatenations with intervals (ip daddr . tcp dport { 10.0.0.0/8 .
// 10-23 }): each element carries its first key and its last key
// (NFTA_SET_ELEM_KEY_END), the parts side by side in 32-bit registers;
// the set is flagged interval and concat and describes its fields'
// lengths, which the kernel's pipapo set needs.

// concatPartInfo is how one part of a concatenation is resolved.
func concatPartInfo(s selector) *lhsInfo {
	return &lhsInfo{dt: s.dtype(), bits: s.bits(), order: s.order(), lenBytes: (s.bits() + 7) / 8}
}

// concatInterval resolves a concatenation of values, ranges and prefixes
// to its first and last keys, as the register holds them; isRange says
// whether any part is a range or prefix.
func (r *ruleCtx) concatInterval(li *lhsInfo, c *concatExpr) (lo, hi []byte, isRange bool, err error) {
	if len(c.parts) != len(li.sels) {
		return nil, nil, false, r.cc.errAt(c.srcSpan, "datatype mismatch: concatenation has wrong number of parts")
	}
	for i, p := range c.parts {
		pli := concatPartInfo(li.sels[i])
		var l, h []byte
		switch x := p.(type) {
		case *rangeExpr:
			if l, err = r.constValue(x.lo, pli); err != nil {
				return nil, nil, false, err
			}
			if h, err = r.constValue(x.hi, pli); err != nil {
				return nil, nil, false, err
			}
			isRange = true
		case *prefixExpr:
			v, err := r.constValue(x.x, pli)
			if err != nil {
				return nil, nil, false, err
			}
			v = fit(v, pli.lenBytes)
			host := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(pli.lenBytes*8-x.plen)), big.NewInt(1))
			lv := new(big.Int).AndNot(new(big.Int).SetBytes(v), host)
			l, h = lv.Bytes(), new(big.Int).Or(lv, host).Bytes()
			isRange = true
		default:
			if l, err = r.constValue(p, pli); err != nil {
				return nil, nil, false, err
			}
			h = l
		}
		lo = appendPart(lo, partBytes(l, pli))
		hi = appendPart(hi, partBytes(h, pli))
	}
	return lo, hi, isRange, nil
}

// appendPart appends a part padded to whole 32-bit registers.
func appendPart(b, part []byte) []byte {
	b = append(b, part...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// concatFieldLens are the byte lengths of a concatenation's parts, as
// NFTA_SET_DESC_CONCAT lists them.
func concatFieldLens(li *lhsInfo) []uint32 {
	var out []uint32
	for _, s := range li.sels {
		out = append(out, uint32((s.bits()+7)/8))
	}
	return out
}

// putDescConcat writes the fields' lengths inside NFTA_SET_DESC.
func putDescConcat(a *attrBuf, lens []uint32) {
	cn := a.nest(nftaSetDescConcat)
	for _, l := range lens {
		e := a.nest(unix.NFTA_LIST_ELEM)
		a.u32(nftaSetFieldLen, l)
		a.end(e)
	}
	a.end(cn)
}

// loadConcatPart loads one part of a concatenation, masked when it is a
// bit field (vlan id).
func (r *ruleCtx) loadConcatPart(s selector, reg uint32) {
	s.load(r, reg)
	n, shift, bf := s.geom()
	if !bf {
		return
	}
	r.emitBitwise(reg, reg, regBytes(fieldMask(s.bits(), shift, n), s.order()), make([]byte, n))
}

// The printer's side.

// concatRangeText prints a concatenated element with its last key: each
// part a value, a prefix or a range.
func concatRangeText(kts []*Datatype, key, keyEnd []byte, o *PrintOptions) string {
	var parts []string
	off := 0
	for _, dt := range kts {
		n := dt.bytesLen()
		if off+n > len(key) || off+n > len(keyEnd) {
			break
		}
		order := partOrder(dt)
		if order == orderHost {
			order = orderBig // an interval set's parts are in network order (concat_order.go)
		}
		parts = append(parts, intervalText(dt, fromReg(key[off:off+n], order), fromReg(keyEnd[off:off+n], order), o))
		off += int(regSpace(n)) * 4
	}
	return joinConcat(parts)
}

func joinConcat(parts []string) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += " . "
		}
		s += p
	}
	return s
}

// partBytes is a concatenation part's value as its register holds it:
// strings left-aligned and zero-padded, numbers in the part's byte order.
func partBytes(v []byte, pli *lhsInfo) []byte {
	if pli.dt.root() == dtString {
		out := make([]byte, pli.lenBytes)
		copy(out, v)
		return out
	}
	return regBytes(fit(v, pli.lenBytes), pli.order)
}
