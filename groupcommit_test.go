package xtnl

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// atEachGOMAXPROCS runs test with callers one after another on one CPU,
// and side by side on all of them.
func atEachGOMAXPROCS(t *testing.T, test func(t *testing.T)) {
	for _, procs := range []int{1, runtime.NumCPU()} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			test(t)
		})
	}
}

// announcedBurst runs call(g) for g in [0, callers) on as many goroutines,
// each announced (Expect) before they are released together, and returns
// their results; it fails the test unless the kernel counted (by its
// generation) far fewer commits than callers. On one CPU the callers run
// one after another, and without the announcements nothing would tell the
// first that others are coming (63 commits for 100 Commit callers,
// measured).
func announcedBurst(t *testing.T, c *Conn, callers int, call func(g int) error) []error {
	t.Helper()
	gen0, err := c.Generation()
	if err != nil {
		t.Fatal(err)
	}
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, callers)
	for g := range callers {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			defer c.Expect().Done()
			ready.Done()
			<-start
			errs[g] = call(g)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	gen1, err := c.Generation()
	if err != nil {
		t.Fatal(err)
	}
	commits := gen1 - gen0
	t.Logf("%d callers, %d commits", callers, commits)
	if commits > uint32(callers/4) {
		t.Fatalf("%d commits for %d concurrent callers: not batched", commits, callers)
	}
	return errs
}

// A burst of announced commits (Expect) shares batches: every caller gets
// its own result, a refused operation fails only its own caller, every
// other rule lands once, and the burst costs far fewer commits than
// callers (counted by the kernel's generation), whether the callers run
// one after another on one CPU or side by side on all of them.
func TestExpectedCommitsShareBatches(t *testing.T) {
	needTool(t, "nft")
	atEachGOMAXPROCS(t, testExpectedCommitsShareBatches)
}

func testExpectedCommitsShareBatches(t *testing.T) {
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	const callers, bad = 100, 37
	errs := announcedBurst(t, c, callers, func(g int) error {
		tx := c.Begin()
		chain := "c"
		if g == bad {
			chain = "nosuchchain"
		}
		tx.AppendRule(benchRule(FamilyIPv4, "t", chain, g))
		return tx.Commit()
	})
	for g, err := range errs {
		switch {
		case g == bad && !errors.Is(err, ErrNotExist):
			t.Errorf("caller %d (missing chain): %v, want ErrNotExist", g, err)
		case g != bad && err != nil:
			t.Errorf("caller %d: %v", g, err)
		}
	}
	if got := strings.Count(ns.MustRun(t, "nft", "list", "chain", "ip", "t", "c"), "accept"); got != callers-1 {
		t.Fatalf("chain holds %d rules, want %d", got, callers-1)
	}
}
