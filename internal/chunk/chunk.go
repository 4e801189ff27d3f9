// Package chunk hands out small pieces of memory carved from larger
// chunks: reading a chain of 10k rules keeps 10k rule structures and
// their bytes, and one allocation each would be 20k allocations and a
// collector's worth of small objects. A chunk stays alive while anything
// carved from it does; nothing handed out is ever moved or reused.
//
// Chunks double in size from a small first one (a chain of a few rules,
// as most of a kube-proxy table's are, keeps little) up to a bound, and a
// large chunk's pages are mapped in one call before it is filled
// (internal/prefault).
package chunk

import "github.com/xtnl/xtnl/internal/prefault"

// Bounds of the chunks: values of a type, and bytes. The first chunk of
// bytes is the size of the first copy: a chain of two or three rules (most
// of a kube-proxy table's 40k chains) then keeps about what it needs.
const (
	maxValues = 256
	maxBytes  = 128 << 10
)

// next is the size of the chunk after one of n, up to limit.
func next(n, limit int) int { return min(max(2*n, 2), limit) }

// Of hands out zero values of T. The zero Of is ready to use.
type Of[T any] struct{ c []T }

// New returns a new zero T.
func (o *Of[T]) New() *T {
	if len(o.c) == cap(o.c) {
		o.c = prefault.Slice(make([]T, 0, next(cap(o.c), maxValues)))
	}
	o.c = o.c[:len(o.c)+1]
	return &o.c[len(o.c)-1]
}

// Bytes keeps copies of byte strings. The zero Bytes is ready to use.
type Bytes struct{ c []byte }

// Copy returns a copy of s in b's memory, capped so that appending to it
// cannot write into its neighbour.
func Copy[S ~string | ~[]byte](b *Bytes, s S) []byte {
	if cap(b.c)-len(b.c) < len(s) {
		b.c = prefault.Slice(make([]byte, 0, max(next(cap(b.c), maxBytes), len(s))))
	}
	at := len(b.c)
	b.c = append(b.c, s...)
	return b.c[at:len(b.c):len(b.c)]
}
