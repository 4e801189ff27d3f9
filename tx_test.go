package xtnl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
)

// benchRule is "ip saddr 10.a.b.c tcp dport P counter accept", the shape the
// benchmarks and large-transaction tests load.
func benchRule(fam Family, table, chain string, i int) *Rule {
	return &Rule{Family: fam, Table: table, Chain: chain, Exprs: []expr.Expr{
		&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte{10, byte(i >> 16), byte(i >> 8), byte(i)}},
		&nftexpr.Meta{Key: nftexpr.MetaKeyL4PROTO, Register: 1},
		&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte{6}},
		&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, uint16(1024+i%60000))},
		&nftexpr.Counter{},
		accept(),
	}}
}

func TestLargeTransactionCommits(t *testing.T) {
	c, ns := newTestConn(t)
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	tx := c.Begin()
	tx.AddTable(&Table{Family: FamilyIPv4, Name: "t"})
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"})
	for i := range n {
		tx.AppendRule(benchRule(FamilyIPv4, "t", "c", i))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rules, err := c.ListRules(FamilyIPv4, "t", "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != n {
		t.Fatalf("kernel holds %d rules, want %d", len(rules), n)
	}
	// The kernel's own count, through nft.
	out := ns.MustRun(t, "nft", "list", "chain", "ip", "t", "c")
	if got := strings.Count(out, "accept"); got != n {
		t.Fatalf("nft lists %d rules, want %d", got, n)
	}
	last := rules[n-1].Exprs[1].(*nftexpr.Cmp).Data
	if want := []byte{10, byte((n - 1) >> 16), byte((n - 1) >> 8), byte(n - 1)}; string(last) != string(want) {
		t.Fatalf("last rule matches %v, want %v", last, want)
	}
}

func TestFailedTransactionChangesNothing(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	for i := range 3 {
		if err := c.AppendRule(benchRule(FamilyIPv4, "t", "c", i)); err != nil {
			t.Fatal(err)
		}
	}
	before := ns.MustRun(t, "nft", "list", "ruleset")
	const n, bad = 10_000, 7_777
	tx := c.Begin()
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "new"})
	for i := range n {
		r := benchRule(FamilyIPv4, "t", "c", i)
		if i == bad {
			// The kernel refuses a jump to a chain that does not exist.
			r.Exprs[len(r.Exprs)-1] = &nftexpr.Verdict{Kind: nftexpr.VerdictJump, Chain: "missing"}
		}
		tx.AppendRule(r)
	}
	err := tx.Commit()
	var oe *OpError
	if !errors.As(err, &oe) || !errors.Is(err, ErrNotExist) {
		t.Fatalf("commit: %v, want an *OpError matching ErrNotExist", err)
	}
	if oe.Index != bad+1 || oe.Op != "append rule" || oe.Object != "rule ip t c" {
		t.Fatalf("error names operation %d (%s %s), want %d (append rule rule ip t c)", oe.Index, oe.Op, oe.Object, bad+1)
	}
	if after := ns.MustRun(t, "nft", "list", "ruleset"); after != before {
		t.Fatalf("ruleset changed by a failed transaction:\n%s\n---\n%s", before, after)
	}
	// Invalid input is refused before anything is sent.
	tx = c.Begin()
	tx.AppendRule(benchRule(FamilyIPv4, "t", "c", 1))
	tx.AppendRule(&Rule{Family: FamilyIPv4, Table: "t", Chain: "c", Exprs: []expr.Expr{42}})
	if err := tx.Commit(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "operation 1") {
		t.Fatalf("commit with an unencodable expression: %v", err)
	}
	if after := ns.MustRun(t, "nft", "list", "ruleset"); after != before {
		t.Fatal("ruleset changed by a refused transaction")
	}
}

func TestGenerationConditionalCommit(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	gen, err := c.Generation()
	if err != nil {
		t.Fatal(err)
	}
	ns.MustRun(t, "nft", "add", "table", "ip", "other") // another writer
	gen2, err := c.Generation()
	if err != nil {
		t.Fatal(err)
	}
	if gen2 == gen {
		t.Fatalf("generation did not move: %d", gen)
	}
	tx := c.Begin()
	tx.IfGeneration(gen)
	tx.AppendRule(benchRule(FamilyIPv4, "t", "c", 1))
	err = tx.Commit()
	if !errors.Is(err, ErrGenerationChanged) {
		t.Fatalf("stale commit: %v, want ErrGenerationChanged", err)
	}
	if rules, _ := c.ListRules(FamilyIPv4, "t", "c"); len(rules) != 0 {
		t.Fatal("stale commit was applied")
	}
	// Update retries with fresh state.
	calls := 0
	err = c.Update(3, func(tx *Tx) error {
		calls++
		if calls == 1 {
			ns.MustRun(t, "nft", "add", "table", "ip", "other2")
		}
		tx.AppendRule(benchRule(FamilyIPv4, "t", "c", 2))
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("Update: %v after %d calls, want success after 2", err, calls)
	}
	// A conflict on every attempt surfaces as ErrGenerationChanged.
	err = c.Update(2, func(tx *Tx) error {
		ns.MustRun(t, "nft", "add", "table", "ip", fmt.Sprintf("x%d", calls))
		calls++
		tx.AppendRule(benchRule(FamilyIPv4, "t", "c", 3))
		return nil
	})
	if !errors.Is(err, ErrGenerationChanged) {
		t.Fatalf("Update with constant conflicts: %v", err)
	}
	if rules, _ := c.ListRules(FamilyIPv4, "t", "c"); len(rules) != 1 {
		t.Fatalf("%d rules, want 1", len(rules))
	}
}

func TestConcurrentUseOfOneConn(t *testing.T) {
	c, _ := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	const goroutines, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := benchRule(FamilyIPv4, "t", "c", g*each+i)
				if err := c.AppendRule(r); err != nil {
					errs <- err
					return
				}
				if i%10 == 0 {
					if _, err := c.ListRules(FamilyIPv4, "t", "c"); err != nil {
						errs <- err
						return
					}
				}
				if i%3 == 0 {
					if err := c.DelRule(r); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rules, err := c.ListRules(FamilyIPv4, "t", "c")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rules {
		seen[string(r.Exprs[1].(*nftexpr.Cmp).Data)] = true
	}
	want := goroutines * (each - (each+2)/3)
	if len(rules) != want || len(seen) != want {
		t.Fatalf("%d rules (%d distinct), want %d", len(rules), len(seen), want)
	}
}

// TestCutPartsMergeInAnyOrder writes three parts one after the other into
// one transaction's buffer, cutting each off, and merges them in another
// order: the kernel must hold the rules in merge order, and a refused
// operation must be named by its place in the merged transaction.
func TestCutPartsMergeInAnyOrder(t *testing.T) {
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	w := c.Begin()
	w.reserve(2 << 20)
	var parts []*Tx
	for p := range 3 {
		for i := p * 10; i < p*10+10; i++ {
			w.AppendRule(benchRule(FamilyIPv4, "t", "c", i))
		}
		parts = append(parts, w.cut())
		if w.Len() != 0 {
			t.Fatalf("after Cut the transaction holds %d operations", w.Len())
		}
	}
	for p := 1; p < 3; p++ {
		prev, cur := parts[p-1].enc.B, parts[p].enc.B
		if unsafe.Pointer(unsafe.SliceData(cur)) != unsafe.Add(unsafe.Pointer(unsafe.SliceData(prev)), len(prev)) {
			t.Fatalf("part %d was not written right after part %d in the one buffer", p, p-1)
		}
	}
	tx := c.Begin()
	tx.merge(parts[2], parts[0], parts[1])
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	out := ns.MustRun(t, "nft", "list", "chain", "ip", "t", "c")
	var order []string
	for _, line := range strings.Split(out, "\n") {
		if _, rest, ok := strings.Cut(line, "ip saddr 10.0.0."); ok {
			order = append(order, strings.Fields(rest)[0])
		}
	}
	want := []string{}
	for _, p := range []int{2, 0, 1} {
		for i := p * 10; i < p*10+10; i++ {
			want = append(want, strconv.Itoa(i))
		}
	}
	if !slices.Equal(order, want) {
		t.Fatalf("rules in the chain: %v\nwant %v", order, want)
	}

	// A part refused by the kernel: an append to a chain that does not
	// exist, 5th operation of the part merged second.
	for i := range 10 {
		r := benchRule(FamilyIPv4, "t", "c", 100+i)
		if i == 4 {
			r.Chain = "missing"
		}
		w.AppendRule(r)
	}
	bad := w.cut()
	for i := range 3 {
		w.AppendRule(benchRule(FamilyIPv4, "t", "c", 200+i))
	}
	good := w.cut()
	tx = c.Begin()
	tx.merge(good, bad)
	err := tx.Commit()
	var oe *OpError
	if !errors.As(err, &oe) || oe.Index != 3+4 || !strings.Contains(oe.Object, "missing") {
		t.Fatalf("commit: %v; want an *OpError for operation 7 naming chain missing", err)
	}
}
