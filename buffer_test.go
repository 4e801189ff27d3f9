package xtnl

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// A large transaction's memory, once nothing refers to it, serves the next
// large transaction as it is (not zeroed: it still holds the first one's
// bytes), and what the second writes is exactly what the kernel holds.
func TestSpareMappingsAreReused(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	const n = 2000
	load := func(first int) {
		t.Helper()
		tx := c.Begin()
		tx.reserve(2 << 20) // mapped, not on the heap
		if len(tx.mappings) == 0 {
			t.Fatal("a 2 MiB transaction was not given mapped memory")
		}
		for i := first; i < first+n; i++ {
			tx.AppendRule(benchRule(FamilyIPv4, "t", "c", i))
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	load(0)
	// The first transaction is gone: its mapping becomes a spare once the
	// collector has noticed.
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		spares.mu.Lock()
		have := len(spares.mems)
		spares.mu.Unlock()
		if have > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no spare mapping 5 s after the transaction was dropped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ns.MustRun(t, "nft", "flush", "chain", "ip", "t", "c")
	reused := spares.reused.Load()
	load(100_000)
	if spares.reused.Load() == reused {
		t.Fatal("the second large transaction did not take the spare mapping")
	}
	out := ns.MustRun(t, "nft", "list", "chain", "ip", "t", "c")
	if got := strings.Count(out, "accept"); got != n {
		t.Fatalf("chain holds %d rules, want %d", got, n)
	}
	// Rules 100000.. are 10.1.134.160 onwards; none of the first load's
	// (10.0.x.y) may be there.
	if strings.Contains(out, "ip saddr 10.0.") || !strings.Contains(out, "ip saddr 10.1.134.160 ") {
		t.Fatalf("chain does not hold the second load's rules:\n%.600s", out)
	}
}

// TestMappingsUseHugePages checks that a large transaction's memory is
// aligned to 2 MiB pages and, where the kernel offers transparent huge
// pages, backed by them one at a time as written: the kernel's own account
// (/proc/self/smaps) says so.
func TestMappingsUseHugePages(t *testing.T) {
	mem := mapHuge(3 << 20)
	if mem == nil {
		t.Fatal("mapHuge(3 MiB) failed")
	}
	defer unmap(mem)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	if start%hugePage != 0 || len(mem) != 4<<20 {
		t.Fatalf("mapping at %#x of %d bytes; want a 2 MiB-aligned 4 MiB", start, len(mem))
	}
	if !hugePagesOffered() {
		if kb := smapsKiB(t, start, "Rss"); kb != 4<<10 {
			t.Errorf("without huge pages the mapping should be populated: Rss %d kB, want %d", kb, 4<<10)
		}
		return
	}
	if kb := smapsKiB(t, start, "Rss"); kb != 0 {
		t.Errorf("Rss of the mapping before any write: %d kB; want 0", kb)
	}
	mem[0] = 1
	if huge, rss := smapsKiB(t, start, "AnonHugePages"), smapsKiB(t, start, "Rss"); huge != 2048 || rss != 2048 {
		t.Errorf("after writing one byte: AnonHugePages %d kB, Rss %d kB; want one 2 MiB page", huge, rss)
	}
}

// smapsKiB reads a field (in kB) of the mapping that holds addr from
// /proc/self/smaps.
func smapsKiB(t *testing.T, addr uintptr, field string) int {
	t.Helper()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	in := false
	for _, line := range strings.Split(string(smaps), "\n") {
		var lo, hi uintptr
		if _, err := fmt.Sscanf(line, "%x-%x ", &lo, &hi); err == nil {
			in = lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, field+":") {
			kb, err := strconv.Atoi(strings.Fields(line)[1])
			if err != nil {
				t.Fatalf("smaps line %q: %v", line, err)
			}
			return kb
		}
	}
	t.Fatalf("no mapping at %#x in /proc/self/smaps", addr)
	return 0
}
