package compat

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/netnstest"
)

// TestConcurrentWritersSameChain: 8 goroutines (4 sharing one IPTables,
// 4 with an IPTables and a netlink socket of their own) and an
// iptables-nft process loop append, insert and delete distinct rules in
// the same chain at once. Afterwards the chain holds exactly the rules
// that were added and not deleted, each once: no write lost to a
// concurrent one, none duplicated by a retry. iptables-nft is both a
// concurrent writer and the reader of the result.
func TestConcurrentWritersSameChain(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	shared, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	const chain, perWorker = "INPUT", 40
	// Worker w's rule i: distinct across workers and iterations.
	spec := func(w, i int) []string {
		return []string{"-s", fmt.Sprintf("10.%d.%d.0/24", w, i), "-j", "ACCEPT"}
	}
	// What iptables-nft -S prints for it.
	line := func(w, i int) string {
		return fmt.Sprintf("-A %s -s 10.%d.%d.0/24 -j ACCEPT", chain, w, i)
	}
	// Each worker appends rule 2k, inserts rule 2k+1 at the top, and
	// deletes every third rule it added, some time after adding it.
	var want []string
	for w := range 9 {
		for i := range perWorker {
			if i%3 != 2 {
				want = append(want, line(w, i))
			}
		}
	}
	type ops interface {
		Append(table, chain string, rulespec ...string) error
		Insert(table, chain string, pos int, rulespec ...string) error
		Delete(table, chain string, rulespec ...string) error
	}
	work := func(w int, ipt ops) error {
		for i := range perWorker {
			var err error
			if i%2 == 0 {
				err = ipt.Append("filter", chain, spec(w, i)...)
			} else {
				err = ipt.Insert("filter", chain, 1, spec(w, i)...)
			}
			if err != nil {
				return fmt.Errorf("worker %d add %d: %w", w, i, err)
			}
			if i%3 == 2 {
				if err := ipt.Delete("filter", chain, spec(w, i)...); err != nil {
					return fmt.Errorf("worker %d delete %d: %w", w, i, err)
				}
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 9)
	for w := range 8 {
		ipt := shared
		if w >= 4 {
			// Its own socket: an IPTables from New shares the process's
			// connection to the namespace, as go-iptables users get it.
			conn, err := xtnl.Open(xtnl.WithNetNS(ns.Name))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ipt = &IPTables{proto: ProtocolIPv4, fam: IPv4, conn: conn}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := work(w, ipt); err != nil {
				errs <- err
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := work(8, cliWriter{ns}); err != nil {
			errs <- err
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	var got []string
	for _, l := range strings.Split(ns.MustRun(t, "iptables-nft", "-S", chain), "\n") {
		if strings.HasPrefix(l, "-A ") {
			got = append(got, l)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("chain holds %d rules, want %d:\nmissing: %v\nunexpected: %v", len(got), len(want), minus(want, got), minus(got, want))
	}
	// Every rule is intact as a rule: our own reading agrees.
	rules, err := shared.List("filter", chain)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != len(want)+1 {
		t.Fatalf("List shows %d lines, want the policy and %d rules", len(rules), len(want))
	}
}

// minus returns the elements of a (a multiset) not matched in b.
func minus(a, b []string) []string {
	left := map[string]int{}
	for _, s := range b {
		left[s]++
	}
	var out []string
	for _, s := range a {
		if left[s] > 0 {
			left[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}

// cliWriter does the same operations by running iptables-nft, as another
// process on the machine would.
type cliWriter struct{ ns *netnstest.NS }

func (c cliWriter) Append(table, chain string, rulespec ...string) error {
	_, err := c.ns.Run("iptables-nft", append([]string{"-t", table, "-A", chain}, rulespec...)...)
	return err
}

func (c cliWriter) Insert(table, chain string, pos int, rulespec ...string) error {
	_, err := c.ns.Run("iptables-nft", append([]string{"-t", table, "-I", chain, fmt.Sprint(pos)}, rulespec...)...)
	return err
}

func (c cliWriter) Delete(table, chain string, rulespec ...string) error {
	_, err := c.ns.Run("iptables-nft", append([]string{"-t", table, "-D", chain}, rulespec...)...)
	return err
}

// TestConcurrentAppendsShareBuilders: Append gives its builder back once
// committed, so 100 appends one after another are served by one or two
// builders; then 100 goroutines append at once through one IPTables, each
// holding a builder until its (shared) commit is done, so at most one per
// call in flight; and every rule lands, as iptables-nft shows.
func TestConcurrentAppendsShareBuilders(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	if err := ipt.NewChain("filter", "C"); err != nil {
		t.Fatal(err)
	}
	var made atomic.Int64
	defer func(old func() any) { builders.New = old }(builders.New)
	builders.New = func() any { made.Add(1); return new(builder) }
	const n = 100
	for g := range n {
		if err := ipt.Append("filter", "C", "-s", fmt.Sprintf("10.1.%d.1", g), "-j", "ACCEPT"); err != nil {
			t.Fatal(err)
		}
	}
	if m := made.Load(); m > 2 {
		t.Fatalf("%d builders made for %d appends one after another; want them reused", m, n)
	}
	made.Store(0)
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[g] = ipt.Append("filter", "C", "-s", fmt.Sprintf("10.0.%d.1", g), "-j", "ACCEPT")
		}()
	}
	close(start)
	wg.Wait()
	for g, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", g, err)
		}
	}
	if got := strings.Count(ns.MustRun(t, "iptables-nft", "-S", "C"), "-A C "); got != 2*n {
		t.Fatalf("chain C holds %d rules, want %d", got, 2*n)
	}
	t.Logf("%d builders made for the burst", made.Load())
	if m := made.Load(); m > n {
		t.Errorf("%d builders made for %d concurrent appends; want at most one per call", m, n)
	}
}
