package xtnl

import (
	"os/exec"
	"testing"

	"github.com/xtnl/xtnl/netnstest"
)

// newTestConn returns a connection bound to a fresh throwaway network
// namespace, closed and deleted when the test ends. Every kernel test in
// this package goes through it: none touches the host's ruleset.
func newTestConn(t *testing.T) (*Conn, *netnstest.NS) {
	t.Helper()
	ns := netnstest.New(t)
	c, err := Open(WithNetNS(ns.Name))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, ns
}

// needTool fails the test when a differential oracle is missing: a test
// that silently skipped would count as passing without checking anything.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not installed (apt-get install -y iptables nftables ipset): %v", name, err)
	}
}

func TestNetNSIsolated(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	if err := c.AddTable(&Table{Family: FamilyIPv4, Name: "isolation_probe"}); err != nil {
		t.Fatal(err)
	}
	if out := ns.MustRun(t, "nft", "list", "tables"); out != "table ip isolation_probe\n" {
		t.Fatalf("namespace tables = %q", out)
	}
	host, err := exec.Command("nft", "list", "tables").Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(host) != "" && containsLine(string(host), "table ip isolation_probe") {
		t.Fatal("table leaked into the host namespace")
	}
}

func containsLine(s, line string) bool {
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		if s[:i] == line {
			return true
		}
		if i == len(s) {
			break
		}
		s = s[i+1:]
	}
	return false
}
