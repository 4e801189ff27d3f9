package nft

import "math/bits"

// How nft orders and reads back the elements of an anonymous set it
// prints in a rule (netlink.c's list_setelements and mergesort.c).

// typeInOrder returns dt as a selector with byte order o sees it: an
// integer header field is big-endian although the integer type is host
// order, and its set's elements must be read as the field holds them.
func typeInOrder(dt *Datatype, o byteOrder) *Datatype {
	if dt.Order == o || o == orderInvalid {
		return dt
	}
	c := *dt
	c.Order = o
	return &c
}

// flagSortKey is the value nft sorts a bitmask element by: an element
// with several flags becomes "a | b | ..." (bitmask_expr_to_binops)
// before the sort, which then compares its leftmost flag, the lowest.
func flagSortKey(v uint64) uint64 {
	if bits.OnesCount64(v) < 2 {
		return v
	}
	return v & -v
}

// nftMergeSort orders idx by key as list_expr_sort does: halves sorted
// alone, then the first half spliced into the second, an element of the
// first going before one of the second only when strictly less. Equal
// keys thus end up second half first, which shows in nft's listings
// ("tcp flags { syn | ack, syn }").
func nftMergeSort(idx []int, key func(int) uint64) []int {
	if len(idx) < 2 {
		return idx
	}
	cut := cutMiddle(len(idx))
	first := nftMergeSort(append([]int(nil), idx[:cut]...), key)
	second := nftMergeSort(append([]int(nil), idx[cut:]...), key)
	out := make([]int, 0, len(idx))
	h := 0
	for _, l := range first {
		for h < len(second) && !(key(l) < key(second[h])) {
			out = append(out, second[h])
			h++
		}
		out = append(out, l)
	}
	return append(out, second[h:]...)
}

// cutMiddle is how many elements list_cut_middle moves to the first
// half of a list of n: s starts at the first element and e at the last;
// e steps back, then s steps forward unless they met, until e == s; the
// first half ends at s.
func cutMiddle(n int) int {
	s, e := 0, n-1
	for e != s {
		e--
		if e != s {
			s++
		}
	}
	return s + 1
}

// flagOrder reorders a bitmask set's elements, sorted by value, as nft
// lists them.
func flagOrder(elems []kElem, order byteOrder) []kElem {
	idx := make([]int, len(elems))
	for i := range idx {
		idx[i] = i
	}
	key := func(i int) uint64 {
		var v uint64
		for _, c := range fromReg(elems[i].key, order) {
			v = v<<8 | uint64(c)
		}
		return flagSortKey(v)
	}
	out := make([]kElem, 0, len(elems))
	for _, i := range nftMergeSort(idx, key) {
		out = append(out, elems[i])
	}
	return out
}
