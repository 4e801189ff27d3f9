package xtnl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
)

// markRule is a rule "meta mark 0x<n> accept": easy to tell apart in nft's
// listing.
func markRule(fam Family, table, chain string, n uint32) *Rule {
	return &Rule{Family: fam, Table: table, Chain: chain, Exprs: []expr.Expr{
		&nftexpr.Meta{Key: nftexpr.MetaKeyMARK, Register: 1},
		&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: binary.NativeEndian.AppendUint32(nil, n)},
		&nftexpr.Counter{},
		accept(),
	}}
}

func setupChain(t *testing.T, c *Conn, fam Family, table, chain string) {
	t.Helper()
	tx := c.Begin()
	tx.AddTable(&Table{Family: fam, Name: table})
	tx.AddChain(&Chain{Family: fam, Table: table, Name: chain})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// marks lists the chain with nft and returns the marks of its rules, in
// order: the kernel's view, not ours.
func marks(t *testing.T, out string) string {
	t.Helper()
	var m []string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "meta mark ") {
			m = append(m, strings.Fields(line)[2])
		}
	}
	return strings.Join(m, " ")
}

func TestRulePositions(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	list := func() string { return marks(t, ns.MustRun(t, "nft", "list", "chain", "ip", "t", "c")) }

	r1 := markRule(FamilyIPv4, "t", "c", 1)
	if err := c.AppendRule(r1); err != nil {
		t.Fatal(err)
	}
	if r1.Handle == 0 {
		t.Fatal("AppendRule did not return a handle")
	}
	r2 := markRule(FamilyIPv4, "t", "c", 2)
	if err := c.AppendRule(r2); err != nil {
		t.Fatal(err)
	}
	if err := c.InsertRule(markRule(FamilyIPv4, "t", "c", 3)); err != nil { // top
		t.Fatal(err)
	}
	r4 := markRule(FamilyIPv4, "t", "c", 4)
	r4.Position = r2.Handle
	if err := c.InsertRule(r4); err != nil { // before r2
		t.Fatal(err)
	}
	r5 := markRule(FamilyIPv4, "t", "c", 5)
	r5.Position = r1.Handle
	if err := c.AppendRule(r5); err != nil { // after r1
		t.Fatal(err)
	}
	if err := c.InsertRuleAt(markRule(FamilyIPv4, "t", "c", 6), 2); err != nil {
		t.Fatal(err)
	}
	if err := c.InsertRuleAt(markRule(FamilyIPv4, "t", "c", 7), 6); err != nil { // == len: append
		t.Fatal(err)
	}
	if err := c.InsertRuleAt(markRule(FamilyIPv4, "t", "c", 8), 99); err == nil {
		t.Fatal("insert past the end succeeded")
	}
	if got, want := list(), "0x00000003 0x00000001 0x00000006 0x00000005 0x00000004 0x00000002 0x00000007"; got != want {
		t.Fatalf("order = %s, want %s", got, want)
	}

	r9 := markRule(FamilyIPv4, "t", "c", 9)
	r9.Handle = r1.Handle
	if err := c.ReplaceRule(r9); err != nil {
		t.Fatal(err)
	}
	if err := c.DelRule(r2); err != nil {
		t.Fatal(err)
	}
	if got, want := list(), "0x00000003 0x00000009 0x00000006 0x00000005 0x00000004 0x00000007"; got != want {
		t.Fatalf("after replace+delete order = %s, want %s", got, want)
	}

	rules, err := c.ListRules(FamilyIPv4, "t", "c")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rules {
		got = append(got, fmt.Sprintf("%x", r.Exprs[1].(*nftexpr.Cmp).Data))
	}
	if strings.Join(got, " ") != "03000000 09000000 06000000 05000000 04000000 07000000" {
		t.Fatalf("ListRules order = %v", got)
	}
	if rules[1].Handle != r1.Handle {
		t.Fatalf("replaced rule handle %d, want %d", rules[1].Handle, r1.Handle)
	}

	if err := c.FlushChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"}); err != nil {
		t.Fatal(err)
	}
	if got := list(); got != "" {
		t.Fatalf("after flush: %q", got)
	}
}

func TestCountersAndUserData(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	// A rule nft writes with a counter and a comment (user data).
	ns.MustRun(t, "nft", `add table ip t; add chain ip t c; add rule ip t c meta mark 7 counter packets 12 bytes 3400 accept comment "hi there"`)
	rules, err := c.ListRules(FamilyIPv4, "t", "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 1 {
		t.Fatalf("%d rules", len(rules))
	}
	cnt, ok := rules[0].Counters()
	if !ok || cnt.Packets != 12 || cnt.Bytes != 3400 {
		t.Fatalf("counters = %+v %v", cnt, ok)
	}
	if !bytes.Contains(rules[0].UserData, []byte("hi there")) {
		t.Fatalf("user data = %q", rules[0].UserData)
	}
	before, err := c.ResetCounters(FamilyIPv4, "t", "c")
	if err != nil {
		t.Fatal(err)
	}
	if cnt, _ := before[0].Counters(); cnt.Packets != 12 {
		t.Fatalf("reset returned %+v", cnt)
	}
	if out := ns.MustRun(t, "nft", "list", "chain", "ip", "t", "c"); !strings.Contains(out, "counter packets 0 bytes 0") {
		t.Fatalf("counters not reset:\n%s", out)
	}
	// Our write of the same rule, user data included, lists identically.
	r := rules[0]
	r.Handle = 0
	if err := c.AppendRule(r); err != nil {
		t.Fatal(err)
	}
	out := ns.MustRun(t, "nft", "list", "chain", "ip", "t", "c")
	// The copy carries the counter values it was read with, as iptables -c does.
	if !strings.Contains(out, `meta mark 0x00000007 counter packets 0 bytes 0 accept comment "hi there"`) ||
		!strings.Contains(out, `meta mark 0x00000007 counter packets 12 bytes 3400 accept comment "hi there"`) {
		t.Fatalf("rule copied by us lists differently:\n%s", out)
	}
}

// TestForeignExpressionsKept: rules nft writes with expressions that
// google/nftables cannot decode (or not exactly) are read with every
// expression present, and written back byte for byte.
func TestForeignExpressionsKept(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	script := `table ip t {
	chain c {
		type filter hook prerouting priority mangle; policy accept;
		fib daddr type local counter
		ct mark set meta mark & 0xff
		tcp dport 80 dup to 10.9.9.9
		meta random & 1 == 0 drop
		ip ttl set 5
		meta mark set jhash ip saddr mod 2
		meta mark set numgen inc mod 4
		meta l4proto tcp tproxy to 127.0.0.1:50080 accept
		meta secpath exists drop
		socket transparent 1 accept
		limit rate 10/second log prefix "x " group 3
	}
}
`
	if _, err := ns.RunInput([]byte(script), "nft", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	dbg := ns.MustRun(t, "nft", "--debug=netlink", "list", "chain", "ip", "t", "c")
	wantCounts := exprCountsFromDebug(dbg)
	rules, err := c.ListRules(FamilyIPv4, "t", "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != len(wantCounts) {
		t.Fatalf("%d rules read, nft shows %d", len(rules), len(wantCounts))
	}
	for i, r := range rules {
		if len(r.Exprs) != wantCounts[i] {
			t.Errorf("rule %d: %d expressions read, nft shows %d", i, len(r.Exprs), wantCounts[i])
		}
	}
	before := ns.MustRun(t, "nft", "--debug=netlink", "list", "chain", "ip", "t", "c")
	// Write them all again into a second chain: nft must list it the same.
	setupChain(t, c, FamilyIPv4, "t", "d")
	tx := c.Begin()
	for _, r := range rules {
		r.Chain, r.Handle = "d", 0
		tx.AppendRule(r)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	after := ns.MustRun(t, "nft", "--debug=netlink", "list", "chain", "ip", "t", "d")
	if n := strings.Count(stripDebugNoise(before), "  [ "); n < 30 {
		t.Fatalf("only %d expression lines compared:\n%s", n, before)
	}
	if stripDebugNoise(before) != stripDebugNoise(after) {
		t.Fatalf("copied rules differ:\n%s\n---\n%s", before, after)
	}
}

// exprCountsFromDebug counts the "  [ ... ]" lines of each rule in nft
// --debug=netlink output.
func exprCountsFromDebug(out string) []int {
	var counts []int
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "ip t ") || strings.HasPrefix(line, "ip6 t ") || strings.HasPrefix(line, "inet t "):
			counts = append(counts, 0)
		case strings.HasPrefix(line, "  [ ") && len(counts) > 0:
			counts[len(counts)-1]++
		}
	}
	return counts
}

// stripDebugNoise keeps what must be identical between two chains holding
// the same rules: the expression lines and the rules as nft lists them
// (not chain names, handles or a base chain's hook line).
func stripDebugNoise(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "  [ ") || (strings.HasPrefix(line, "\t\t") && !strings.Contains(line, " hook ")) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// rawMarkRule is markRule with its expressions encoded by expr's
// appenders instead of built as values.
func rawMarkRule(fam Family, table, chain string, n uint32) *RawRule {
	var b []byte
	b = expr.AppendMeta(b, nftexpr.MetaKeyMARK, 1)
	b = expr.AppendCmp(b, nftexpr.CmpOpEq, 1, binary.NativeEndian.AppendUint32(nil, n))
	b = expr.AppendCounter(b, 0, 0)
	b = expr.AppendVerdict(b, nftexpr.VerdictAccept, "")
	return &RawRule{Family: fam, Table: table, Chain: chain, Exprs: b}
}

// Rules written pre-encoded land as the same rules written as values do,
// as nft reads them, at the positions asked for; the handles they get are
// those the dump reports.
func TestRawRules(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "values")
	setupChain(t, c, FamilyIPv4, "t", "raw")
	for i := uint32(1); i <= 3; i++ {
		if err := c.AppendRule(markRule(FamilyIPv4, "t", "values", i)); err != nil {
			t.Fatal(err)
		}
	}
	tx := c.Begin()
	tx.AppendRawRule(rawMarkRule(FamilyIPv4, "t", "raw", 1))
	tx.AppendRawRule(rawMarkRule(FamilyIPv4, "t", "raw", 3))
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := c.ListRulesRaw(FamilyIPv4, "t", "raw")
	if err != nil || len(got) != 2 {
		t.Fatalf("raw chain: %v %v", got, err)
	}
	two := rawMarkRule(FamilyIPv4, "t", "raw", 2)
	two.Position = got[1].Handle // before the rule of mark 3
	tx = c.Begin()
	tx.InsertRawRule(two)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	body := func(chain string) string {
		out := ns.MustRun(t, "nft", "--debug=netlink", "list", "chain", "ip", "t", chain)
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "  [ ") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	}
	if v, r := body("values"), body("raw"); v != r || v == "" {
		t.Fatalf("pre-encoded rules differ from rules written as values:\n%s\n---\n%s", r, v)
	}

	// Replace keeps the position; a bad name is refused before sending.
	back, err := c.ListRulesRaw(FamilyIPv4, "t", "raw")
	if err != nil || len(back) != 3 {
		t.Fatalf("raw chain: %v %v", back, err)
	}
	nine := rawMarkRule(FamilyIPv4, "t", "raw", 9)
	nine.Handle = back[0].Handle
	tx = c.Begin()
	tx.ReplaceRawRule(nine)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if m := marks(t, ns.MustRun(t, "nft", "list", "chain", "ip", "t", "raw")); m != "0x00000009 0x00000002 0x00000003" {
		t.Fatalf("marks after replace: %s", m)
	}
	tx = c.Begin()
	tx.AppendRawRule(rawMarkRule(FamilyIPv4, "t", "", 4))
	if err := tx.Commit(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty chain name: %v, want ErrInvalid", err)
	}
	tx = c.Begin()
	tx.ReplaceRawRule(rawMarkRule(FamilyIPv4, "t", "raw", 4))
	if err := tx.Commit(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("replace without handle: %v, want ErrInvalid", err)
	}
}

// A re-read hands back the earlier listing's rule for each rule unchanged
// (so compat re-reads a large chain without copying it) and a fresh one
// for each rule replaced, moved by traffic or new; either way it lists
// what a plain dump lists.
func TestListRulesRawReusing(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	for i := uint32(1); i <= 5; i++ {
		if err := c.AppendRule(markRule(FamilyIPv4, "t", "c", i)); err != nil {
			t.Fatal(err)
		}
	}
	first, err := c.ListRulesRaw(FamilyIPv4, "t", "c")
	if err != nil || len(first) != 5 {
		t.Fatalf("first listing: %d rules, %v", len(first), err)
	}
	// Another writer: rule 2 replaced under its handle, rule 4 deleted, a
	// rule inserted first, and rule 5 given other counts (its expressions
	// otherwise the same, as when traffic moves them).
	ns.MustRun(t, "nft", "replace", "rule", "ip", "t", "c", "handle", fmt.Sprint(first[1].Handle), "meta", "mark", "0x20", "counter", "accept")
	ns.MustRun(t, "nft", "delete", "rule", "ip", "t", "c", "handle", fmt.Sprint(first[3].Handle))
	ns.MustRun(t, "nft", "insert", "rule", "ip", "t", "c", "meta", "mark", "0x30", "counter", "accept")
	rule5 := fmt.Sprint(first[4].Handle)
	ns.MustRun(t, "nft", "replace", "rule", "ip", "t", "c", "handle", rule5, "meta", "mark", "0x00000005", "counter", "packets", "7", "bytes", "70", "accept")

	again, from, err := c.listRulesRaw(FamilyIPv4, "t", "c", first, true)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := c.ListRulesRaw(FamilyIPv4, "t", "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(plain) || len(again) != 5 {
		t.Fatalf("re-read %d rules, plain listing %d, want 5", len(again), len(plain))
	}
	var reused []int
	for i, r := range again {
		p := plain[i]
		if r.Handle != p.Handle || r.Table != p.Table || r.Chain != p.Chain || r.Family != p.Family ||
			!bytes.Equal(r.Exprs, p.Exprs) || !bytes.Equal(r.UserData, p.UserData) {
			t.Errorf("rule %d: re-read %+v, plain listing %+v", i, r, p)
		}
		for j, f := range first {
			if r == f {
				reused = append(reused, j)
			}
		}
	}
	// Unchanged: the rules of marks 1 and 3 (positions 0 and 2 before).
	if fmt.Sprint(reused) != "[0 2]" {
		t.Fatalf("rules handed back from the first listing: %v, want [0 2]", reused)
	}
	// Now: the inserted rule, mark 1, mark 0x20, mark 3, mark 5 recounted.
	if fmt.Sprint(from) != "[-1 0 -1 2 -1]" {
		t.Fatalf("positions in the first listing: %v, want [-1 0 -1 2 -1]", from)
	}
}

// Rules found past a run of deletions longer than the walk looks ahead
// are found by handle.
func TestListRulesRawReusingAfterDeletions(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	for i := uint32(1); i <= 8; i++ {
		if err := c.AppendRule(markRule(FamilyIPv4, "t", "c", i)); err != nil {
			t.Fatal(err)
		}
	}
	first, err := c.ListRulesRaw(FamilyIPv4, "t", "c")
	if err != nil || len(first) != 8 {
		t.Fatalf("first listing: %d rules, %v", len(first), err)
	}
	for _, i := range []int{1, 2, 3, 4} {
		ns.MustRun(t, "nft", "delete", "rule", "ip", "t", "c", "handle", fmt.Sprint(first[i].Handle))
	}
	again, from, err := c.listRulesRaw(FamilyIPv4, "t", "c", first, true)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(from) != "[0 5 6 7]" {
		t.Fatalf("positions in the first listing: %v, want [0 5 6 7]", from)
	}
	for i, j := range from {
		if again[i] != first[j] {
			t.Fatalf("rule %d is not the first listing's rule %d", i, j)
		}
	}
}
