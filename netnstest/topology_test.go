package netnstest

import (
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"
)

// quick is the timeout of probes expected to time out: short, so that the
// suite stays fast, and long against a veth's round trip (microseconds).
const quick = 300 * time.Millisecond

func TestNewBringsLoUp(t *testing.T) {
	ns := New(t)
	links, err := ns.Links()
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Name != "lo" || !links[0].Up {
		t.Fatalf("links of a new namespace: %+v, want lo up", links)
	}
	for _, p := range []Probe{Ping("127.0.0.1"), Ping("::1")} {
		ns.Expect(t, p, Reached)
	}
}

func TestConnectJoinsTwoNamespaces(t *testing.T) {
	a, b := New(t), New(t)
	v := Connect(t,
		End{NS: a, Name: "veth-a", Addrs: []string{"192.0.2.1/24", "2001:db8::1/64"}},
		End{NS: b, Name: "eth0", Addrs: []string{"192.0.2.2/24", "2001:db8::2/64"}})
	if got := v.B.Addr4(); got != netip.MustParseAddr("192.0.2.2") {
		t.Fatalf("B's IPv4 address: %v", got)
	}
	if got := v.A.Addr6(); got != netip.MustParseAddr("2001:db8::1") {
		t.Fatalf("A's IPv6 address: %v", got)
	}
	for _, ep := range []struct {
		from *NS
		to   netip.Addr
	}{{a, v.B.Addr4()}, {a, v.B.Addr6()}, {b, v.A.Addr4()}, {b, v.A.Addr6()}} {
		r := ep.from.Expect(t, Ping(ep.to.String()), Reached)
		if r.From != ep.to || r.Sent != 1 || r.Replies != 1 {
			t.Fatalf("ping %s: %+v", ep.to, r)
		}
	}
	if err := v.Delete(); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []*NS{a, b} {
		links, err := ns.Links()
		if err != nil {
			t.Fatal(err)
		}
		if len(links) != 1 {
			t.Fatalf("after Delete, %s still has %+v", ns, links)
		}
	}
}

// Routes: containers reach each other through the host, which forwards;
// a host that did not forward would make each probe time out.
func TestHostRoutesBetweenContainers(t *testing.T) {
	h := NewHost(t, 3)
	c0, c2 := h.Containers[0], h.Containers[2]
	if c2.Addr4() != netip.MustParseAddr("10.0.3.2") || c2.Gateway6() != netip.MustParseAddr("fd00:0:0:3::1") {
		t.Fatalf("container 2: %s %s", c2.Addr4(), c2.Gateway6())
	}
	if c2.Veth.A.Name != "veth2" || c2.Veth.B.Name != "eth0" {
		t.Fatalf("container 2's veth: %s - %s", c2.Veth.A.Name, c2.Veth.B.Name)
	}
	c2.MustServe(t, "tcp", ":80")
	c2.MustServe(t, "udp", ":53")
	for _, to := range []netip.Addr{c2.Addr4(), c2.Addr6()} {
		r := c0.Expect(t, Ping(to.String()).Count(2).Interval(5*time.Millisecond), Reached)
		if r.Replies != 2 {
			t.Fatalf("ping %s: %s", to, r)
		}
		c0.Expect(t, TCP(netip.AddrPortFrom(to, 80).String()), Reached)
		c0.Expect(t, UDP(netip.AddrPortFrom(to, 53).String()), Reached)
	}
	// The host reaches every container on its own link.
	for _, c := range h.Containers {
		h.Expect(t, Ping(c.Addr6().String()), Reached)
	}
}

func TestProbeOutcomesWithoutFirewall(t *testing.T) {
	h := NewHost(t, 2)
	c0, c1 := h.Containers[0], h.Containers[1]
	c1.MustServe(t, "tcp", ":22")
	c1.MustServe(t, "udp", ":53")
	cases := []struct {
		probe Probe
		want  string
	}{
		{TCP("10.0.2.2:22"), "reached"},
		{TCP("10.0.2.2:23"), "refused tcp-reset"},
		{TCP("[fd00:0:0:2::2]:23"), "refused tcp-reset"},
		{UDP("10.0.2.2:53"), "reached"},
		{UDP("10.0.2.2:54"), "refused icmp-port-unreachable from 10.0.2.2"},
		{UDP("[fd00:0:0:2::2]:54"), "refused icmp6-port-unreachable from fd00:0:0:2::2"},
		// No route in the host: it answers net unreachable (IPv6: no route).
		{Ping("10.9.0.1"), "refused icmp-net-unreachable from 10.0.1.1"},
		{TCP("10.9.0.1:80"), "refused icmp-net-unreachable from 10.0.1.1"},
		{Ping("fd09::1"), "refused icmp6-no-route from fd00:0:0:1::1"},
		// Nobody has the address: neighbour resolution goes unanswered.
		{Ping("10.0.2.99").Timeout(quick), "timed out"},
		{TCP("[fd00:0:0:2::99]:22").Timeout(quick), "timed out"},
		{UDP("10.0.2.99:53").Timeout(quick), "timed out"},
		{Ping("10.0.2.2").From("10.0.1.2"), "reached"},
	}
	for _, c := range cases {
		r, err := c0.Probe(c.probe)
		if err != nil {
			t.Fatalf("%s: %v", c.probe, err)
		}
		if r.String() != c.want {
			t.Errorf("%s: %s, want %s", c.probe, r, c.want)
		}
		if r.Outcome == TimedOut && (r.Elapsed < quick || r.Elapsed > quick+200*time.Millisecond) {
			t.Errorf("%s timed out after %v; its timeout is %v", c.probe, r.Elapsed, quick)
		}
	}
}

func TestServerSeesWhereAndFromWhom(t *testing.T) {
	h := NewHost(t, 1)
	c := h.Containers[0]
	tcp := h.MustServe(t, "tcp", ":8080")
	udp := h.MustServe(t, "udp", "10.0.1.1:5353")
	if got := len(tcp.Addrs()); got != 2 {
		t.Fatalf("a :PORT server listens on %d addresses, want 2 (IPv4 and IPv6)", got)
	}
	c.Expect(t, TCP("[fd00:0:0:1::1]:8080"), Reached)
	c.Expect(t, UDP("10.0.1.1:5353").From("10.0.1.2"), Reached)
	c.Expect(t, UDP("[fd00:0:0:1::1]:5353").Timeout(quick), Refused) // bound to IPv4 only
	hits := tcp.WaitHits(1, time.Second)
	if len(hits) != 1 || hits[0].At != netip.MustParseAddrPort("[fd00:0:0:1::1]:8080") || hits[0].From.Addr() != c.Addr6() {
		t.Fatalf("tcp hits: %v", hits)
	}
	if hits := udp.Hits(); len(hits) != 1 || hits[0].String() != "udp 10.0.1.1:5353 from "+hits[0].From.String() || hits[0].From.Addr() != c.Addr4() {
		t.Fatalf("udp hits: %v", hits)
	}
}

func TestBadInputIsTypedError(t *testing.T) {
	ns := New(t)
	errs := map[string]error{}
	_, errs["nil end"] = NewVeth(End{Name: "a"}, End{NS: ns, Name: "b"})
	_, errs["long name"] = NewVeth(End{NS: ns, Name: "abcdefghijklmnop"}, End{NS: ns, Name: "b"})
	_, errs["slash"] = NewVeth(End{NS: ns, Name: "a/b"}, End{NS: ns, Name: "b"})
	_, errs["same name"] = NewVeth(End{NS: ns, Name: "a"}, End{NS: ns, Name: "a"})
	_, errs["bad address"] = NewVeth(End{NS: ns, Name: "a", Addrs: []string{"10.0.0.1"}}, End{NS: ns, Name: "b"})
	errs["bad gateway"] = ns.AddRoute("default", "eth0")
	errs["mixed families"] = ns.AddRoute("10.0.0.0/8", "fd00::1")
	errs["bad route"] = ns.AddRoute("10.0.0.0/33", "10.0.0.1")
	errs["addr"] = ns.AddAddr("lo", "10.0.0.1/40")
	errs["sysctl outside net"] = ns.SetSysctl("kernel.panic", "1")
	errs["sysctl escape"] = ns.SetSysctl("net/../kernel/panic", "1")
	_, errs["container count"] = BuildHost(ns, 0)
	_, errs["server network"] = ns.Serve("sctp", ":80")
	_, errs["server addr"] = ns.Serve("tcp", "localhost:80")
	_, errs["server port"] = ns.Serve("tcp", ":0")
	_, errs["ping dst"] = ns.Probe(Ping("10.0.0.1:80"))
	_, errs["ping count"] = ns.Probe(Ping("10.0.0.1").Count(0))
	_, errs["tcp dst"] = ns.Probe(TCP("10.0.0.1"))
	_, errs["udp port 0"] = ns.Probe(UDP("10.0.0.1:0"))
	_, errs["src family"] = ns.Probe(TCP("10.0.0.1:80").From("::1"))
	_, errs["zero probe"] = ns.Probe(Probe{})
	_, errs["namespace name"] = Create("a/b")
	_, errs["open name"] = Open("..")
	var nilNS *NS
	_, errs["nil namespace"] = nilNS.Probe(Ping("127.0.0.1"))
	for what, err := range errs {
		var ie *InputError
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &ie) {
			t.Errorf("%s: %v (%T), want an *InputError", what, err, err)
		}
	}
}

func TestWorkAfterDeleteFails(t *testing.T) {
	ns, err := Create("")
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Delete(); err != nil {
		t.Fatal(err)
	}
	if err := ns.Delete(); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if _, err := os.Stat(ns.Path); !os.IsNotExist(err) {
		t.Fatalf("%s after Delete: %v", ns.Path, err)
	}
	_, perr := ns.Probe(Ping("127.0.0.1"))
	for _, err := range []error{ns.LinkUp("lo"), perr} {
		if !errors.Is(err, ErrDeleted) {
			t.Errorf("after Delete: %v, want ErrDeleted", err)
		}
	}
}
