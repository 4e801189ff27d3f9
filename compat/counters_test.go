package compat

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xtnl/xtnl/netnstest"
)

// Counters are live: traffic moves them without changing the ruleset's
// generation, so whatever reads them (ListWithCounters, Stats) must read
// the kernel again, not a snapshot of the last listing. Identical rules
// each keep their own counts. iptables-nft, reading the same namespace,
// is the oracle.
func TestCountersAreLive(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t) // lo up
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	input := "*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:X - [0:0]\n" +
		"[5:100] -A OUTPUT -d 127.0.0.1/32 -p icmp -j ACCEPT\n" +
		"[7:200] -A OUTPUT -d 127.0.0.1/32 -p icmp -j ACCEPT\n" +
		"[9:300] -A X -d 127.0.0.1/32 -p icmp -j ACCEPT\n" +
		"COMMIT\n"
	if err := ipt.Restore(strings.NewReader(input), RestoreCounters()); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, chain := range []string{"OUTPUT", "X"} {
			got, err := ipt.ListWithCounters("filter", chain)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Split(strings.TrimSpace(ns.MustRun(t, "iptables-nft", "-v", "-S", chain)), "\n")
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: ListWithCounters %s:\n got %q\nwant %q", when, chain, got, want)
			}
			stats, err := ipt.Stats("filter", chain)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(ns.MustRun(t, "iptables-nft", "-L", chain, "-n", "-v", "-x")), "\n")[2:]
			for i, l := range lines {
				f := strings.Fields(l)
				if stats[i][0] != f[0] || stats[i][1] != f[1] {
					t.Fatalf("%s: Stats %s rule %d counts %s %s, iptables-nft %s %s", when, chain, i, stats[i][0], stats[i][1], f[0], f[1])
				}
			}
		}
	}
	check("restored")
	pings(t, ns, 3)
	check("after traffic")
	if _, err := ipt.Exists("filter", "OUTPUT", "-d", "127.0.0.1", "-p", "icmp", "-j", "ACCEPT"); err != nil {
		t.Fatal(err)
	}
	pings(t, ns, 2)
	check("after more traffic")
	if err := ipt.ZeroCounters("filter", "OUTPUT"); err != nil {
		t.Fatal(err)
	}
	check("zeroed")
}

// pings sends n echo requests to 127.0.0.1, all of which must be
// answered: 2n packets through OUTPUT (requests and replies).
func pings(t *testing.T, ns *netnstest.NS, n int) {
	t.Helper()
	r := ns.Expect(t, netnstest.Ping("127.0.0.1").Count(n).Interval(10*time.Millisecond), netnstest.Reached)
	if r.Replies != n {
		t.Fatalf("ping 127.0.0.1: %s, want %d/%d", r, n, n)
	}
}
