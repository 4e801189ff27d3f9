package compat

import (
	"regexp"
	"strings"
	"testing"

	"github.com/xtnl/xtnl/netnstest"
)

// Containment: what other tools wrote (their own nft table, their chains
// and rules inside the iptables tables, a policy they set) is left exactly
// as it was by everything we do elsewhere, down to rule handles, which
// would change if we deleted and re-created their objects.

// snapshot is `nft -a list ruleset`: every object with its handle.
func snapshot(t *testing.T, ns *netnstest.NS) string {
	t.Helper()
	return ns.MustRun(t, "nft", "-a", "list", "ruleset")
}

// nftTable is one table of `nft -a list table`, or "" when it does not
// exist.
func nftTable(t *testing.T, ns *netnstest.NS, fam, name string) string {
	t.Helper()
	out, err := ns.Run("nft", "-a", "list", "table", fam, name)
	if err != nil {
		return ""
	}
	return out
}

func TestContainmentOfOthersRules(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	setupOthers(t, ns)
	ns.MustRun(t, "iptables-nft", "-P", "FORWARD", "DROP") // their policy
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, ns)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// Our own chain, rules in it and in the shared built-in chains, a
	// flush, a rename, and everything undone again.
	must("NewChain", ipt.NewChain("filter", "MINE"))
	for _, s := range [][]string{{"-s", "10.0.0.1", "-j", "ACCEPT"}, {"-p", "tcp", "--dport", "22", "-j", "DROP"}} {
		must("Append", ipt.Append("filter", "MINE", s...))
	}
	must("Append INPUT", ipt.Append("filter", "INPUT", "-j", "MINE"))
	must("Insert FORWARD", ipt.Insert("filter", "FORWARD", 1, "-o", "mine0", "-j", "MINE"))
	must("AppendUnique nat", ipt.AppendUnique("nat", "POSTROUTING", "-o", "mine0", "-j", "MASQUERADE"))
	must("ClearChain", ipt.ClearChain("filter", "MINE"))
	must("Append again", ipt.Append("filter", "MINE", "-j", "RETURN"))
	must("RenameChain", ipt.RenameChain("filter", "MINE", "MINE2"))
	mid := snapshot(t, ns)
	if !strings.Contains(mid, "chain FORWARD {") || !strings.Contains(mid, "policy drop;") {
		t.Fatalf("their FORWARD policy was reset:\n%s", mid)
	}
	must("Delete INPUT", ipt.Delete("filter", "INPUT", "-j", "MINE2"))
	must("Delete FORWARD", ipt.Delete("filter", "FORWARD", "-o", "mine0", "-j", "MINE2"))
	must("Delete nat", ipt.Delete("nat", "POSTROUTING", "-o", "mine0", "-j", "MASQUERADE"))
	must("ClearAndDeleteChain", ipt.ClearAndDeleteChain("filter", "MINE2"))
	// Restore --noflush elsewhere in the same table, then remove it.
	must("Restore NoFlush", ipt.Restore(strings.NewReader("*filter\n:MINE3 - [0:0]\n-A MINE3 -j ACCEPT\n-A INPUT -i mine0 -j MINE3\nCOMMIT\n"), NoFlush()))
	if mid := snapshot(t, ns); !strings.Contains(mid, "chain MINE3") {
		t.Fatalf("restore --noflush did not write:\n%s", mid)
	}
	must("Delete INPUT MINE3", ipt.Delete("filter", "INPUT", "-i", "mine0", "-j", "MINE3"))
	must("ClearAndDeleteChain MINE3", ipt.ClearAndDeleteChain("filter", "MINE3"))

	if after := snapshot(t, ns); after != before {
		t.Fatalf("others' ruleset changed (with handles):\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestRestoreReplacesOnlyNamedTables: without NoFlush a restore replaces
// the tables its input names and nothing else, as iptables-nft-restore
// does; run side by side with it in a second namespace.
func TestRestoreReplacesOnlyNamedTables(t *testing.T) {
	needTools(t)
	ours, ref := netnstest.New(t), netnstest.New(t)
	for _, ns := range []*netnstest.NS{ours, ref} {
		setupOthers(t, ns)
		ns.MustRun(t, "iptables-nft", "-t", "raw", "-A", "PREROUTING", "-p", "udp", "-j", "NOTRACK")
	}
	ipt, err := New(NetNS(ours.Name))
	if err != nil {
		t.Fatal(err)
	}
	inputs := []string{
		// Only raw named: filter, nat, mangle and inet agent stay.
		"*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p tcp -j NOTRACK\nCOMMIT\n",
		// filter named: its content (their OTHER chain and rules too)
		// is replaced, as iptables-restore does; nat/mangle/agent stay.
		"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:MINE - [0:0]\n-A INPUT -j MINE\n-A MINE -s 10.0.0.1/32 -j ACCEPT\nCOMMIT\n",
	}
	for i, in := range inputs {
		named := regexp.MustCompile(`(?m)^\*(\w+)$`).FindAllStringSubmatch(in, -1)
		keep := map[string]bool{"ip filter": true, "ip nat": true, "ip mangle": true, "ip raw": true, "inet agent": true}
		for _, m := range named {
			delete(keep, "ip "+m[1])
		}
		beforeOurs := map[string]string{}
		for k := range keep {
			f, name, _ := strings.Cut(k, " ")
			beforeOurs[k] = nftTable(t, ours, f, name)
		}
		if err := ipt.Restore(strings.NewReader(in)); err != nil {
			t.Fatalf("input %d: Restore: %v", i, err)
		}
		if _, err := ref.RunInput([]byte(in), "iptables-nft-restore"); err != nil {
			t.Fatalf("input %d: iptables-nft-restore: %v", i, err)
		}
		for k, was := range beforeOurs {
			f, name, _ := strings.Cut(k, " ")
			if now := nftTable(t, ours, f, name); now != was {
				t.Errorf("input %d: table %s, not named in the input, changed:\nbefore:\n%s\nafter:\n%s", i, k, was, now)
			}
		}
		// The whole result as iptables-nft-restore leaves it.
		got := stripComments(ours.MustRun(t, "iptables-nft-save"))
		want := stripComments(ref.MustRun(t, "iptables-nft-save"))
		if got != want {
			t.Errorf("input %d: iptables-nft-save differs:\nxtnl:\n%s\niptables-nft-restore:\n%s", i, got, want)
		}
		gotNft := ours.MustRun(t, "nft", "list", "ruleset")
		wantNft := ref.MustRun(t, "nft", "list", "ruleset")
		if gotNft != wantNft {
			t.Errorf("input %d: nft list ruleset differs:\nxtnl:\n%s\niptables-nft-restore:\n%s", i, gotNft, wantNft)
		}
	}
}
