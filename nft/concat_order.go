package nft

import "golang.org/x/sys/unix"

// Byte order of concatenations with intervals. The kernel's pipapo set
// compares keys as big-endian numbers, so nft stores the host-endian
// integer parts of such a set's elements in network order
// (__netlink_gen_concat_key swaps them) and converts the same parts of
// the looked-up register right after loading each one
// (byteorder_conversion on a concatenation): meta mark . tcp dport
// { 0xa-0x14 . 80-90 } loads the mark, then "byteorder hton", then the
// port. Strings stay as written; a one-byte part still gets its (no-op)
// byteorder, as nft emits it.

// concatHostParts says which parts of a concatenation nft converts to
// network order in an interval set; nil if none.
func concatHostParts(li *lhsInfo) []bool {
	var parts []bool
	for i, s := range li.sels {
		if s.order() != orderHost || s.dtype().root() == dtString {
			continue
		}
		if parts == nil {
			parts = make([]bool, len(li.sels))
		}
		parts[i] = true
	}
	return parts
}

// swapConcatParts returns key (register layout) with the marked parts'
// bytes reversed: host order to network order.
func swapConcatParts(key []byte, li *lhsInfo, parts []bool) []byte {
	out := append([]byte(nil), key...)
	off := 0
	for i, s := range li.sels {
		n := (s.bits() + 7) / 8
		if parts[i] && off+n <= len(out) {
			p := out[off : off+n]
			for a, b := 0, len(p)-1; a < b; a, b = a+1, b-1 {
				p[a], p[b] = p[b], p[a]
			}
		}
		off += int(regSpace(n)) * 4
	}
	return out
}

// unarySize is the unit a byteorder expression swaps in for a value of
// bits bits, as netlink_gen_unary picks it.
func unarySize(bits int) int {
	switch {
	case bits%64 == 0:
		return 8
	case bits%32 == 0:
		return 4
	}
	return 2
}

// loadKey loads the key the set is looked up with, in the byte order of
// its elements.
func (as *anonSet) loadKey(r *ruleCtx, li *lhsInfo) uint32 {
	if as.htonParts == nil {
		reg := r.loadLHS(li)
		as.convert(r, reg)
		return reg
	}
	reg := r.getReg(li.lenBytes)
	sub := reg
	for i, s := range li.sels {
		r.loadConcatPart(s, sub)
		n := (s.bits() + 7) / 8
		if as.htonParts[i] {
			r.emitByteorder(sub, sub, unix.NFT_BYTEORDER_HTON, n, unarySize(s.bits()))
		}
		sub += regSpace(n)
	}
	return reg
}
