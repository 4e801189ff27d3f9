package compat

import (
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/netnstest"
)

// monitor runs `nft monitor` in ns until stop is called, which returns
// what it printed, handles dropped.
func monitor(t *testing.T, ns *netnstest.NS) (stop func() string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns.Name, "nft", "monitor")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // subscribed
	return func() string {
		time.Sleep(300 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		// Handles and the writer's pid and name differ between twins.
		s := regexp.MustCompile(` # handle \d+`).ReplaceAllString(out.String(), "")
		return regexp.MustCompile(`(?m) by process \d+ \(.*\)$`).ReplaceAllString(s, "")
	}
}

// TestBuiltinChainNotWrittenAgain: a new process appending to a built-in
// chain that exists writes the rule alone, as iptables-nft does; watchers
// once saw "add table" and "add chain" again on every CNI plugin run.
func TestBuiltinChainNotWrittenAgain(t *testing.T) {
	p := newPair(t, ProtocolIPv4)
	p.do("first Append", p.ipt.Append("nat", "POSTROUTING", "-s", "10.0.0.0/8", "-j", "MASQUERADE"),
		"-t", "nat", "-A", "POSTROUTING", "-s", "10.0.0.0/8", "-j", "MASQUERADE")

	// A second process: a connection of its own, its cache empty.
	conn, err := xtnl.Open(xtnl.WithNetNS(p.ours.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fresh, err := New(WithConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	stopOurs, stopRef := monitor(t, p.ours), monitor(t, p.ref)
	p.do("Append", fresh.Append("nat", "POSTROUTING", "-s", "10.1.0.0/16", "-j", "MASQUERADE"),
		"-t", "nat", "-A", "POSTROUTING", "-s", "10.1.0.0/16", "-j", "MASQUERADE")
	p.do("Insert", fresh.Insert("nat", "POSTROUTING", 1, "-s", "10.2.0.0/16", "-j", "RETURN"),
		"-t", "nat", "-I", "POSTROUTING", "1", "-s", "10.2.0.0/16", "-j", "RETURN")
	ours, ref := stopOurs(), stopRef()
	if strings.Contains(ours, "add chain") || strings.Contains(ours, "add table") || ours != ref {
		t.Fatalf("nft monitor saw, for ours:\n%s\nfor iptables-nft:\n%s", ours, ref)
	}
	if strings.Count(ref, "add rule")+strings.Count(ref, "insert rule") != 2 {
		t.Fatalf("nft monitor missed rules:\n%s", ref)
	}
	p.same("nat")
}
