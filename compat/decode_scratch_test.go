package compat

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xtnl/xtnl"
)

// Rules decoded one after the other in reused memory (decodeScratch, as a
// listing decodes them) read exactly as each decoded on its own: the same
// -S line and the same form. Every accepted rule of the differential
// corpus, in the corpus's order, reversed and shuffled, so each rule is
// decoded in memory a different rule left behind.
func TestScratchDecodingMatchesFresh(t *testing.T) {
	type encoded struct {
		c    corpusCase
		rule *xtnl.RawRule
		line string
		spec *Spec
	}
	var rules []encoded
	for _, c := range loadCorpus(t) {
		if c.reject {
			continue
		}
		b := new(builder)
		specs, err := b.parse(-1, c.fam, c.table, c.chain, c.args)
		if err != nil {
			continue // needs the kernel's state (a set, say): TestDifferentialCorpus covers it
		}
		for _, s := range specs {
			r, err := b.encode(s)
			if err != nil {
				t.Fatalf("%s:%d: encode: %v", c.file, c.line, err)
			}
			own := *r
			own.Exprs = bytes.Clone(r.Exprs)
			rule, err := own.Decode()
			if err != nil {
				t.Fatalf("%s:%d: %v", c.file, c.line, err)
			}
			fresh, err := DecodeIn(-1, c.fam, rule)
			if err != nil {
				continue // not every rule reads back (TestDifferentialCorpus says which)
			}
			line, _ := fresh.line(fresh.writer())
			rules = append(rules, encoded{c, &own, line, fresh})
		}
	}
	if len(rules) < 500 {
		t.Fatalf("only %d corpus rules parsed and decoded without a kernel", len(rules))
	}
	t.Logf("%d rules of the corpus, each decoded after others in the same memory", len(rules))
	orders := map[string][]int{"corpus": {}, "reversed": {}, "shuffled": {}}
	for i := range rules {
		orders["corpus"] = append(orders["corpus"], i)
	}
	orders["reversed"] = slices.Clone(orders["corpus"])
	slices.Reverse(orders["reversed"])
	orders["shuffled"] = rand.New(rand.NewPCG(1, 2)).Perm(len(rules))
	for name, order := range orders {
		st := newConnState()
		var sc decodeScratch
		for k, i := range order {
			e := rules[i]
			// Each rule's own hash: every rule is decoded, none found in
			// the memo.
			d := st.decode(-1, e.c.fam, e.rule, uint64(k), &sc, false)
			if d.err != nil {
				t.Fatalf("%s: %s:%d %s: %v", name, e.c.file, e.c.line, e.c.text, d.err)
			}
			if d.line != e.line || !strings.HasSuffix(d.line, d.body) {
				t.Fatalf("%s: %s:%d %s:\nscratch %q (body %q)\nfresh   %q", name, e.c.file, e.c.line, e.c.text, d.line, d.body, e.line)
			}
			if d.spec.Load() != nil {
				t.Fatalf("%s: a listing's decoding kept the form", name)
			}
			s, err := sc.decode(-1, e.c.fam, e.rule, false)
			if err != nil {
				t.Fatal(err)
			}
			if !sameForm(s, e.spec) {
				t.Fatalf("%s: %s:%d %s: forms differ:\nscratch %+v\nfresh   %+v", name, e.c.file, e.c.line, e.c.text, *s, *e.spec)
			}
		}
	}
}

// sameForm compares two forms field by field, instances by extension and
// payload.
func sameForm(a, b *Spec) bool {
	sameInst := func(x, y *Instance) bool {
		if x == nil || y == nil {
			return x == y
		}
		return x.Ext == y.Ext && bytes.Equal(x.Info, y.Info)
	}
	if !slices.EqualFunc(a.Matches, b.Matches, sameInst) || !sameInst(a.Target, b.Target) {
		return false
	}
	if (a.Counters == nil) != (b.Counters == nil) || a.Counters != nil && *a.Counters != *b.Counters {
		return false
	}
	x, y := *a, *b
	x.Matches, y.Matches, x.Target, y.Target, x.Counters, y.Counters = nil, nil, nil, nil, nil, nil
	return reflect.DeepEqual(x, y)
}

// A listing keeps each rule's line, not its form: asking for the forms
// afterwards (counters, Stats) decodes them then. Each rule has its own
// chain and counters, also where the same expressions in another chain
// were decoded first.
func TestFormsAfterAListing(t *testing.T) {
	ipt, conn := fakeWithChains(t, "A", "B")
	rule := []string{"-s", "10.0.0.1/32", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ipt.Append("filter", "A", append(rule, "-c", "5", "500")...))
	must(ipt.Append("filter", "B", append(rule, "-c", "7", "700")...))
	must(ipt.Append("filter", "B", "-p", "udp", "--dport", "53", "-j", "DROP"))
	// What a connection that lists nothing first says.
	fresh := func(f func(*IPTables) ([]string, error)) []string {
		t.Helper()
		other, err := New(WithConn(conn))
		if err != nil {
			t.Fatal(err)
		}
		other.cache = newConnState()
		out, err := f(other)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// A's form is decoded after its listing, then B's listing finds the
	// same expressions decoded (A's line, A's form).
	for _, ch := range []string{"A", "B"} {
		lines, err := ipt.List("filter", ch)
		must(err)
		counted, err := ipt.ListWithCounters("filter", ch)
		must(err)
		want := fresh(func(o *IPTables) ([]string, error) { return o.ListWithCounters("filter", ch) })
		if !slices.Equal(counted, want) {
			t.Fatalf("chain %s with counters after a listing:\n%q\nwant\n%q", ch, counted, want)
		}
		if !strings.HasPrefix(lines[1], "-A "+ch+" ") || !strings.Contains(counted[1], "-c ") {
			t.Fatalf("chain %s: %q, %q", ch, lines, counted)
		}
	}
	stats, err := ipt.Stats("filter", "B")
	must(err)
	if len(stats) != 2 || stats[0][0] != "7" || stats[0][1] != "700" {
		t.Fatalf("Stats(B) after listings: %q", stats)
	}
}

// A Writer never changes a string it returned: not by writing on, not by
// growing, not by Reset. What the scratch keeps of a line outlives the
// Writer's reuse for the next.
func TestWriterKeepsWhatItReturned(t *testing.T) {
	var w Writer
	w.WriteString("-A X")
	first := w.String()
	w.WriteByte(' ')
	w.WriteRune('é')
	w.Write([]byte(" -j ACCEPT"))
	w.Grow(1 << 10)
	if first != "-A X" || w.String() != "-A X é -j ACCEPT" || w.Len() != len("-A X é -j ACCEPT") || w.Cap() < 1<<10 {
		t.Fatalf("first %q, now %q (len %d cap %d)", first, w.String(), w.Len(), w.Cap())
	}
	w.Reset()
	w.WriteString("other")
	if first != "-A X" || w.String() != "other" {
		t.Fatalf("after Reset: first %q, now %q", first, w.String())
	}
	var sc decodeScratch
	s := &Spec{nsFd: -1}
	var kept []string
	// Longest first: the next lines are written over the first's memory.
	for _, text := range []string{strings.Repeat("x", 300), "another line", "one line"} {
		w := sc.writer(s)
		w.WriteString(text)
		kept = append(kept, sc.keep(w.String()))
	}
	if kept[0] != strings.Repeat("x", 300) || kept[1] != "another line" || kept[2] != "one line" {
		t.Fatalf("kept %q", kept)
	}
}

// Forms asked for by several goroutines at once after a listing are
// decoded once each and agree (run with -race).
func TestFormsAfterAListingConcurrently(t *testing.T) {
	ipt, _ := fakeWithChains(t, "X")
	for i := range 200 {
		if err := ipt.Append("filter", "X", "-s", fmt.Sprintf("10.9.%d.%d/32", i/250, i%250+1), "-p", "udp", "--dport", fmt.Sprint(1000+i), "-c", fmt.Sprint(i), "1", "-j", "ACCEPT"); err != nil {
			t.Fatal(err)
		}
	}
	lines, err := ipt.List("filter", "X")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([][]string, 4)
	errs := make([]error, 4)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[g], errs[g] = ipt.ListWithCounters("filter", "X")
		}()
	}
	wg.Wait()
	for g := range got {
		if errs[g] != nil {
			t.Fatal(errs[g])
		}
		if !slices.Equal(got[g], got[0]) || len(got[g]) != len(lines) {
			t.Fatalf("goroutine %d listed %d lines, unlike goroutine 0's %d", g, len(got[g]), len(got[0]))
		}
	}
	if want := "-A X -s 10.9.0.8/32 -p udp -m udp --dport 1007 -c 7 1 -j ACCEPT"; got[0][8] != want {
		t.Fatalf("line 8: %q, want %q", got[0][8], want)
	}
}

// fakeWithChains is an IPTables on a fake kernel (the connection is
// closed when the test ends) whose filter table holds the user chains
// named.
func fakeWithChains(t *testing.T, chains ...string) (*IPTables, *xtnl.Conn) {
	t.Helper()
	conn := xtnl.OpenFake()
	t.Cleanup(func() { conn.Close() })
	ipt, err := New(WithConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range chains {
		if err := ipt.NewChain("filter", ch); err != nil {
			t.Fatal(err)
		}
	}
	return ipt, conn
}
