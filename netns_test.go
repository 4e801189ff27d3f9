package xtnl

import (
	"fmt"
	"os/exec"
	"testing"
	"time"

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

// A connection left idle for longer than its timeout still commits and
// reads: the timeout bounds each exchange, not the connection's life. (On
// a poller socket, the read deadline set by one wait used to outlive it,
// and a commit after the deadline failed with "outcome unknown".)
func TestIdleConnectionOutlivesTimeout(t *testing.T) {
	ns := netnstest.New(t)
	c, err := Open(WithNetNS(ns.Name), WithTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		if _, err := c.Generation(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(120 * time.Millisecond)
		if err := c.AddTable(&Table{Family: FamilyIPv4, Name: fmt.Sprintf("idle%d", i)}); err != nil {
			t.Fatalf("commit %d after an idle spell: %v", i, err)
		}
	}
	if out := ns.MustRun(t, "nft", "list", "tables"); out != "table ip idle0\ntable ip idle1\ntable ip idle2\n" {
		t.Fatalf("namespace tables = %q", out)
	}
}
