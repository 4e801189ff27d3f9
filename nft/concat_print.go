package nft

import (
	"bytes"
	"sort"
	"strings"
)

// Printing a lookup whose key is a concatenation (ip saddr . ip daddr
// { ... }): the parts were loaded into consecutive registers, each
// padded to 32 bits, and the lookup names the first.

// reg32 is a kernel register number as its 32-bit register index:
// NFT_REG_1..4 are 16 bytes wide, NFT_REG32_00.. 4 bytes.
func reg32(r uint32) int {
	if r >= 1 && r <= 4 {
		return int(r-1) * 4
	}
	return int(r) - 8
}

// kernelReg32 is the kernel number of 32-bit register index i.
func kernelReg32(i int) uint32 {
	if i%4 == 0 {
		return uint32(1 + i/4)
	}
	return uint32(i + 8)
}

// concatParts finds the selectors loaded from sreg on whose sizes add up
// to the set's key length; nil when the key is one selector's.
func (d *delin) concatParts(sreg uint32, keyLen int) []selector {
	first := d.regs[sreg]
	if first == nil || first.sel == nil || first.mask != nil || keyLen <= int(regSpace((first.sel.bits()+7)/8))*4 {
		return nil
	}
	var parts []selector
	i, total := reg32(sreg), 0
	for total < keyLen {
		rv := d.regs[kernelReg32(i)]
		if rv == nil || rv.sel == nil || rv.mask != nil {
			return nil
		}
		n := int(regSpace((rv.sel.bits() + 7) / 8))
		parts = append(parts, rv.sel)
		total += n * 4
		i += n
	}
	if total != keyLen {
		return nil
	}
	return parts
}

// concatText is the left side a concatenation prints as, its parts'
// dependencies dropped.
func (d *delin) concatText(parts []selector) string {
	var names []string
	for _, p := range parts {
		d.killDeps(p)
		names = append(names, selText(p))
	}
	return strings.Join(names, " . ")
}

// concatSetText prints an anonymous set keyed by parts.
func (d *delin) concatSetText(parts []selector, s *kSet, dt *Datatype) string {
	kts := make([]*Datatype, len(parts))
	for i, p := range parts {
		kts[i] = p.dtype()
	}
	sorted := *s
	sorted.elems = concatSorted(s.elems, kts)
	return "{ " + strings.Join(setElemTexts(&sorted, kts, dt, orderInvalid, d.o), ", ") + " }"
}

// concatSorted orders elements as nft lists them (mergesort.c's
// concat_expr_msort_value): the parts' register bytes, unpadded and
// joined, read as one host-endian number.
func concatSorted(elems []kElem, kts []*Datatype) []kElem {
	key := func(e kElem) []byte {
		var b []byte
		off := 0
		for _, dt := range kts {
			n := dt.bytesLen()
			if off+n > len(e.key) {
				break
			}
			b = append(b, e.key[off:off+n]...)
			off += int(regSpace(n)) * 4
		}
		for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
		return b
	}
	out := append([]kElem(nil), elems...)
	sort.SliceStable(out, func(i, j int) bool { return bytes.Compare(key(out[i]), key(out[j])) < 0 })
	return out
}
