// Package netnstest builds throwaway networks for tests and proves
// firewall rules with real packets, without executing anything (no ip, no
// ping, no nc).
//
// Namespaces: New gives a test a fresh network namespace with lo up,
// deleted when the test ends, so code that changes the firewall never
// touches the host's. Namespaces are named (under /run/netns, as `ip netns
// add` makes them), so command-line tools can be pointed at them too
// (Command, Run). Current and Open hold namespaces made elsewhere.
//
// Topologies: Connect joins two namespaces (or a namespace and the
// caller's, Current) by a veth pair with IPv4 and IPv6 addresses;
// AddRoute, AddAddr, LinkUp, SetSysctl and EnableForwarding do the rest.
// NewHost builds a "host with containers": a host namespace routing
// between containers, each on a veth pair of its own, as a node looks to
// a CNI plugin or a node agent.
//
//	func TestDropSSH(t *testing.T) {
//		h := netnstest.NewHost(t, 1)
//		c := h.Containers[0]
//		ipt, _ := compat.New(compat.NetNS(h.Name))
//		ipt.Append("filter", "INPUT", "-p", "tcp", "--dport", "22", "-s", c.Addr4().String(), "-j", "DROP")
//		h.MustServe(t, "tcp", ":22")
//		c.Expect(t, netnstest.TCP(c.Gateway4().String()+":22"), netnstest.TimedOut)
//	}
//
// Probes: Ping (ICMP echo, ICMPv6 for IPv6), TCP (a connect) and UDP (an
// exchange) run from inside a chosen namespace with a timeout, and return
// Reached, Refused (with the Reject: which ICMP error, or a TCP reset) or
// TimedOut. Serve starts TCP and UDP servers that record where each
// connection or datagram arrived and whom it came from, so a test sees
// where a DNAT, REDIRECT, SNAT or MASQUERADE rule sent it.
//
// Cleaning up: everything is deleted when the test ends (or by Delete).
// A process ended by SIGINT, SIGTERM or SIGPIPE (a write to a standard
// output or error whose reader went away, as with `| head`) first deletes
// what it made through this package, then dies of the signal as it would
// have. What no handler can catch, a test binary ended by `go test
// -timeout` or SIGKILL, is findable: namespace names end in the maker's
// PID and start time (OwnedName), veth ends left in namespaces netnstest
// does not own carry them in their alias, and Sweep, which every process's
// first Create runs, removes what dead processes made.
//
// Everything here needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); without it
// New and NewHost skip the test and say why.
//
// Links and addresses go through rtnetlink with
// github.com/jsimonetti/rtnetlink/v2: a route netlink library built on
// mdlayher/netlink, which xtnl already depends on, small, and with no
// namespace switching of its own: its sockets are made inside the
// namespace on a thread internal/nsthread switches there and back, the
// one way xtnl enters namespaces. vishvananda/netlink would bring a second
// netlink stack and switches namespaces itself on the caller's thread.
package netnstest
