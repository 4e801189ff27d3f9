package xtnl

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// A large transaction is encoded into memory mapped for it, outside the Go
// heap, and unmapped once nothing refers to it. A 100k-rule batch is about
// 45 MB: on the heap it would make the collector run several times while
// it is built (heap goal: twice the live heap, so each doubling of the
// batch starts a cycle) and let the process grow to twice its size before
// the garbage of the build is collected. Off the heap, the collector sees
// only the rest (the input text, a few MB), and the pages are mapped in
// one go (MAP_POPULATE) instead of one fault at a time.

// offHeapMin is the size from which Grow maps memory rather than
// allocating.
const offHeapMin = 1 << 20

// mapping is memory mapped for encoding. The Txs whose encoded parts lie in
// it hold it (Tx.mappings), so it is unmapped only after the last of them
// is gone.
type mapping struct{ mem []byte }

// newMapping maps n bytes, or returns nil if the kernel refuses (the
// caller then allocates on the heap).
func newMapping(n int) *mapping {
	mem, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return nil
	}
	m := &mapping{mem: mem}
	runtime.AddCleanup(m, func(mem []byte) { _ = unix.Munmap(mem) }, mem)
	return m
}

// grow returns b with room for n more bytes: in a fresh mapping held by tx
// when that is large, on the heap otherwise.
func (tx *Tx) grow(b []byte, n int) []byte {
	size := len(b) + n
	if size >= offHeapMin {
		if m := newMapping(size); m != nil {
			tx.mappings = append(tx.mappings, m)
			return append(m.mem[:0], b...)
		}
	}
	out := make([]byte, len(b), size)
	copy(out, b)
	return out
}
