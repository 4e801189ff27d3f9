package xtnl

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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

// A burst of CommitFunc calls shares the building as well as the commits:
// every build runs exactly once, every caller gets its own result (a
// build's error, a refused operation, an empty transaction's success),
// every other rule lands once, and the burst costs far fewer commits than
// callers.
func TestCommitFuncBurstSharesBatches(t *testing.T) {
	needTool(t, "nft")
	atEachGOMAXPROCS(t, testCommitFuncBurst)
}

func testCommitFuncBurst(t *testing.T) {
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	const callers, refused, failing, empty = 100, 37, 51, 73
	errBuild := errors.New("rule spec refused")
	builds := make([]atomic.Int32, callers)
	errs := announcedBurst(t, c, callers, func(g int) error {
		return c.CommitFunc(func(tx *Tx) error {
			builds[g].Add(1)
			switch g {
			case failing:
				tx.AppendRule(benchRule(FamilyIPv4, "t", "c", g))
				return errBuild
			case empty:
				return nil
			case refused:
				tx.AppendRule(benchRule(FamilyIPv4, "t", "nosuchchain", g))
			default:
				tx.AppendRule(benchRule(FamilyIPv4, "t", "c", g))
			}
			return nil
		})
	})
	for g, err := range errs {
		if n := builds[g].Load(); n != 1 {
			t.Errorf("caller %d: built %d times", g, n)
		}
		switch {
		case g == refused && !errors.Is(err, ErrNotExist):
			t.Errorf("caller %d (missing chain): %v, want ErrNotExist", g, err)
		case g == failing && err != errBuild:
			t.Errorf("caller %d (build failed): %v, want the build's error", g, err)
		case g != refused && g != failing && err != nil:
			t.Errorf("caller %d: %v", g, err)
		}
	}
	listing := ns.MustRun(t, "nft", "list", "chain", "ip", "t", "c")
	if got := strings.Count(listing, "accept"); got != callers-3 {
		t.Fatalf("chain holds %d rules, want %d", got, callers-3)
	}
	for _, g := range []int{refused, failing, empty} {
		if strings.Contains(listing, fmt.Sprintf("10.0.0.%d ", g)) {
			t.Errorf("caller %d's rule was committed", g)
		}
	}
}

// A lone CommitFunc commits what it built; a build that adds nothing
// commits nothing.
func TestCommitFuncAlone(t *testing.T) {
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	gen0, err := c.Generation()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CommitFunc(func(tx *Tx) error { return nil }); err != nil {
		t.Fatalf("empty build: %v", err)
	}
	if gen, _ := c.Generation(); gen != gen0 {
		t.Fatalf("an empty build committed (generation %d → %d)", gen0, gen)
	}
	if err := c.CommitFunc(func(tx *Tx) error {
		tx.AppendRule(benchRule(FamilyIPv4, "t", "c", 1))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(ns.MustRun(t, "nft", "list", "chain", "ip", "t", "c"), "accept"); got != 1 {
		t.Fatalf("chain holds %d rules, want 1", got)
	}
}
