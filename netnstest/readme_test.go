package netnstest_test

import (
	"os"
	"strings"
	"testing"

	"github.com/xtnl/xtnl/compat"
	"github.com/xtnl/xtnl/netnstest"
)

// The example of the README's "Testing your firewall code", as it is
// there: kept compiling and passing.
func TestAgentDropsSSHFromOneContainer(t *testing.T) {
	h := netnstest.NewHost(t, 2) // a node and two containers; all deleted when the test ends
	c0, c1 := h.Containers[0], h.Containers[1]
	h.MustServe(t, "tcp", ":22") // an SSH port on the node

	ipt, err := compat.New(compat.NetNS(h.Name)) // or your agent, pointed at h
	if err != nil {
		t.Fatal(err)
	}
	err = ipt.Append("filter", "INPUT", "-p", "tcp", "--dport", "22", "-s", c0.Addr4().String(), "-j", "DROP")
	if err != nil {
		t.Fatal(err)
	}
	c0.Expect(t, netnstest.TCP("10.0.1.1:22"), netnstest.TimedOut) // dropped
	c1.Expect(t, netnstest.TCP("10.0.2.1:22"), netnstest.Reached)
}

// The README shows the test above as it is here.
func TestReadmeShowsTheExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	const start = "func TestAgentDropsSSHFromOneContainer"
	body := func(s, end string) string {
		_, after, ok := strings.Cut(s, start)
		if !ok {
			return ""
		}
		b, _, _ := strings.Cut(after, end)
		return b
	}
	want := body(string(self), "\n}\n")
	if got := body(string(readme), "\n}\n"); got == "" || got != want {
		t.Fatalf("README.md's %s differs from readme_test.go's:\n%s\nwant:\n%s", start, got, want)
	}
}
