package compat

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/netnstest"
)

// The go-iptables drop-in on the in-memory fake kernel: the same
// operations run on xtnl.OpenFake and on a kernel namespace, and what they
// list and save must be the same. On the kernel side iptables-nft itself
// checks the listing, so the fake is held to what iptables shows.

// fakeIptablesScenario runs go-iptables operations and returns what was
// observed: results, errors, List and Save output.
func fakeIptablesScenario(t *testing.T, ipt *IPTables) []string {
	t.Helper()
	var obs []string
	note := func(format string, args ...any) { obs = append(obs, fmt.Sprintf(format, args...)) }
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	list := func(table, chain string) {
		t.Helper()
		rules, err := ipt.List(table, chain)
		must("list "+chain, err)
		note("List %s %s:\n%s", table, chain, strings.Join(rules, "\n"))
	}
	must("NewChain", ipt.NewChain("filter", "TEST"))
	err := ipt.NewChain("filter", "TEST")
	var e *Error
	if !asError(err, &e) || e.ExitStatus() != 1 || e.IsNotExist() {
		t.Fatalf("NewChain of an existing chain: %v", err)
	}
	note("NewChain again: %v (exit %d)", err, e.ExitStatus())
	must("Append TEST", ipt.Append("filter", "TEST", "-s", "10.0.0.1/32", "-j", "ACCEPT"))
	must("Append INPUT", ipt.Append("filter", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"))
	must("Append INPUT comment", ipt.Append("filter", "INPUT", "-m", "comment", "--comment", "from the fake test", "-j", "DROP"))
	must("Insert INPUT 1", ipt.Insert("filter", "INPUT", 1, "-i", "lo", "-j", "TEST"))
	must("Insert INPUT 2", ipt.Insert("filter", "INPUT", 2, "-p", "udp", "--dport", "53", "-j", "ACCEPT"))
	must("AppendUnique", ipt.AppendUnique("filter", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"))
	list("filter", "INPUT")
	list("filter", "TEST")
	ok, err := ipt.Exists("filter", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT")
	must("Exists", err)
	note("Exists before delete: %v", ok)
	must("Delete", ipt.Delete("filter", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"))
	ok, err = ipt.Exists("filter", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT")
	must("Exists", err)
	note("Exists after delete: %v", ok)
	err = ipt.Delete("filter", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT")
	note("Delete of a missing rule: %v", err)
	err = ipt.DeleteChain("filter", "TEST")
	note("DeleteChain of a chain jumped to: %v", err)
	must("ChangePolicy", ipt.ChangePolicy("filter", "FORWARD", "DROP"))
	must("Append nat", ipt.Append("nat", "POSTROUTING", "-o", "lo", "-j", "MASQUERADE"))
	chains, err := ipt.ListChains("filter")
	must("ListChains", err)
	note("ListChains filter: %v", chains)
	list("filter", "INPUT")
	for _, table := range []string{"filter", "nat"} {
		var sb strings.Builder
		must("Save", ipt.Save(&sb, table))
		note("Save %s:\n%s", table, stripComments(sb.String()))
	}
	return obs
}

// asError is errors.As for *Error without importing errors twice.
func asError(err error, e **Error) bool {
	x, ok := err.(*Error)
	if ok {
		*e = x
	}
	return ok
}

func TestFakeGoIptables(t *testing.T) {
	needTools(t)
	// The kernel.
	ns := netnstest.New(t)
	kc, err := xtnl.Open(xtnl.WithNetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	kipt, err := New(WithConn(kc))
	if err != nil {
		t.Fatal(err)
	}
	kernel := fakeIptablesScenario(t, kipt)
	// iptables-nft is the oracle for what the kernel holds.
	for _, chain := range []string{"INPUT", "TEST"} {
		want := strings.TrimSpace(ns.MustRun(t, "iptables-nft", "-S", chain))
		got, err := kipt.List("filter", chain)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "\n") != want {
			t.Fatalf("List %s:\n%s\niptables-nft -S:\n%s", chain, strings.Join(got, "\n"), want)
		}
	}
	var saved strings.Builder
	if err := kipt.Save(&saved, ""); err != nil {
		t.Fatal(err)
	}

	// The fake.
	fc := xtnl.OpenFake()
	defer fc.Close()
	fipt, err := New(WithConn(fc))
	if err != nil {
		t.Fatal(err)
	}
	fake := fakeIptablesScenario(t, fipt)
	for i := range max(len(kernel), len(fake)) {
		var k, f string
		if i < len(kernel) {
			k = kernel[i]
		}
		if i < len(fake) {
			f = fake[i]
		}
		if k != f {
			t.Fatalf("observation %d differs:\nkernel:\n%s\nfake:\n%s", i, k, f)
		}
	}

	// Restore what the kernel saved into a fresh fake and into a fresh
	// namespace: both read back the same, and the same as saved.
	check := func(name string, ipt *IPTables) string {
		if err := ipt.Restore(strings.NewReader(saved.String())); err != nil {
			t.Fatalf("%s: Restore: %v", name, err)
		}
		var sb strings.Builder
		if err := ipt.Save(&sb, ""); err != nil {
			t.Fatal(err)
		}
		return stripComments(sb.String())
	}
	rc := xtnl.OpenFake()
	defer rc.Close()
	ript, err := New(WithConn(rc))
	if err != nil {
		t.Fatal(err)
	}
	fromFake := check("fake", ript)
	ns2 := netnstest.New(t)
	kc2, err := xtnl.Open(xtnl.WithNetNS(ns2.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer kc2.Close()
	kipt2, err := New(WithConn(kc2))
	if err != nil {
		t.Fatal(err)
	}
	fromKernel := check("kernel", kipt2)
	if fromFake != fromKernel || fromKernel != stripComments(saved.String()) {
		t.Fatalf("after Restore:\nfake:\n%s\nkernel:\n%s\nsaved:\n%s", fromFake, fromKernel, saved.String())
	}
	// iptables-nft-save agrees with the kernel's restored state.
	want := stripComments(ns2.MustRun(t, "iptables-nft-save"))
	if fromKernel != want {
		t.Fatalf("Save after Restore:\n%s\niptables-nft-save:\n%s", fromKernel, want)
	}
}
