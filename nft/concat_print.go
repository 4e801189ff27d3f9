package nft

import (
	"bytes"
	"sort"
	"strings"
)

// Concatenations read back: a set keyed by ip saddr . tcp dport is
// looked up from consecutive registers, each part in its own 32-bit
// registers; the set's key type says how wide each part is.

// reg32 converts a register number on the wire to its 32-bit index
// (NFT_REG_1 is 0, NFT_REG32_01 is 1) and back.
func reg32(kreg uint32) uint32 {
	if kreg >= 8 {
		return kreg - 8
	}
	return (kreg - 1) * 4
}

func kreg(idx uint32) uint32 {
	if idx%4 == 0 {
		return idx/4 + 1
	}
	return idx + 8
}

// keyText prints what a lookup or set statement loads from sreg for set
// s: a concatenation's parts joined by " . " when the set's key is one,
// the register's selector otherwise. It drops the dependencies the
// selectors make redundant.
func (d *delin) keyText(sreg uint32, s *kSet) string {
	var kts []*Datatype
	if s != nil {
		kts = keyTypes(s.keyType, s.keyLen)
	}
	if len(kts) > 1 {
		if text, ok := d.concatText(sreg, d.concatPartTypes(sreg, kts)); ok {
			return text
		}
	}
	rv := d.regs[sreg]
	if rv == nil || rv.sel == nil {
		return "<?>"
	}
	d.killDeps(rv.sel)
	return selText(rv.sel) + maskText(rv)
}

// concatText prints the parts of a concatenation loaded from sreg on.
func (d *delin) concatText(sreg uint32, kts []*Datatype) (string, bool) {
	idx := reg32(sreg)
	var parts []string
	for _, dt := range kts {
		rv := d.regs[kreg(idx)]
		if rv == nil || rv.sel == nil {
			return "", false
		}
		d.killDeps(rv.sel)
		parts = append(parts, selText(rv.sel)+maskText(rv))
		idx += regSpace(dt.bytesLen())
	}
	return strings.Join(parts, " . "), true
}

// concatPartTypes sizes a concatenated key's parts that its type ids
// leave unsized (integers: vlan id) from the selectors loading them.
func (d *delin) concatPartTypes(sreg uint32, kts []*Datatype) []*Datatype {
	out := append([]*Datatype(nil), kts...)
	idx := reg32(sreg)
	for i, dt := range out {
		if dt.Bits == 0 {
			if rv := d.regs[kreg(idx)]; rv != nil && rv.sel != nil {
				c := withBits(dt, rv.sel.bits())
				c.Order = rv.sel.order()
				if p, ok := rv.sel.(*payloadExpr); ok && p.desc == nil {
					c.format = formatHex // a raw payload (@th,160,128) prints in hex
				}
				out[i] = c
			}
		}
		idx += regSpace(out[i].bytesLen())
	}
	return out
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
