package compat

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/netnstest"
)

// shapes are rule templates of various extensions, %d the rule's number.
var shapes = []string{
	"-s 10.1.%d.0/24 -p tcp -m tcp --dport %d -j ACCEPT",
	"-d 10.2.0.%d/32 -p udp -m udp --sport 1000:%d -j DROP",
	"-i eth%d -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
	"-m comment --comment \"rule %d\" -j RETURN",
	"-m mark --mark 0x%x/0xff -j X",
	"-p tcp -m multiport --dports 80,443,%d -j ACCEPT",
	"-m iprange --src-range 10.3.0.1-10.3.%d.255 -j DROP",
	"-p icmp -m limit --limit %d/min -j LOG --log-prefix \"p \"",
	"! -s 10.4.%d.0/24 -p tcp -j REJECT --reject-with tcp-reset",
}

// A large chain of many kinds of rules, written by iptables-nft, read
// back as iptables-nft reads it (decoding spread over the CPUs), found
// rule by rule by key and by meaning, and read again after a change
// elsewhere in it from what the previous reading knew.
func TestLargeChainReadBack(t *testing.T) {
	const n = 3000
	var rules []string
	for i := range n {
		line := shapes[i%len(shapes)]
		rules = append(rules, fmt.Sprintf(strings.ReplaceAll(line, "%d", "%[1]d"), i%250+1))
	}
	ipt, ns := benchChainByIptables(t, ":X - [0:0]", rules)
	check := func(when string) []string { return listAsIptables(t, ipt, ns, when) }
	lines := check("first read")
	for i := 1; i < len(lines); i += 97 {
		args, err := splitArgs(strings.TrimPrefix(lines[i], "-A BENCH "))
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := ipt.Exists("filter", "BENCH", args...); !ok || err != nil {
			t.Fatalf("Exists(%s) = %v, %v", lines[i], ok, err)
		}
	}
	// By meaning: a spelling iptables-nft would write another way.
	if ok, err := ipt.Exists("filter", "BENCH", "-s", "10.1.1.7/24", "-p", "6", "--dport", "1", "-j", "ACCEPT"); !ok || err != nil {
		t.Fatalf("Exists by meaning = %v, %v", ok, err)
	}
	if ok, err := ipt.Exists("filter", "BENCH", "-s", "10.1.1.0/24", "-p", "tcp", "--dport", "2", "-j", "ACCEPT"); ok || err != nil {
		t.Fatalf("Exists of a rule not there = %v, %v", ok, err)
	}
	ns.MustRun(t, "iptables-nft", "-I", "BENCH", "1500", "-s", "192.0.2.1", "-j", "DROP")
	ns.MustRun(t, "iptables-nft", "-D", "BENCH", "7")
	check("after another process changed it")
}

// A chain read again and again from its last snapshot shares that
// snapshot's unchanged rules (no copy); once more than half the rules it
// last read whole are gone, the next read copies every rule into fresh
// memory, so the few still there do not keep what the others were read
// into. Every read lists what iptables-nft lists.
func TestSnapshotsShareRulesThenReadWhole(t *testing.T) {
	var rules []string
	for i := range 20 {
		rules = append(rules, fmt.Sprintf("-s 10.5.0.%d/32 -j ACCEPT", i))
	}
	ipt, ns := benchChainByIptables(t, "", rules)
	read := func(when string) *chainSnap {
		t.Helper()
		listAsIptables(t, ipt, ns, when)
		st := ipt.state()
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.chains[chainKey{ipt.fam, "filter", "BENCH"}]
	}
	shared := func(a, b *chainSnap) int {
		n := 0
		for _, r := range b.rules {
			for _, o := range a.rules {
				if r == o {
					n++
				}
			}
		}
		return n
	}
	s1 := read("first read")
	for range 11 {
		ns.MustRun(t, "iptables-nft", "-D", "BENCH", "1")
	}
	s2 := read("after 11 deletions")
	if n := shared(s1, s2); n != 9 || s2.dropped != 11 {
		t.Fatalf("after 11 deletions: %d rules shared with the first read (want 9), %d dropped (want 11)", n, s2.dropped)
	}
	ns.MustRun(t, "iptables-nft", "-A", "BENCH", "-s", "10.5.1.1", "-j", "DROP")
	s3 := read("read whole again")
	if n := shared(s2, s3); n != 0 || s3.dropped != 0 || len(s3.rules) != 10 {
		t.Fatalf("read whole: %d rules shared with the last read (want 0), %d dropped (want 0), %d rules", n, s3.dropped, len(s3.rules))
	}
	ns.MustRun(t, "iptables-nft", "-A", "BENCH", "-s", "10.5.1.2", "-j", "DROP")
	s4 := read("after one more append")
	if n := shared(s3, s4); n != 10 {
		t.Fatalf("after an append: %d rules shared with the last read, want 10", n)
	}
}

// benchChainByIptables has iptables-nft-restore write chain BENCH of table
// filter with the given rules (and the other chain declarations of
// others), in a namespace of its own, and returns an IPTables on it.
func benchChainByIptables(t *testing.T, others string, rules []string) (*IPTables, *netnstest.NS) {
	t.Helper()
	needTools(t)
	ns := netnstest.New(t)
	var in strings.Builder
	in.WriteString("*filter\n:INPUT ACCEPT [0:0]\n:BENCH - [0:0]\n")
	if others != "" {
		in.WriteString(others + "\n")
	}
	for _, r := range rules {
		in.WriteString("-A BENCH " + r + "\n")
	}
	in.WriteString("COMMIT\n")
	if _, err := ns.RunInput([]byte(in.String()), "iptables-nft-restore"); err != nil {
		t.Fatal(err)
	}
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	return ipt, ns
}

// listAsIptables lists BENCH and fails t unless it is what iptables-nft
// lists.
func listAsIptables(t *testing.T, ipt *IPTables, ns *netnstest.NS, when string) []string {
	t.Helper()
	got, err := ipt.List("filter", "BENCH")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSpace(ns.MustRun(t, "iptables-nft", "-S", "BENCH")), "\n")
	if !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("%s: line %d:\n got %s\nwant %s", when, i, got[i], want[i])
			}
		}
		t.Fatalf("%s: %d lines, want %d", when, len(got), len(want))
	}
	return got
}

// TestMemoTellsKeysOfOneHashApart files two different rules under one
// hash (as a 64-bit collision would) and a third with the same meaning as
// the first but other counter values: each look-up must come back with
// its own rule's form, the counters making no difference.
func TestMemoTellsKeysOfOneHashApart(t *testing.T) {
	st := newConnState()
	encode := func(rulespec ...string) *xtnl.RawRule {
		t.Helper()
		b := new(builder)
		specs, err := b.parse(-1, IPv4, "filter", "INPUT", rulespec)
		if err != nil {
			t.Fatal(err)
		}
		r, err := b.encode(specs[0])
		if err != nil {
			t.Fatal(err)
		}
		own := *r
		own.Exprs = bytes.Clone(r.Exprs)
		return &own
	}
	const hash = 42
	look := func(r *xtnl.RawRule) string {
		t.Helper()
		d := st.decode(-1, IPv4, r, hash, new(decodeScratch), false)
		if d.err != nil {
			t.Fatal(d.err)
		}
		return d.body
	}
	ssh := encode("-p", "tcp", "--dport", "22", "-j", "ACCEPT")
	web := encode("-p", "tcp", "--dport", "80", "-j", "DROP")
	if a, b := look(ssh), look(web); a == b || !strings.Contains(a, "22") || !strings.Contains(b, "80") {
		t.Fatalf("two keys under one hash decoded as %q and %q", a, b)
	}
	if got := len(st.memo[0]); got != 1 {
		t.Fatalf("memo holds %d hashes, want 1 (both keys chained under it)", got)
	}
	if got := look(ssh); !strings.Contains(got, "22") {
		t.Fatalf("ssh looked up again: %q", got)
	}
	counted := encode("-p", "tcp", "--dport", "22", "-j", "ACCEPT", "-c", "7", "700")
	if bytes.Equal(counted.Exprs, ssh.Exprs) {
		t.Fatal("the counters did not change the rule's bytes: the case is not made")
	}
	d := st.memo[0][hash]
	if got := look(counted); !strings.Contains(got, "22") || st.memo[0][hash] != d {
		t.Fatalf("a rule differing in its counters only was decoded anew (%q), not found by its key", got)
	}
}
