package netnstest

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
)

// Host is a small "host with containers": a namespace standing for a
// node, and containers (namespaces) each joined to it by a veth pair of
// their own, with IPv4 and IPv6 addresses, default routes through the
// host, and forwarding on in the host, so containers reach the host and
// each other through it (through its FORWARD chain).
//
// Container i (from 0) is on 10.0.N.0/24 and fd00:0:0:N::/64, N = i+1:
// the host's end is vethI with .1 and ::1, the container's is eth0 with
// .2 and ::2.
type Host struct {
	*NS                     // the host
	Containers []*Container // in order

	ownsHost bool
}

// Container is a namespace joined to its Host.
type Container struct {
	*NS
	Veth *Veth // A is the host's end (vethI), B the container's (eth0)
}

// Addr4 is the container's IPv4 address (10.0.N.2).
func (c *Container) Addr4() netip.Addr { return c.Veth.B.Addr4() }

// Addr6 is the container's IPv6 address (fd00:0:0:N::2).
func (c *Container) Addr6() netip.Addr { return c.Veth.B.Addr6() }

// Gateway4 is the host's IPv4 address on the container's link (10.0.N.1).
func (c *Container) Gateway4() netip.Addr { return c.Veth.A.Addr4() }

// Gateway6 is the host's IPv6 address on the container's link
// (fd00:0:0:N::1).
func (c *Container) Gateway6() netip.Addr { return c.Veth.A.Addr6() }

// MaxContainers is how many containers a Host can have (one /24 each in
// 10.0.0.0/16).
const MaxContainers = 254

// NewHost builds a host with n containers in fresh namespaces, and
// deletes them when tb ends. It fails tb on error, and skips it without
// root as New does.
func NewHost(tb testing.TB, n int) *Host {
	tb.Helper()
	host := New(tb)
	h, err := BuildHost(host, n)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := h.Delete(); err != nil {
			tb.Errorf("netnstest: %v", err)
		}
	})
	return h
}

// BuildHost builds n containers around host, a namespace of New or
// Create, or Current() to make the caller's namespace the host (as a node
// agent's test running in a namespace of its own would). host nil means a
// fresh namespace. The caller must Delete the Host; that deletes the
// containers, and the host if BuildHost made it.
func BuildHost(host *NS, n int) (*Host, error) {
	if n < 1 || n > MaxContainers {
		return nil, &InputError{Arg: "container count", Value: fmt.Sprint(n), Reason: fmt.Sprintf("is not within 1..%d", MaxContainers)}
	}
	h := &Host{NS: host}
	if host == nil {
		var err error
		if h.NS, err = Create(""); err != nil {
			return nil, err
		}
		h.ownsHost = true
	}
	if err := h.NS.EnableForwarding(); err != nil {
		h.Delete()
		return nil, err
	}
	for i := range n {
		c, err := h.addContainer(i + 1)
		if err != nil {
			h.Delete()
			return nil, err
		}
		h.Containers = append(h.Containers, c)
	}
	return h, nil
}

func (h *Host) addContainer(net int) (*Container, error) {
	ns, err := Create("")
	if err != nil {
		return nil, err
	}
	v, err := NewVeth(
		End{NS: h.NS, Name: fmt.Sprintf("veth%d", net-1), Addrs: []string{fmt.Sprintf("10.0.%d.1/24", net), fmt.Sprintf("fd00:0:0:%x::1/64", net)}},
		End{NS: ns, Name: "eth0", Addrs: []string{fmt.Sprintf("10.0.%d.2/24", net), fmt.Sprintf("fd00:0:0:%x::2/64", net)}},
	)
	if err == nil {
		err = errors.Join(
			ns.AddRoute("default", v.A.Addr4().String()),
			ns.AddRoute("default", v.A.Addr6().String()),
		)
	}
	if err != nil {
		if v != nil {
			v.Delete()
		}
		ns.Delete()
		return nil, err
	}
	return &Container{NS: ns, Veth: v}, nil
}

// Delete deletes the containers, their veth pairs, and the host if
// BuildHost made it.
func (h *Host) Delete() error {
	var errs []error
	for _, c := range h.Containers {
		if !h.NS.owned {
			// The host lives on: its end must go now. Otherwise the
			// container's namespace takes the pair with it, in the
			// background, sparing a wait per pair.
			errs = append(errs, c.Veth.Delete())
		}
		errs = append(errs, c.NS.Delete())
	}
	h.Containers = nil
	if h.ownsHost {
		errs = append(errs, h.NS.Delete())
	}
	return errors.Join(errs...)
}
