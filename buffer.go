package xtnl

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A large transaction is encoded into memory mapped for it, outside the Go
// heap. A 100k-rule batch is about 45 MB: on the heap it would make the
// collector run several times while it is built (heap goal: twice the
// live heap, so each doubling of the batch starts a cycle) and let the
// process grow to twice its size before the garbage of the build is
// collected. Off the heap, the collector sees only the rest (the input
// text, a few MB), and the pages are mapped in one go (MAP_POPULATE)
// instead of one fault at a time.
//
// Once no transaction refers to a mapping any more, it is kept as a spare
// for the next large transaction rather than unmapped: an agent that
// restores its rules every few seconds then writes each batch into pages
// already mapped, which on a machine where the first write to a page
// costs microseconds (some virtual machines) is ~15% of a 10k-rule
// restore. Spares unused for spareIdle are unmapped.

// offHeapMin is the size from which Grow maps memory rather than
// allocating.
const offHeapMin = 1 << 20

// mapping is memory mapped for encoding. The Txs whose encoded parts lie in
// it hold it (Tx.mappings), so it is released only after the last of them
// is gone.
type mapping struct{ mem []byte }

// newMapping returns n bytes of mapped memory (a spare, or a new
// mapping), or nil if the kernel refuses (the caller then allocates on
// the heap).
func newMapping(n int) *mapping {
	mem := spares.take(n)
	if mem == nil {
		var err error
		mem, err = unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
		if err != nil {
			return nil
		}
	}
	m := &mapping{mem: mem}
	runtime.AddCleanup(m, spares.put, mem)
	return m
}

// Bounds of the spares: how many, how much memory in all, and how long
// one is kept unused.
const (
	maxSpares     = 4
	maxSpareBytes = 256 << 20
	spareIdle     = 30 * time.Second
)

// spares are mappings no transaction refers to any more.
var spares spareSet

type spareSet struct {
	mu     sync.Mutex
	mems   [][]byte
	bytes  int
	timer  *time.Timer
	reused atomic.Int64 // how many mappings were taken from the spares, for tests
}

// take returns the smallest spare of at least n bytes, or nil.
func (s *spareSet) take(n int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := -1
	for i, m := range s.mems {
		if len(m) >= n && (best < 0 || len(m) < len(s.mems[best])) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	mem := s.mems[best]
	s.mems = append(s.mems[:best], s.mems[best+1:]...)
	s.bytes -= len(mem)
	s.reused.Add(1)
	return mem
}

// put keeps mem as a spare, dropping the smallest spares past the
// bounds, and (re)arms the idle timer.
func (s *spareSet) put(mem []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mems = append(s.mems, mem)
	s.bytes += len(mem)
	for len(s.mems) > maxSpares || s.bytes > maxSpareBytes {
		small := 0
		for i, m := range s.mems {
			if len(m) < len(s.mems[small]) {
				small = i
			}
		}
		s.bytes -= len(s.mems[small])
		_ = unix.Munmap(s.mems[small])
		s.mems = append(s.mems[:small], s.mems[small+1:]...)
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(spareIdle, s.drop)
	} else {
		s.timer.Reset(spareIdle)
	}
}

// drop unmaps every spare.
func (s *spareSet) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.mems {
		_ = unix.Munmap(m)
	}
	s.mems, s.bytes = nil, 0
}

// grow returns b with room for n more bytes: in mapped memory held by tx
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
