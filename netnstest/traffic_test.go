package netnstest_test

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xtnl/xtnl/compat"
	"github.com/xtnl/xtnl/netnstest"
)

// Proof by traffic: every case of traffic_cases_test.go is a few rules in
// iptables syntax and the probes that show what they do. Each case runs
// twice, in two throwaway hosts (NewHost with two containers): once with
// the rules written by xtnl (compat, the go-iptables API), once with the
// same rules written by iptables-nft; both must give the outcomes the case
// states, so they also give the same.
//
// The topology (see Host): host "h"; container "c0" on 10.0.1.2 and
// fd00:0:0:1::2 behind the host's veth0 (10.0.1.1, fd00:0:0:1::1);
// container "c1" on 10.0.2.2 and fd00:0:0:2::2 behind veth1 (10.0.2.1,
// fd00:0:0:2::1). The host forwards. Every namespace serves TCP on ports
// 22, 80 and 8080 and UDP on 53 and 5353 (both families, all addresses).

// trafficCase is rules and what they do to traffic.
type trafficCase struct {
	name string
	v6   bool // the rules are ip6tables rules
	// rules are iptables command lines without the command: "-t nat -A
	// PREROUTING -p tcp -j DNAT --to-destination 10.0.2.2". -A, -I, -N
	// and -P; arguments are split on spaces.
	rules  []string
	probes []trafficProbe
	// hits, if not nil, are every connection and datagram the servers
	// received, sorted: "c1 tcp 10.0.2.2:8080 from 10.0.1.2" (where a NAT
	// rule sent it, and as whom).
	hits []string
}

// trafficProbe is a probe from a namespace ("h", "c0", "c1") and its
// expected outcome as Result.String says it: "reached", "reached 2/5",
// "timed out", "refused icmp-port-unreachable from 10.0.1.1".
type trafficProbe struct {
	from  string
	probe netnstest.Probe
	want  string
}

// Timeouts: a probe expected to time out waits dropTimeout; any other
// waits answerTimeout, which it takes only if something is wrong (an
// answer ends it), so a loaded machine does not make it time out.
const (
	dropTimeout   = 300 * time.Millisecond
	answerTimeout = 3 * time.Second
)

var servedTCP, servedUDP = []int{22, 80, 8080}, []int{53, 5353}

func TestTrafficCases(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("traffic cases need root (network namespaces)")
	}
	names := map[string]bool{}
	for _, c := range trafficCases {
		if names[c.name] {
			t.Fatalf("two cases named %q", c.name)
		}
		names[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			t.Run("xtnl", func(t *testing.T) { runTrafficCase(t, c, applyXtnl) })
			t.Run("iptables-nft", func(t *testing.T) {
				tool := "iptables-nft"
				if c.v6 {
					tool = "ip6tables-nft"
				}
				for _, need := range []string{tool, "ip"} {
					if _, err := exec.LookPath(need); err != nil {
						t.Skipf("the oracle needs %s (apt-get install -y iptables iproute2): %v", need, err)
					}
				}
				runTrafficCase(t, c, applyIptablesNft)
			})
		})
	}
}

// trafficNet is one throwaway host with its containers and servers.
type trafficNet struct {
	ns      map[string]*netnstest.NS
	servers map[string][]*netnstest.Server
}

func newTrafficNet(t *testing.T) *trafficNet {
	h := netnstest.NewHost(t, 2)
	n := &trafficNet{
		ns:      map[string]*netnstest.NS{"h": h.NS, "c0": h.Containers[0].NS, "c1": h.Containers[1].NS},
		servers: map[string][]*netnstest.Server{},
	}
	for name, ns := range n.ns {
		for _, p := range servedTCP {
			n.servers[name] = append(n.servers[name], ns.MustServe(t, "tcp", ":"+strconv.Itoa(p)))
		}
		for _, p := range servedUDP {
			n.servers[name] = append(n.servers[name], ns.MustServe(t, "udp", ":"+strconv.Itoa(p)))
		}
	}
	return n
}

// hits lists what the servers received: "c1 tcp 10.0.2.2:8080 from
// 10.0.1.2" (the peer's port, random, left out), sorted.
func (n *trafficNet) hits() []string {
	var out []string
	for name, servers := range n.servers {
		for _, s := range servers {
			for _, h := range s.Hits() {
				out = append(out, fmt.Sprintf("%s %s %s from %s", name, h.Network, h.At, h.From.Addr()))
			}
		}
	}
	slices.Sort(out)
	return out
}

// waitHits waits up to a second for n hits: a TCP probe is reached when
// its handshake completes, which can be just before the server accepts.
func (n *trafficNet) waitHits(want int) []string {
	deadline := time.Now().Add(time.Second)
	for {
		got := n.hits()
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func runTrafficCase(t *testing.T, c trafficCase, apply func(*testing.T, *netnstest.NS, bool, []string)) {
	n := newTrafficNet(t)
	apply(t, n.ns["h"], c.v6, c.rules)
	for _, p := range c.probes {
		ns := n.ns[p.from]
		if ns == nil {
			t.Fatalf("probe from %q: no such namespace (h, c0, c1)", p.from)
		}
		probe := p.probe
		if p.want == "timed out" {
			probe = probe.Timeout(dropTimeout)
		} else if !strings.HasPrefix(p.want, "reached ") { // a partial ping sets its own
			probe = probe.Timeout(answerTimeout)
		}
		r, err := ns.Probe(probe)
		if err != nil {
			t.Fatalf("%s from %s: %v", probe, p.from, err)
		}
		if got := r.String(); got != p.want {
			t.Errorf("%s from %s: %s, want %s", probe, p.from, got, p.want)
		}
	}
	if c.hits != nil {
		if got := n.waitHits(len(c.hits)); !slices.Equal(got, c.hits) {
			t.Errorf("servers received:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(c.hits, "\n\t"))
		}
	}
}

// applyXtnl writes the rules with compat, the go-iptables API.
func applyXtnl(t *testing.T, host *netnstest.NS, v6 bool, rules []string) {
	proto := compat.ProtocolIPv4
	if v6 {
		proto = compat.ProtocolIPv6
	}
	ipt, err := compat.New(compat.IPFamily(proto), compat.NetNS(host.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer ipt.Close()
	for _, line := range rules {
		args := strings.Fields(line)
		table := "filter"
		if len(args) >= 2 && args[0] == "-t" {
			table, args = args[1], args[2:]
		}
		if len(args) < 2 {
			t.Fatalf("rule %q: no command and chain", line)
		}
		cmd, chain, spec := args[0], args[1], args[2:]
		switch cmd {
		case "-A":
			err = ipt.Append(table, chain, spec...)
		case "-I":
			pos := 1
			if len(spec) > 0 {
				if n, perr := strconv.Atoi(spec[0]); perr == nil {
					pos, spec = n, spec[1:]
				}
			}
			err = ipt.Insert(table, chain, pos, spec...)
		case "-N":
			err = ipt.NewChain(table, chain)
		case "-P":
			if len(spec) != 1 {
				t.Fatalf("rule %q: -P takes a chain and a target", line)
			}
			err = ipt.ChangePolicy(table, chain, spec[0])
		default:
			t.Fatalf("rule %q: command %s is not one of -A, -I, -N, -P", line, cmd)
		}
		if err != nil {
			t.Fatalf("xtnl %s: %v", line, err)
		}
	}
}

// applyIptablesNft writes the rules with iptables-nft (ip6tables-nft) in
// the namespace: the oracle.
func applyIptablesNft(t *testing.T, host *netnstest.NS, v6 bool, rules []string) {
	tool := "iptables-nft"
	if v6 {
		tool = "ip6tables-nft"
	}
	for _, line := range rules {
		if _, err := host.Run(tool, strings.Fields(line)...); err != nil {
			t.Fatalf("%s %s: %v", tool, line, err)
		}
	}
}
