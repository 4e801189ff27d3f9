package netnstest

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Probes send real packets from inside a namespace and say what came
// back, so that a test asserts what a firewall rule does to traffic
// rather than what the rule looks like:
//
//	client.Expect(t, netnstest.TCP("10.0.1.1:22"), netnstest.TimedOut) // dropped
//
// A probe's socket is created inside the namespace (a socket stays in the
// namespace it was made in); all its I/O then runs on the caller's
// goroutine with deadlines, nothing is executed.

// Outcome is what became of a probe.
type Outcome int

// Outcomes.
const (
	// Reached: the far end answered (an echo reply, a TCP connection, a
	// UDP reply).
	Reached Outcome = iota + 1
	// Refused: an ICMP error or a TCP reset came back; Result.Reject says
	// which.
	Refused
	// TimedOut: nothing came back in time, as when a rule drops the
	// packet (or its answer).
	TimedOut
)

// String is the outcome as Result.String writes it: "reached",
// "refused", "timed out".
func (o Outcome) String() string {
	switch o {
	case Reached:
		return "reached"
	case Refused:
		return "refused"
	case TimedOut:
		return "timed out"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Reject is how a probe was refused, in the words of iptables' REJECT
// --reject-with for the answers REJECT can send.
type Reject string

// Answers REJECT sends, and a few a router does.
const (
	TCPReset             Reject = "tcp-reset"
	ICMPNetUnreachable   Reject = "icmp-net-unreachable"
	ICMPHostUnreachable  Reject = "icmp-host-unreachable"
	ICMPProtoUnreachable Reject = "icmp-proto-unreachable"
	ICMPPortUnreachable  Reject = "icmp-port-unreachable"
	ICMPNetProhibited    Reject = "icmp-net-prohibited"
	ICMPHostProhibited   Reject = "icmp-host-prohibited"
	ICMPAdminProhibited  Reject = "icmp-admin-prohibited"
	ICMP6NoRoute         Reject = "icmp6-no-route"
	ICMP6AdmProhibited   Reject = "icmp6-adm-prohibited"
	ICMP6AddrUnreachable Reject = "icmp6-addr-unreachable"
	ICMP6PortUnreachable Reject = "icmp6-port-unreachable"
	ICMP6PolicyFail      Reject = "icmp6-policy-fail"
	ICMP6RejectRoute     Reject = "icmp6-reject-route"
)

// icmpReject names an ICMP error by type and code.
func icmpReject(v6 bool, typ, code uint8) Reject {
	if !v6 && typ == 3 {
		switch code {
		case 0:
			return ICMPNetUnreachable
		case 1:
			return ICMPHostUnreachable
		case 2:
			return ICMPProtoUnreachable
		case 3:
			return ICMPPortUnreachable
		case 9:
			return ICMPNetProhibited
		case 10:
			return ICMPHostProhibited
		case 13:
			return ICMPAdminProhibited
		}
	}
	if v6 && typ == 1 {
		switch code {
		case 0:
			return ICMP6NoRoute
		case 1:
			return ICMP6AdmProhibited
		case 3:
			return ICMP6AddrUnreachable
		case 4:
			return ICMP6PortUnreachable
		case 5:
			return ICMP6PolicyFail
		case 6:
			return ICMP6RejectRoute
		}
	}
	if v6 {
		return Reject(fmt.Sprintf("icmp6-type-%d-code-%d", typ, code))
	}
	return Reject(fmt.Sprintf("icmp-type-%d-code-%d", typ, code))
}

// Result is what a probe found.
type Result struct {
	Outcome Outcome
	Reject  Reject        // how it was Refused
	From    netip.Addr    // who answered: the echo replier or UDP peer, or the ICMP error's sender
	Sent    int           // echo requests sent (Ping)
	Replies int           // echo replies received (Ping)
	Elapsed time.Duration // from the first packet sent to the outcome
	// Err is a local failure behind a TimedOut: sending failed (EPERM is
	// this namespace's own OUTPUT or POSTROUTING dropping the packet), so
	// no answer could come.
	Err error
}

// String is the outcome as a test states it: "reached", "reached 1/3"
// (of a ping some of whose echoes went unanswered), "refused
// icmp-port-unreachable from 10.0.0.1", "refused tcp-reset", "timed out".
func (r Result) String() string {
	s := r.Outcome.String()
	switch {
	case r.Outcome == Reached && r.Sent > 0 && r.Replies != r.Sent:
		s += fmt.Sprintf(" %d/%d", r.Replies, r.Sent)
	case r.Outcome == Refused:
		s += " " + string(r.Reject)
		if r.From.IsValid() {
			s += " from " + r.From.String()
		}
	case r.Outcome == TimedOut && r.Err != nil:
		s += " (" + oneLine(r.Err) + ")"
	}
	return s
}

// DefaultTimeout is how long a probe waits for an answer unless told
// otherwise: enough for a veth and a loaded machine, short enough that a
// test expecting a drop stays quick.
const DefaultTimeout = 500 * time.Millisecond

// Probe describes a probe for NS.Probe and NS.Expect: build one with Ping,
// TCP or UDP, then adjust it with its methods.
type Probe struct {
	kind     string // "ping", "tcp", "udp"
	dst      string
	src      string
	timeout  time.Duration
	count    int
	interval time.Duration
}

// Ping is an ICMP echo (ICMPv6 for an IPv6 address) to dst, an address:
// Reached on an echo reply, Refused on an ICMP error about the echo.
func Ping(dst string) Probe {
	return Probe{kind: "ping", dst: dst, count: 1, interval: 100 * time.Millisecond}
}

// TCP is a TCP connect to dst, an address and port ("10.0.0.1:22",
// "[fd00::1]:22"): Reached once connected (the connection is closed
// then), Refused on a reset or an ICMP error.
func TCP(dst string) Probe { return Probe{kind: "tcp", dst: dst} }

// UDP is a UDP exchange with dst, an address and port: one datagram out,
// Reached when the same bytes come back (a Server, or any UDP echo
// service, sends them back), Refused on an ICMP error.
func UDP(dst string) Probe { return Probe{kind: "udp", dst: dst} }

// From binds the probe's socket to a source address of the namespace.
func (p Probe) From(src string) Probe { p.src = src; return p }

// Timeout sets how long the probe waits for an answer (DefaultTimeout if
// not set); for a ping of several echoes, after the last one is sent.
func (p Probe) Timeout(d time.Duration) Probe { p.timeout = d; return p }

// Count sets how many echo requests a Ping sends (1 if not set), Interval
// apart; it is Reached if any is answered.
func (p Probe) Count(n int) Probe { p.count = n; return p }

// Interval sets the time between a Ping's echo requests (100ms if not
// set).
func (p Probe) Interval(d time.Duration) Probe { p.interval = d; return p }

// String is the probe as a test log shows it: "tcp 10.0.0.1:22".
func (p Probe) String() string {
	s := p.kind + " " + p.dst
	if p.src != "" {
		s += " from " + p.src
	}
	if p.kind == "ping" && p.count != 1 {
		s += fmt.Sprintf(" x%d", p.count)
	}
	return s
}

// target is a probe with its addresses parsed.
type target struct {
	Probe
	dst     netip.AddrPort
	src     netip.Addr
	timeout time.Duration
}

func (p Probe) parse() (target, error) {
	t := target{Probe: p, timeout: p.timeout}
	if t.timeout == 0 {
		t.timeout = DefaultTimeout
	}
	switch p.kind {
	case "ping":
		a, err := netip.ParseAddr(p.dst)
		if err != nil || a.Zone() != "" {
			return t, &InputError{Arg: "ping destination", Value: p.dst, Reason: "is not an IP address"}
		}
		t.dst = netip.AddrPortFrom(a.Unmap(), 0)
		if p.count < 1 || p.count > 1000 {
			return t, &InputError{Arg: "ping count", Value: fmt.Sprint(p.count), Reason: "is not within 1..1000"}
		}
		if p.interval < 0 {
			return t, &InputError{Arg: "ping interval", Value: p.interval.String(), Reason: "is negative"}
		}
	case "tcp", "udp":
		ap, err := netip.ParseAddrPort(p.dst)
		if err != nil || ap.Port() == 0 || ap.Addr().Zone() != "" {
			return t, &InputError{Arg: p.kind + " destination", Value: p.dst, Reason: `is not an address and port ("10.0.0.1:22", "[fd00::1]:22")`}
		}
		t.dst = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	default:
		return t, &InputError{Arg: "probe", Reason: "is not made by Ping, TCP or UDP"}
	}
	if t.timeout < 0 {
		return t, &InputError{Arg: "probe timeout", Value: t.timeout.String(), Reason: "is negative"}
	}
	if p.src != "" {
		a, err := netip.ParseAddr(p.src)
		if err != nil || a.Zone() != "" {
			return t, &InputError{Arg: "probe source", Value: p.src, Reason: "is not an IP address"}
		}
		t.src = a.Unmap()
		if t.src.Is4() != t.dst.Addr().Is4() {
			return t, &InputError{Arg: "probe source", Value: p.src, Reason: "is not of the destination's family"}
		}
	}
	return t, nil
}

// Probe sends the probe from inside the namespace and says what came
// back. Its error is for a bad probe or a probe that could not be sent
// at all (no socket); what the network did is in the Result.
func (ns *NS) Probe(p Probe) (Result, error) {
	t, err := p.parse()
	if err != nil {
		return Result{}, err
	}
	fd, err := ns.handle()
	if err != nil {
		return Result{}, err
	}
	var r Result
	switch t.kind {
	case "ping":
		r, err = ping(fd, t)
	case "tcp":
		r, err = connectTCP(fd, t)
	case "udp":
		r, err = exchangeUDP(fd, t)
	}
	if err != nil {
		return r, fmt.Errorf("netnstest: %s in %s: %w", p, ns, err)
	}
	return r, nil
}

// Expect runs the probe and fails tb unless its outcome is want; it
// returns the Result for closer checks (which Reject, who answered).
func (ns *NS) Expect(tb testing.TB, p Probe, want Outcome) Result {
	tb.Helper()
	r, err := ns.Probe(p)
	if err != nil {
		tb.Fatal(err)
	}
	if r.Outcome != want {
		tb.Fatalf("%s from %s: %s, want %s", p, ns, r, want)
	}
	return r
}

// oneLine is an error's text on one line, for Result.String.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
