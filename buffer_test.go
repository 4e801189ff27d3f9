package xtnl

import (
	"runtime"
	"strings"
	"testing"
	"time"
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
		tx.Grow(2 << 20) // mapped, not on the heap
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
