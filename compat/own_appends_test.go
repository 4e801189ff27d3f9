package compat

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/xtnl/xtnl/netnstest"
)

// TestExistsAfterOwnAppend: Exists of a rule this connection just
// appended asks the kernel for it by handle instead of dumping the chain
// (the chain's snapshot stays at the generation before the append), and
// answers as `iptables-nft -C` does at every step, including after other
// writers deleted or replaced it.
func TestExistsAfterOwnAppend(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	// A chain large enough for appends to it to ask for the echo.
	var in strings.Builder
	in.WriteString("*filter\n:SVC - [0:0]\n")
	for i := range echoAboveRules {
		fmt.Fprintf(&in, "-A SVC -d 10.96.%d.%d -j ACCEPT\n", 100+i/256, i%256)
	}
	in.WriteString("COMMIT\n")
	if out, err := ns.RunInput([]byte(in.String()), "iptables-nft-restore", "--noflush"); err != nil {
		t.Fatalf("iptables-nft-restore: %v: %s", err, out)
	}
	rule := []string{"-d", "10.96.1.1/32", "-p", "tcp", "-m", "comment", "--comment", "ns/svc:http cluster IP", "-m", "tcp", "--dport", "80", "-j", "RETURN"}
	// Read the chain once, as an agent reading before it writes would.
	if ok, err := ipt.Exists("filter", "SVC", rule...); err != nil || ok {
		t.Fatalf("Exists before Append = %v, %v", ok, err)
	}
	st := ipt.state()
	snapGen := func() uint32 {
		st.mu.Lock()
		defer st.mu.Unlock()
		if s := st.chains[chainKey{ipt.fam, "filter", "SVC"}]; s != nil {
			return s.gen
		}
		return 0
	}
	before := snapGen()
	check := func(step string) {
		t.Helper()
		ok, err := ipt.Exists("filter", "SVC", rule...)
		if err != nil {
			t.Fatalf("%s: Exists: %v", step, err)
		}
		_, cerr := ns.Run("iptables-nft", append([]string{"-C", "SVC"}, rule...)...)
		if ok != (cerr == nil) {
			t.Fatalf("%s: Exists = %v, iptables-nft -C says %v", step, ok, cerr)
		}
	}
	if err := ipt.Append("filter", "SVC", rule...); err != nil {
		t.Fatal(err)
	}
	check("after own Append")
	if g := snapGen(); g != before {
		t.Fatalf("Exists after own Append read the chain again (snapshot generation %d → %d)", before, g)
	}
	// Deleted by another writer: the get finds nothing, the chain is read.
	ns.MustRun(t, "iptables-nft", append([]string{"-D", "SVC"}, rule...)...)
	check("after iptables-nft deleted it")
	// Appended again, then its rule replaced by another writer with a
	// different one: still answered from the kernel.
	if err := ipt.Append("filter", "SVC", rule...); err != nil {
		t.Fatal(err)
	}
	check("after own Append again")
	ns.MustRun(t, "iptables-nft", "-R", "SVC", strconv.Itoa(echoAboveRules+1), "-d", "10.96.1.1/32", "-j", "DROP")
	check("after iptables-nft replaced it")
	// A rulespec of two rules (two addresses) appended by us.
	two := []string{"-s", "10.0.0.1,10.0.0.2", "-j", "ACCEPT"}
	if err := ipt.Append("filter", "SVC", two...); err != nil {
		t.Fatal(err)
	}
	if ok, err := ipt.Exists("filter", "SVC", two...); err != nil || !ok {
		t.Fatalf("Exists of a two-rule rulespec after own Append = %v, %v", ok, err)
	}
	ns.MustRun(t, "iptables-nft", "-D", "SVC", "-s", "10.0.0.2", "-j", "ACCEPT")
	ok, err := ipt.Exists("filter", "SVC", two...)
	_, cerr := ns.Run("iptables-nft", append([]string{"-C", "SVC"}, two...)...)
	if err != nil || ok != (cerr == nil) {
		t.Fatalf("Exists of a two-rule rulespec with one deleted = %v, %v; iptables-nft -C says %v", ok, err, cerr)
	}
}
