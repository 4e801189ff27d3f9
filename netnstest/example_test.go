package netnstest_test

import (
	"fmt"
	"log"
	"os"
	"slices"
	"time"

	"github.com/xtnl/xtnl/compat"
	"github.com/xtnl/xtnl/netnstest"
)

// Two namespaces joined by a veth pair, and a ping across it, both ways
// and in both families. (In a test, New and Connect do the creating and
// the cleaning up.)
func Example() {
	a, err := netnstest.Create("")
	if err != nil {
		log.Fatal(err)
	}
	defer a.Delete()
	b, err := netnstest.Create("")
	if err != nil {
		log.Fatal(err)
	}
	defer b.Delete()
	v, err := netnstest.NewVeth(
		netnstest.End{NS: a, Name: "veth0", Addrs: []string{"192.0.2.1/24", "2001:db8::1/64"}},
		netnstest.End{NS: b, Name: "eth0", Addrs: []string{"192.0.2.2/24", "2001:db8::2/64"}},
	)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Delete()
	for _, p := range []struct {
		from *netnstest.NS
		to   string
	}{{a, "192.0.2.2"}, {b, "2001:db8::1"}} {
		r, err := p.from.Probe(netnstest.Ping(p.to).Count(3).Interval(10 * time.Millisecond))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("ping %s: %s, %d/%d replies from %s\n", p.to, r.Outcome, r.Replies, r.Sent, r.From)
	}
	// Output:
	// ping 192.0.2.2: reached, 3/3 replies from 192.0.2.2
	// ping 2001:db8::1: reached, 3/3 replies from 2001:db8::1
}

// A firewall rule proven by traffic: the host drops SSH from one container
// and not from the other, and rejects everything else to port 23.
func ExampleBuildHost() {
	h, err := netnstest.BuildHost(nil, 2)
	if err != nil {
		log.Fatal(err)
	}
	defer h.Delete()
	ssh, err := h.Serve("tcp", ":22")
	if err != nil {
		log.Fatal(err)
	}
	defer ssh.Close()
	ipt, err := compat.New(compat.NetNS(h.Name))
	if err != nil {
		log.Fatal(err)
	}
	c0 := h.Containers[0]
	rules := [][]string{
		{"-p", "tcp", "--dport", "22", "-s", c0.Addr4().String(), "-j", "DROP"},
		{"-p", "tcp", "--dport", "23", "-j", "REJECT", "--reject-with", "tcp-reset"},
	}
	for _, r := range rules {
		if err := ipt.Append("filter", "INPUT", r...); err != nil {
			log.Fatal(err)
		}
	}
	for _, c := range h.Containers {
		for _, port := range []string{"22", "23"} {
			p := netnstest.TCP(c.Gateway4().String() + ":" + port).Timeout(300 * time.Millisecond)
			r, err := c.Probe(p)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("%s from %s: %s\n", p, c.Addr4(), r)
		}
	}
	// Output:
	// tcp 10.0.1.1:22 from 10.0.1.2: timed out
	// tcp 10.0.1.1:23 from 10.0.1.2: refused tcp-reset
	// tcp 10.0.2.1:22 from 10.0.2.2: reached
	// tcp 10.0.2.1:23 from 10.0.2.2: refused tcp-reset
}

// Where a NAT rule sends traffic: the server says where each connection
// arrived and whom it came from.
func ExampleNS_Serve() {
	h, err := netnstest.BuildHost(nil, 2)
	if err != nil {
		log.Fatal(err)
	}
	defer h.Delete()
	client, server := h.Containers[0], h.Containers[1]
	web, err := server.Serve("tcp", ":8080")
	if err != nil {
		log.Fatal(err)
	}
	defer web.Close()
	ipt, err := compat.New(compat.NetNS(h.Name))
	if err != nil {
		log.Fatal(err)
	}
	// Port 80 of the host goes to the server's 8080, masqueraded.
	if err := ipt.Append("nat", "PREROUTING", "-p", "tcp", "--dport", "80", "-j", "DNAT", "--to-destination", "10.0.2.2:8080"); err != nil {
		log.Fatal(err)
	}
	if err := ipt.Append("nat", "POSTROUTING", "-o", "veth1", "-j", "MASQUERADE"); err != nil {
		log.Fatal(err)
	}
	r, err := client.Probe(netnstest.TCP("10.0.1.1:80"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("tcp 10.0.1.1:80:", r)
	for _, hit := range web.WaitHits(1, time.Second) {
		fmt.Println("server:", hit.Network, hit.At, "from", hit.From.Addr())
	}
	// Output:
	// tcp 10.0.1.1:80: reached
	// server: tcp 10.0.2.2:8080 from 10.0.2.1
}

// A probe says how it was refused, and by whom: here the host's REJECT
// answers a container's UDP datagram with an ICMP admin-prohibited.
func ExampleNS_Probe() {
	h, err := netnstest.BuildHost(nil, 1)
	if err != nil {
		log.Fatal(err)
	}
	defer h.Delete()
	ipt, err := compat.New(compat.NetNS(h.Name))
	if err != nil {
		log.Fatal(err)
	}
	if err := ipt.Append("filter", "INPUT", "-p", "udp", "--dport", "53", "-j", "REJECT", "--reject-with", "icmp-admin-prohibited"); err != nil {
		log.Fatal(err)
	}
	r, err := h.Containers[0].Probe(netnstest.UDP("10.0.1.1:53"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Outcome, r.Reject, r.From)
	fmt.Println(r)
	// Output:
	// refused icmp-admin-prohibited 10.0.1.1
	// refused icmp-admin-prohibited from 10.0.1.1
}

// After a run killed by `go test -timeout` (or SIGKILL), which no cleanup
// survives, remove what it left (any later test run does it as well); it
// leaves alone what running processes made.
func ExampleSweep() {
	ns, err := netnstest.Create("") // a live process's namespace
	if err != nil {
		log.Fatal(err)
	}
	defer ns.Delete()
	removed, err := netnstest.Sweep()
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range removed {
		log.Println("removed", r) // what dead processes left
	}
	_, err = os.Stat(ns.Path)
	fmt.Println("live namespace kept:", !slices.Contains(removed, "namespace "+ns.Name) && err == nil)
	// Output: live namespace kept: true
}
