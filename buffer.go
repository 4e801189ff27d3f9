package xtnl

import (
	"bytes"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/xtnl/xtnl/internal/sysfile"
	"golang.org/x/sys/unix"
)

// A large transaction is encoded into memory mapped for it, outside the Go
// heap. A 100k-rule batch is about 45 MB: on the heap it would make the
// collector run several times while it is built (heap goal: twice the
// live heap, so each doubling of the batch starts a cycle) and let the
// process grow to twice its size before the garbage of the build is
// collected. Off the heap, the collector sees only the rest (the input
// text, a few MB).
//
// The mappings are aligned to, and asked to be backed by, 2 MiB huge
// pages (MADV_HUGEPAGE, which works when transparent huge pages are
// "always" or "madvise", the common defaults). Where the first write to a
// 4 KiB page is expensive (~10 µs in some virtual machines) a 45 MB batch
// in small pages costs ~100 ms of faults before a byte reaches the
// kernel; in huge pages it is 23 faults. Pages are faulted in as written,
// so room reserved and left unused (the parts of a parallel restore are
// sized by estimate) is never zeroed.
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
		if mem = mapHuge(n); mem == nil {
			return nil
		}
	}
	m := &mapping{mem: mem}
	runtime.AddCleanup(m, spares.put, mem)
	return m
}

// hugePage is the size of a transparent huge page on the architectures
// this package runs on (x86-64, arm64 with 4 KiB pages).
const hugePage = 2 << 20

// hugePagesOffered reports whether the kernel gives huge pages to
// mappings that ask (transparent huge pages "always" or "madvise").
var hugePagesOffered = sync.OnceValue(func() bool {
	mode, err := sysfile.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && !bytes.Contains(mode, []byte("[never]"))
})

// mapHuge maps n bytes, rounded up to whole huge pages, at an address
// aligned to a huge page, and asks for huge pages. A huge page is then
// one fault, taken when first written: room reserved but never used
// costs address space, not zeroed memory. Without huge pages the mapping
// is populated in one call instead of faulted page by page. It returns
// nil if the kernel refuses the mapping; refused advice only costs speed.
func mapHuge(n int) []byte {
	size := (n + hugePage - 1) &^ (hugePage - 1)
	// Map one huge page more than needed and trim both ends, so that
	// what is kept starts on a huge page boundary.
	raw, err := unix.MmapPtr(-1, 0, nil, uintptr(size+hugePage), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil
	}
	head := (hugePage - uintptr(raw)%hugePage) % hugePage // before the boundary
	if head > 0 {
		_ = unix.MunmapPtr(raw, head)
	}
	if tail := hugePage - head; tail > 0 { // after what is kept
		_ = unix.MunmapPtr(unsafe.Add(raw, head+uintptr(size)), tail)
	}
	mem := unsafe.Slice((*byte)(unsafe.Add(raw, head)), size)
	if !hugePagesOffered() || unix.Madvise(mem, unix.MADV_HUGEPAGE) != nil {
		populate(mem)
	}
	return mem
}

// populate maps every page of mem now, in one call where the kernel can
// (Linux 5.14 and later), rather than one fault per page as it is written.
func populate(mem []byte) {
	if unix.Madvise(mem, unix.MADV_POPULATE_WRITE) == nil {
		return
	}
	for i := 0; i < len(mem); i += os.Getpagesize() {
		mem[i] = 0
	}
}

// unmap releases memory returned by mapHuge.
func unmap(mem []byte) {
	_ = unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(mem)), uintptr(len(mem)))
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
		unmap(s.mems[small])
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
		unmap(m)
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
