package compat

import (
	"strings"
	"testing"
	"time"

	"github.com/xtnl/xtnl/netnstest"
)

// TestPolicyCounters: built-in chains count what their policy decides
// when iptables-nft's do (after -P or a restore), and -Z zeroes those
// counts; once our chains had no counters,
// and -L -v showed 0 packets for a DROP policy that was dropping.
func TestPolicyCounters(t *testing.T) {
	p := newPair(t, ProtocolIPv4)
	p.do("-P", p.ipt.ChangePolicy("filter", "INPUT", "DROP"), "-P", "INPUT", "DROP")
	p.do("-A", p.ipt.Append("filter", "OUTPUT", "-p", "udp", "--dport", "9", "-j", "ACCEPT"), "-A", "OUTPUT", "-p", "udp", "--dport", "9", "-j", "ACCEPT")
	header := func(ns *netnstest.NS, chain string) string {
		out := ns.MustRun(t, "iptables-nft", "-L", chain, "-v", "-x")
		line, _, _ := strings.Cut(out, "\n")
		return line
	}
	traffic := func() {
		for _, ns := range []*netnstest.NS{p.ours, p.ref} {
			ns.Probe(netnstest.Ping("127.0.0.1").Count(3).Interval(5 * time.Millisecond).Timeout(300 * time.Millisecond))
		}
	}
	compare := func(when string, wantCounted bool) {
		t.Helper()
		for _, chain := range []string{"INPUT", "OUTPUT"} {
			a, b := header(p.ours, chain), header(p.ref, chain)
			if a != b {
				t.Fatalf("%s, %s: ours %q, iptables-nft %q", when, chain, a, b)
			}
			// OUTPUT, made by a first -A, has no policy counters: the
			// twins must agree on that too.
			if counted := !strings.Contains(b, " 0 packets"); chain == "INPUT" && counted != wantCounted {
				t.Fatalf("%s, %s: %q: the test's traffic did not do what it should", when, chain, b)
			}
		}
	}
	traffic()
	compare("after traffic", true)
	p.do("-Z", p.ipt.ZeroCounters("filter", ""), "-Z")
	compare("after -Z", false)

	input := "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [7:700]\nCOMMIT\n"
	if err := p.ipt.Restore(strings.NewReader(input)); err != nil {
		t.Fatal(err)
	}
	p.ref.RunInput([]byte(input), "iptables-nft-restore")
	traffic()
	compare("after a restore and traffic", true)
}
