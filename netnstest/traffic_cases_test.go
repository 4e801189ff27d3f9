package netnstest_test

import (
	"time"

	"github.com/xtnl/xtnl/netnstest"
)

// The cases: the differential corpus's common matches and targets
// (compat/testdata/corpus*.txt), each proven by packets. See
// traffic_test.go for the topology and how a case runs.

func from(ns string, p netnstest.Probe, want string) trafficProbe {
	return trafficProbe{from: ns, probe: p, want: want}
}

var (
	ping = netnstest.Ping
	tcp  = netnstest.TCP
	udp  = netnstest.UDP
)

const (
	reached  = "reached"
	timedOut = "timed out"
)

var trafficCases = []trafficCase{
	// Addresses.
	{name: "source address", rules: []string{"-A INPUT -s 10.0.1.2 -j DROP"}, probes: []trafficProbe{
		from("c0", ping("10.0.1.1"), timedOut),
		from("c0", tcp("10.0.1.1:22"), timedOut),
		from("c1", ping("10.0.2.1"), reached),
		from("c1", ping("10.0.1.1"), reached), // the host's other address, from elsewhere
	}},
	{name: "negated source prefix", rules: []string{"-A INPUT ! -s 10.0.2.0/24 -p tcp -j DROP"}, probes: []trafficProbe{
		from("c0", tcp("10.0.1.1:22"), timedOut),
		from("c0", ping("10.0.1.1"), reached), // not tcp
		from("c1", tcp("10.0.2.1:22"), reached),
	}},
	{name: "destination address forwarded", rules: []string{"-A FORWARD -d 10.0.2.2 -j DROP"}, probes: []trafficProbe{
		from("c0", ping("10.0.2.2"), timedOut),
		from("c0", ping("10.0.1.1"), reached), // to the host: INPUT, not FORWARD
		from("h", ping("10.0.2.2"), reached),  // from the host: OUTPUT
	}},
	{name: "iprange", rules: []string{"-A INPUT -m iprange --src-range 10.0.2.1-10.0.2.9 -j DROP"}, probes: []trafficProbe{
		from("c1", ping("10.0.2.1"), timedOut),
		from("c0", ping("10.0.1.1"), reached),
	}},

	// Protocols and ports.
	{name: "tcp destination port", rules: []string{"-A INPUT -p tcp --dport 22 -j DROP"}, probes: []trafficProbe{
		from("c0", tcp("10.0.1.1:22"), timedOut),
		from("c0", tcp("10.0.1.1:80"), reached),
		from("c0", udp("10.0.1.1:53"), reached),
	}},
	{name: "udp destination port", rules: []string{"-A INPUT -p udp --dport 53 -j DROP"}, probes: []trafficProbe{
		from("c0", udp("10.0.1.1:53"), timedOut),
		from("c0", udp("10.0.1.1:5353"), reached),
		from("c0", tcp("10.0.1.1:53"), "refused tcp-reset"), // nobody listens on tcp 53
	}},
	{name: "tcp source port on output", rules: []string{"-A OUTPUT -p tcp --sport 22 -j DROP"}, probes: []trafficProbe{
		from("c0", tcp("10.0.1.1:22"), timedOut), // the answer is dropped
		from("c0", tcp("10.0.1.1:80"), reached),
	}},
	{name: "multiport", rules: []string{"-A INPUT -p tcp -m multiport --dports 22,8080 -j DROP"}, probes: []trafficProbe{
		from("c0", tcp("10.0.1.1:22"), timedOut),
		from("c0", tcp("10.0.1.1:80"), reached),
		from("c0", tcp("10.0.1.1:8080"), timedOut),
	}},
	{name: "tcp syn", rules: []string{"-A INPUT -p tcp --syn -j DROP"}, probes: []trafficProbe{
		from("c0", tcp("10.0.1.1:80"), timedOut),
		from("h", tcp("10.0.1.2:80"), reached), // the answer to the host's SYN has ACK set
	}},
	{name: "icmp type", rules: []string{"-A INPUT -p icmp --icmp-type echo-request -j DROP"}, probes: []trafficProbe{
		from("c0", ping("10.0.1.1"), timedOut),
		from("c0", tcp("10.0.1.1:22"), reached),
		from("h", ping("10.0.1.2"), reached), // echo replies come in, not requests
	}},

	// Interfaces.
	{name: "input interface", rules: []string{"-A INPUT -i veth0 -j DROP"}, probes: []trafficProbe{
		from("c0", ping("10.0.1.1"), timedOut),
		from("c1", ping("10.0.2.1"), reached),
		from("c1", ping("10.0.1.1"), reached), // veth0's address, come in on veth1
	}},
	{name: "output interface forwarded", rules: []string{"-A FORWARD -o veth1 -j DROP"}, probes: []trafficProbe{
		from("c0", ping("10.0.2.2"), timedOut),
		from("c1", ping("10.0.1.2"), timedOut), // the reply goes out veth1
		from("h", ping("10.0.2.2"), reached),   // OUTPUT, not FORWARD
	}},

	// Connection tracking.
	{name: "conntrack established only", rules: []string{
		"-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
		"-A INPUT -j DROP",
	}, probes: []trafficProbe{
		from("h", ping("10.0.1.2"), reached),
		from("h", tcp("10.0.1.2:22"), reached),
		from("h", udp("10.0.2.2:53"), reached),
		from("c0", ping("10.0.1.1"), timedOut),
		from("c0", tcp("10.0.1.1:22"), timedOut),
	}},
	{name: "state new one way", rules: []string{"-A FORWARD -i veth1 -o veth0 -m state --state NEW -j DROP"}, probes: []trafficProbe{
		from("c0", tcp("10.0.2.2:22"), reached), // c1's answers are not NEW
		from("c1", tcp("10.0.1.2:22"), timedOut),
		from("c1", ping("10.0.1.2"), timedOut),
	}},

	// limit: a burst of two, then one a minute.
	{name: "limit", rules: []string{
		"-A INPUT -p icmp -m limit --limit 1/minute --limit-burst 2 -j ACCEPT",
		"-A INPUT -p icmp -j DROP",
	}, probes: []trafficProbe{
		from("c0", ping("10.0.1.1").Count(5).Interval(10*time.Millisecond).Timeout(time.Second), "reached 2/5"),
	}},

	// Chains, policies, marks.
	{name: "user chain and return", rules: []string{
		"-N SSH",
		"-A SSH -s 10.0.2.2 -j RETURN",
		"-A SSH -j DROP",
		"-A INPUT -p tcp --dport 22 -j SSH",
	}, probes: []trafficProbe{
		from("c0", tcp("10.0.1.1:22"), timedOut),
		from("c0", tcp("10.0.1.1:80"), reached),
		from("c1", tcp("10.0.2.1:22"), reached),
	}},
	{name: "drop policy", rules: []string{
		"-A INPUT -p tcp --dport 80 -j ACCEPT",
		"-P INPUT DROP",
	}, probes: []trafficProbe{
		from("c0", tcp("10.0.1.1:80"), reached),
		from("c0", tcp("10.0.1.1:22"), timedOut),
		from("c0", ping("10.0.1.1"), timedOut),
	}},
	{name: "mark set in mangle, matched in filter", rules: []string{
		"-t mangle -A PREROUTING -i veth0 -j MARK --set-mark 0x2a",
		"-A INPUT -m mark --mark 0x2a -j DROP",
	}, probes: []trafficProbe{
		from("c0", ping("10.0.1.1"), timedOut),
		from("c1", ping("10.0.2.1"), reached),
	}},
	{name: "insert before accept", rules: []string{
		"-A INPUT -s 10.0.1.2 -j ACCEPT",
		"-A INPUT -j DROP",
		"-I INPUT 1 -p tcp --dport 22 -j DROP",
	}, probes: []trafficProbe{
		from("c0", tcp("10.0.1.1:22"), timedOut),
		from("c0", tcp("10.0.1.1:80"), reached),
		from("c1", tcp("10.0.2.1:80"), timedOut),
	}},

	// REJECT, with each answer it sends.
	rejectCase(false, "", "refused icmp-port-unreachable from 10.0.1.1"),
	rejectCase(false, "icmp-net-unreachable", "refused icmp-net-unreachable from 10.0.1.1"),
	rejectCase(false, "icmp-host-unreachable", "refused icmp-host-unreachable from 10.0.1.1"),
	rejectCase(false, "icmp-port-unreachable", "refused icmp-port-unreachable from 10.0.1.1"),
	rejectCase(false, "icmp-proto-unreachable", "refused icmp-proto-unreachable from 10.0.1.1"),
	rejectCase(false, "icmp-net-prohibited", "refused icmp-net-prohibited from 10.0.1.1"),
	rejectCase(false, "icmp-host-prohibited", "refused icmp-host-prohibited from 10.0.1.1"),
	rejectCase(false, "icmp-admin-prohibited", "refused icmp-admin-prohibited from 10.0.1.1"),
	rejectCase(false, "tcp-reset", "refused tcp-reset"),
	{name: "reject udp", rules: []string{"-A INPUT -p udp -j REJECT"}, probes: []trafficProbe{
		from("c0", udp("10.0.1.1:53"), "refused icmp-port-unreachable from 10.0.1.1"),
	}},
	{name: "reject ping", rules: []string{"-A INPUT -p icmp -j REJECT --reject-with icmp-host-prohibited"}, probes: []trafficProbe{
		from("c0", ping("10.0.1.1"), "refused icmp-host-prohibited from 10.0.1.1"),
	}},
	{name: "reject forwarded", rules: []string{"-A FORWARD -d 10.0.2.2 -p tcp -j REJECT --reject-with tcp-reset"}, probes: []trafficProbe{
		from("c0", tcp("10.0.2.2:22"), "refused tcp-reset"),
		from("c0", udp("10.0.2.2:53"), reached),
	}},

	// NAT across the veth pairs: where the servers saw traffic arrive.
	{name: "dnat tcp", rules: []string{
		"-t nat -A PREROUTING -d 10.0.1.1 -p tcp --dport 80 -j DNAT --to-destination 10.0.2.2:8080",
	}, probes: []trafficProbe{
		from("c0", tcp("10.0.1.1:80"), reached),
	}, hits: []string{"c1 tcp 10.0.2.2:8080 from 10.0.1.2"}},
	{name: "dnat udp", rules: []string{
		"-t nat -A PREROUTING -d 10.0.1.1 -p udp --dport 53 -j DNAT --to-destination 10.0.2.2",
	}, probes: []trafficProbe{
		from("c0", udp("10.0.1.1:53"), reached),
	}, hits: []string{"c1 udp 10.0.2.2:53 from 10.0.1.2"}},
	{name: "dnat on output", rules: []string{
		"-t nat -A OUTPUT -d 10.0.1.2 -p tcp --dport 80 -j DNAT --to-destination 10.0.2.2:22",
	}, probes: []trafficProbe{
		from("h", tcp("10.0.1.2:80"), reached),
	}, hits: []string{
		// The source address was picked for the original destination
		// (out veth0), before DNAT re-routed the packet out veth1.
		"c1 tcp 10.0.2.2:22 from 10.0.1.1",
	}},
	{name: "snat", rules: []string{
		"-t nat -A POSTROUTING -s 10.0.1.2 -o veth1 -j SNAT --to-source 10.0.2.1",
	}, probes: []trafficProbe{
		from("c0", tcp("10.0.2.2:80"), reached),
		from("h", tcp("10.0.2.2:8080"), reached), // not from 10.0.1.2: as it was
	}, hits: []string{"c1 tcp 10.0.2.2:80 from 10.0.2.1", "c1 tcp 10.0.2.2:8080 from 10.0.2.1"}},
	{name: "masquerade", rules: []string{
		"-t nat -A POSTROUTING -o veth1 -j MASQUERADE",
	}, probes: []trafficProbe{
		from("c0", udp("10.0.2.2:53"), reached),
		from("c1", tcp("10.0.1.2:80"), reached), // out veth0: as it was
	}, hits: []string{"c0 tcp 10.0.1.2:80 from 10.0.2.2", "c1 udp 10.0.2.2:53 from 10.0.2.1"}},
	{name: "redirect", rules: []string{
		"-t nat -A PREROUTING -i veth0 -p tcp --dport 80 -j REDIRECT --to-ports 8080",
	}, probes: []trafficProbe{
		from("c0", tcp("10.0.2.2:80"), reached),
	}, hits: []string{"h tcp 10.0.1.1:8080 from 10.0.1.2"}},

	// IPv6.
	{name: "ipv6 source address", v6: true, rules: []string{"-A INPUT -s fd00:0:0:1::2 -j DROP"}, probes: []trafficProbe{
		from("c0", ping("fd00:0:0:1::1"), timedOut),
		from("c1", ping("fd00:0:0:2::1"), reached),
	}},
	{name: "ipv6 tcp destination port", v6: true, rules: []string{"-A INPUT -p tcp --dport 22 -j DROP"}, probes: []trafficProbe{
		from("c0", tcp("[fd00:0:0:1::1]:22"), timedOut),
		from("c0", tcp("[fd00:0:0:1::1]:80"), reached),
		from("c0", tcp("10.0.1.1:22"), reached), // an ip6tables rule
	}},
	{name: "ipv6 icmpv6 type", v6: true, rules: []string{"-A INPUT -p ipv6-icmp --icmpv6-type echo-request -j DROP"}, probes: []trafficProbe{
		from("c0", ping("fd00:0:0:1::1"), timedOut),
		from("c0", udp("[fd00:0:0:1::1]:53"), reached),
		from("h", ping("fd00:0:0:1::2"), reached),
	}},
	{name: "ipv6 input interface", v6: true, rules: []string{"-A INPUT -i veth1 -p tcp -j DROP"}, probes: []trafficProbe{
		from("c1", tcp("[fd00:0:0:2::1]:80"), timedOut),
		from("c0", tcp("[fd00:0:0:2::1]:80"), reached),
	}},
	{name: "ipv6 conntrack established only", v6: true, rules: []string{
		"-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
		"-A INPUT -p ipv6-icmp --icmpv6-type neighbour-solicitation -j ACCEPT",
		"-A INPUT -p ipv6-icmp --icmpv6-type neighbour-advertisement -j ACCEPT",
		"-A INPUT -j DROP",
	}, probes: []trafficProbe{
		from("h", tcp("[fd00:0:0:1::2]:22"), reached),
		from("h", ping("fd00:0:0:1::2"), reached),
		from("c0", tcp("[fd00:0:0:1::1]:22"), timedOut),
		from("c0", ping("fd00:0:0:1::1"), timedOut),
	}},
	rejectCase(true, "", "refused icmp6-port-unreachable from fd00:0:0:1::1"),
	rejectCase(true, "icmp6-no-route", "refused icmp6-no-route from fd00:0:0:1::1"),
	rejectCase(true, "icmp6-adm-prohibited", "refused icmp6-adm-prohibited from fd00:0:0:1::1"),
	rejectCase(true, "icmp6-addr-unreachable", "refused icmp6-addr-unreachable from fd00:0:0:1::1"),
	rejectCase(true, "icmp6-port-unreachable", "refused icmp6-port-unreachable from fd00:0:0:1::1"),
	rejectCase(true, "icmp6-policy-fail", "refused icmp6-policy-fail from fd00:0:0:1::1"),
	rejectCase(true, "icmp6-reject-route", "refused icmp6-reject-route from fd00:0:0:1::1"),
	rejectCase(true, "tcp-reset", "refused tcp-reset"),
	{name: "ipv6 dnat", v6: true, rules: []string{
		"-t nat -A PREROUTING -d fd00:0:0:1::1 -p tcp --dport 80 -j DNAT --to-destination [fd00:0:0:2::2]:8080",
	}, probes: []trafficProbe{
		from("c0", tcp("[fd00:0:0:1::1]:80"), reached),
	}, hits: []string{"c1 tcp [fd00:0:0:2::2]:8080 from fd00:0:0:1::2"}},
	{name: "ipv6 masquerade", v6: true, rules: []string{
		"-t nat -A POSTROUTING -o veth1 -j MASQUERADE",
	}, probes: []trafficProbe{
		from("c0", tcp("[fd00:0:0:2::2]:80"), reached),
		from("c0", tcp("10.0.2.2:80"), reached), // an ip6tables rule
	}, hits: []string{"c1 tcp 10.0.2.2:80 from 10.0.1.2", "c1 tcp [fd00:0:0:2::2]:80 from fd00:0:0:2::1"}},
	{name: "ipv6 redirect", v6: true, rules: []string{
		"-t nat -A PREROUTING -i veth0 -p udp --dport 53 -j REDIRECT --to-ports 5353",
	}, probes: []trafficProbe{
		from("c0", udp("[fd00:0:0:2::2]:53"), reached),
	}, hits: []string{"h udp [fd00:0:0:1::1]:5353 from fd00:0:0:1::2"}},
}

// rejectCase is a REJECT of TCP port 22 on the host, with its answer as a
// TCP probe from c0 sees it; with is the --reject-with ("" for REJECT's
// default).
func rejectCase(v6 bool, with, want string) trafficCase {
	rule, name, dst := "-A INPUT -p tcp --dport 22 -j REJECT", "reject", "10.0.1.1:22"
	if with != "" {
		rule += " --reject-with " + with
		name += " " + with
	} else {
		name += " default"
	}
	if v6 {
		name, dst = "ipv6 "+name, "[fd00:0:0:1::1]:22"
	}
	return trafficCase{name: name, v6: v6, rules: []string{rule}, probes: []trafficProbe{
		from("c0", tcp(dst), want),
		from("c0", tcp(dst[:len(dst)-2]+"80"), reached),
	}}
}
