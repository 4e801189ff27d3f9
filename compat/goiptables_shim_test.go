package compat

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xtnl/xtnl/netnstest"
)

// shimClient is a go-iptables client as written for go-iptables, unkeyed
// Stat literal and all; it must compile and run through the shim
// (../goiptables) untouched.
const shimClient = `package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/coreos/go-iptables/iptables"
)

func main() {
	ipt, err := iptables.New(iptables.IPFamily(iptables.ProtocolIPv6), iptables.Timeout(5))
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	if err := ipt.AppendUnique("filter", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	err = ipt.Delete("filter", "INPUT", "-p", "udp", "-j", "DROP")
	var e *iptables.Error
	if !errors.As(err, &e) || !e.IsNotExist() || e.ExitStatus() != 1 {
		fmt.Println("Delete of a missing rule:", err)
		os.Exit(1)
	}
	stats, err := ipt.StructuredStats("filter", "INPUT")
	if err != nil || len(stats) != 1 {
		fmt.Println("StructuredStats:", stats, err)
		os.Exit(1)
	}
	want := iptables.Stat{0, 0, "ACCEPT", "6", "--", "*", "*", stats[0].Source, stats[0].Destination, "tcp dpt:22"}
	if stats[0] != want {
		fmt.Printf("Stat %+v, want %+v\n", stats[0], want)
		os.Exit(1)
	}
	rules, err := ipt.List("filter", "INPUT")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(strings.Join(rules, "\n"))
}
`

// TestShimBuildsAClient: a client of go-iptables builds against the shim
// module with replace lines only, and, run in a throwaway namespace,
// writes what ip6tables-nft then lists. (A published client needs one
// replace line; here a second points the shim's xtnl at this checkout.)
func TestShimBuildsAClient(t *testing.T) {
	needTools(t)
	goCmd := goCommand(t)
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.com/client\n\ngo 1.26.0\n\nrequire github.com/coreos/go-iptables v0.8.0\n\n" +
		"replace github.com/coreos/go-iptables => " + filepath.Join(repo, "goiptables") + "\n\n" +
		"replace github.com/xtnl/xtnl => " + repo + "\n"
	for name, text := range map[string]string{"go.mod": gomod, "main.go": shimClient} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", "client", "."}} {
		cmd := exec.Command(goCmd, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ns := netnstest.New(t)
	out, err := exec.Command("ip", "netns", "exec", ns.Name, filepath.Join(dir, "client")).CombinedOutput()
	if err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	if want := ns.MustRun(t, "ip6tables-nft", "-S", "INPUT"); string(out) != want {
		t.Fatalf("client printed\n%s\nip6tables-nft -S INPUT:\n%s", out, want)
	}
}

// TestStatsOptionsColumn: Stats' last field is -L -n -v -x's options
// column, numbers and all ("dpt:22", never "dpt:ssh"), in both families.
func TestStatsOptionsColumn(t *testing.T) {
	for _, proto := range []Protocol{ProtocolIPv4, ProtocolIPv6} {
		p := newPair(t, proto)
		for _, spec := range [][]string{
			{"-p", "tcp", "--dport", "22", "-j", "ACCEPT"},
			{"-p", "udp", "--sport", "53", "-j", "ACCEPT"},
			{"-p", "tcp", "-m", "multiport", "--dports", "80,443", "-j", "ACCEPT"},
			{"-m", "state", "--state", "NEW,ESTABLISHED", "-j", "ACCEPT"},
			{"-p", "tcp", "-m", "comment", "--comment", "web", "-j", "REJECT", "--reject-with", "tcp-reset"},
			{"-i", "+", "-p", "tcp", "--syn", "-j", "ACCEPT"},
			{"-m", "connmark", "!", "--mark", "0x1/0xf", "-m", "connlimit", "--connlimit-above", "2", "-j", "DROP"},
			{"-m", "hashlimit", "--hashlimit-upto", "5/min", "--hashlimit-mode", "srcip,dstport", "--hashlimit-name", "st", "-j", "ACCEPT"},
			{"-m", "recent", "--rcheck", "--seconds", "60", "-m", "statistic", "--mode", "nth", "--every", "3", "-j", "DROP"},
			{"-m", "addrtype", "--dst-type", "LOCAL", "-m", "dscp", "--dscp", "0x0a", "-j", "ACCEPT"},
		} {
			p.do("Append", p.ipt.Append("filter", "INPUT", spec...), append([]string{"-A", "INPUT"}, spec...)...)
		}
		stats, err := p.ipt.Stats("filter", "INPUT")
		if err != nil {
			t.Fatal(err)
		}
		if want := refStats(t, p, "INPUT"); strings.Join(flatten(stats), "|") != strings.Join(flatten(want), "|") {
			t.Fatalf("Stats:\n got %q\nwant %q", stats, want)
		}
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, " "))
	}
	return out
}
