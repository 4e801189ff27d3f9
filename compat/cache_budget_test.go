package compat

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// withCacheBudget sets the cache budget for one test (states made from
// then on take it) and restores the default after.
func withCacheBudget(t *testing.T, n int64) {
	t.Helper()
	SetCacheBudget(n)
	t.Cleanup(func() { SetCacheBudget(DefaultCacheBudget) })
}

// heapGrowth runs fn and returns by how much the live heap grew (after a
// collection on both sides), keeping keep alive past the measure.
func heapGrowth(fn func()) int64 {
	before := heapInUse()
	fn()
	after := heapInUse()
	return int64(after) - int64(before)
}

// TestCacheBoundedByBytesAppendDelete: 100k distinct rules appended and
// deleted one by one (an agent churning endpoints) once grew the heap by
// ~98 MiB, a rulespec memoized per rule for good. (With no budget, 28 MiB
// for 20k.)
func TestCacheBoundedByBytesAppendDelete(t *testing.T) {
	const budget = 4 << 20
	withCacheBudget(t, budget)
	ipt, _ := fakeWithChains(t, "CHURN")
	n := 100_000
	if testing.Short() {
		n = 20_000
	}
	growth := heapGrowth(func() {
		for i := range n {
			spec := []string{"-s", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), "-p", "tcp", "--dport", "443", "-j", "ACCEPT"}
			if err := ipt.Append("filter", "CHURN", spec...); err != nil {
				t.Fatal(err)
			}
			if ok, err := ipt.Exists("filter", "CHURN", spec...); err != nil || !ok {
				t.Fatalf("Exists after Append = %v, %v", ok, err)
			}
			if err := ipt.Delete("filter", "CHURN", spec...); err != nil {
				t.Fatal(err)
			}
		}
	})
	runtime.KeepAlive(ipt)
	t.Logf("%d Append/Exists/Delete: heap grew by %.1f MiB (budget %d MiB)", n, float64(growth)/(1<<20), budget>>20)
	if growth > 3*budget {
		t.Errorf("heap grew by %d bytes after %d distinct rules, budget %d", growth, n, budget)
	}
	if rules, err := ipt.List("filter", "CHURN"); err != nil || len(rules) != 1 {
		t.Errorf("List after churn = %q, %v; want only the chain", rules, err)
	}
}

// TestCacheBoundedByBytesLongComments: Exists with 4,000 distinct 64 KiB
// comments once kept every rulespec as given (297 MiB), although the
// kernel keeps 255 bytes of a comment. (With no budget, 289 MiB.)
func TestCacheBoundedByBytesLongComments(t *testing.T) {
	const budget = 4 << 20
	withCacheBudget(t, budget)
	ipt, _ := fakeWithChains(t)
	filler := strings.Repeat("c", 64<<10)
	growth := heapGrowth(func() {
		for i := range 4000 {
			comment := fmt.Sprintf("%05d%s", i, filler)
			ok, err := ipt.Exists("filter", "INPUT", "-m", "comment", "--comment", comment, "-j", "ACCEPT")
			if err != nil || ok {
				t.Fatalf("Exists = %v, %v; want false, nil", ok, err)
			}
		}
	})
	runtime.KeepAlive(ipt)
	t.Logf("4000 Exists with 64 KiB comments: heap grew by %.1f MiB (budget %d MiB)", float64(growth)/(1<<20), budget>>20)
	if growth > 3*budget {
		t.Errorf("heap grew by %d bytes, budget %d", growth, budget)
	}
}

// TestLongCommentKeptAs255Bytes: a comment past 255 bytes is cut there, as
// iptables-nft does, so a rule appended with it is found by its first 255
// bytes and by the whole of it.
func TestLongCommentKeptAs255Bytes(t *testing.T) {
	ipt, _ := fakeWithChains(t)
	long := strings.Repeat("x", 300)
	if err := ipt.Append("filter", "INPUT", "-m", "comment", "--comment", long, "-j", "ACCEPT"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{long, long[:255]} {
		if ok, err := ipt.Exists("filter", "INPUT", "-m", "comment", "--comment", c, "-j", "ACCEPT"); err != nil || !ok {
			t.Errorf("Exists(comment of %d bytes) = %v, %v; want true", len(c), ok, err)
		}
	}
	rules, err := ipt.List("filter", "INPUT")
	if err != nil {
		t.Fatal(err)
	}
	if want := `-A INPUT -m comment --comment ` + long[:255] + ` -j ACCEPT`; len(rules) != 2 || rules[1] != want {
		t.Errorf("List = %q\nwant the rule with %d bytes of comment", rules, 255)
	}
}
