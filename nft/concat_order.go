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
	return r.loadIntervalKey(li)
}

// loadIntervalKey loads a key looked up in an interval set, converted to
// network order as the set's elements are: a concatenation part by
// part, a single host-endian number of two bytes or more whole.
func (r *ruleCtx) loadIntervalKey(li *lhsInfo) uint32 {
	if !li.concat {
		reg := r.loadLHS(li)
		if li.order == orderHost && li.lenBytes > 1 && li.dt.root() != dtString {
			r.emitByteorder(reg, reg, unix.NFT_BYTEORDER_HTON, li.lenBytes, li.lenBytes)
		}
		return reg
	}
	parts := concatHostParts(li)
	reg := r.getReg(li.lenBytes)
	sub := reg
	for i, s := range li.sels {
		r.loadConcatPart(s, sub)
		n := (s.bits() + 7) / 8
		if parts != nil && parts[i] {
			r.emitByteorder(sub, sub, unix.NFT_BYTEORDER_HTON, n, unarySize(s.bits()))
		}
		sub += regSpace(n)
	}
	return reg
}

// loadSetRefKey loads the key looked up in the named set name: converted
// when the set (declared by the script, or in the kernel) is an interval
// set, as nft's evaluation of a set reference does.
func (r *ruleCtx) loadSetRefKey(li *lhsInfo, name string) uint32 {
	interval := false
	if si := r.cc.setInfos[setKey(&Command{Family: r.fam, Table: r.table, Name: name})]; si != nil {
		interval = si.interval
	} else if sl, ok := r.cc.lookup.(SetLookup); ok {
		if d, ok := sl.Set(r.fam, r.table, name); ok {
			interval = d.Flags&setInterval != 0
		}
	}
	if !interval {
		return r.loadLHS(li)
	}
	return r.loadIntervalKey(li)
}
