package netnstest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/jsimonetti/rtnetlink/v2"
	"golang.org/x/sys/unix"
)

// Interfaces, addresses and routes through rtnetlink. Every request goes
// out on a route netlink socket made inside the namespace (on a thread
// nsthread switches there and back), so it acts on that namespace.

// rtnl runs fn with a route netlink connection in the namespace.
func (ns *NS) rtnl(fn func(c *rtnetlink.Conn) error) error {
	return ns.do(func() error {
		c, err := rtnetlink.Dial(nil)
		if err != nil {
			return fmt.Errorf("route netlink socket: %w", err)
		}
		defer c.Close()
		return fn(c)
	})
}

// Link is a network interface as Links reports it.
type Link struct {
	Index int
	Name  string
	Kind  string // "veth", "bridge", ... ("" for lo)
	Alias string
	Up    bool
}

// Links lists the namespace's interfaces.
func (ns *NS) Links() ([]Link, error) {
	var out []Link
	err := ns.rtnl(func(c *rtnetlink.Conn) error {
		msgs, err := c.Link.List()
		if err != nil {
			return err
		}
		for _, m := range msgs {
			l := Link{Index: int(m.Index), Up: m.Flags&unix.IFF_UP != 0}
			if a := m.Attributes; a != nil {
				l.Name = a.Name
				if a.Alias != nil {
					l.Alias = *a.Alias
				}
				if a.Info != nil {
					l.Kind = a.Info.Kind
				}
			}
			out = append(out, l)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("netnstest: list links in %s: %w", ns, err)
	}
	return out, nil
}

// linkIndex finds an interface by name.
func linkIndex(c *rtnetlink.Conn, name string) (uint32, error) {
	msgs, err := c.Link.List()
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if m.Attributes != nil && m.Attributes.Name == name {
			return m.Index, nil
		}
	}
	return 0, fmt.Errorf("no interface %q", name)
}

// LinkUp sets an interface up.
func (ns *NS) LinkUp(name string) error {
	if err := checkIfName(name); err != nil {
		return err
	}
	err := ns.rtnl(func(c *rtnetlink.Conn) error {
		i, err := linkIndex(c, name)
		if err != nil {
			return err
		}
		return setUp(c, i)
	})
	if err != nil {
		return fmt.Errorf("netnstest: set %s up in %s: %w", name, ns, err)
	}
	return nil
}

func setUp(c *rtnetlink.Conn, index uint32) error {
	return c.Link.Set(&rtnetlink.LinkMessage{Family: unix.AF_UNSPEC, Index: index, Flags: unix.IFF_UP, Change: unix.IFF_UP})
}

// AddAddr gives an interface an address with its prefix length, IPv4 or
// IPv6 ("10.0.0.1/24", "fd00::1/64"). IPv6 addresses skip duplicate
// address detection, so they are usable at once rather than a second or
// two later.
func (ns *NS) AddAddr(ifname, prefix string) error {
	if err := checkIfName(ifname); err != nil {
		return err
	}
	p, err := parsePrefix(prefix)
	if err != nil {
		return err
	}
	err = ns.rtnl(func(c *rtnetlink.Conn) error {
		i, err := linkIndex(c, ifname)
		if err != nil {
			return err
		}
		return addAddr(c, i, p)
	})
	if err != nil {
		return fmt.Errorf("netnstest: add %s to %s in %s: %w", p, ifname, ns, err)
	}
	return nil
}

func addAddr(c *rtnetlink.Conn, index uint32, p netip.Prefix) error {
	ip := net.IP(p.Addr().AsSlice())
	m := &rtnetlink.AddressMessage{
		Family:       unix.AF_INET,
		PrefixLength: uint8(p.Bits()),
		Index:        index,
		Attributes:   &rtnetlink.AddressAttributes{Address: ip, Local: ip},
	}
	if p.Addr().Is6() {
		m.Family = unix.AF_INET6
		m.Attributes.Local = nil
		m.Attributes.Flags = unix.IFA_F_NODAD
	}
	return c.Address.New(m)
}

// parsePrefix parses an interface address with its prefix length, keeping
// the host part ("10.0.0.1/24" is address 10.0.0.1 on 10.0.0.0/24).
func parsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Zone() != "" {
		return netip.Prefix{}, &InputError{Arg: "address", Value: s, Reason: "is not an address with a prefix length (10.0.0.1/24, fd00::1/64)"}
	}
	return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()), nil
}

// AddRoute adds a route to dst ("default", "default6", or a prefix such as
// "10.1.0.0/16") through the gateway via, an address on a connected
// network. "default" is IPv4's default route when via is IPv4, IPv6's
// when via is IPv6.
func (ns *NS) AddRoute(dst, via string) error {
	gw, err := netip.ParseAddr(via)
	if err != nil || gw.Zone() != "" {
		return &InputError{Arg: "gateway", Value: via, Reason: "is not an IP address"}
	}
	gw = gw.Unmap()
	var to netip.Prefix
	if dst == "default" {
		to = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if gw.Is6() {
			to = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
	} else if to, err = netip.ParsePrefix(dst); err != nil {
		return &InputError{Arg: "route destination", Value: dst, Reason: `is neither "default" nor a prefix`}
	}
	to = to.Masked()
	if to.Addr().Is4() != gw.Is4() {
		return &InputError{Arg: "gateway", Value: via, Reason: "is not of the destination's family " + to.String()}
	}
	err = ns.rtnl(func(c *rtnetlink.Conn) error {
		m := &rtnetlink.RouteMessage{
			Family:    unix.AF_INET,
			DstLength: uint8(to.Bits()),
			Table:     unix.RT_TABLE_MAIN,
			Protocol:  unix.RTPROT_STATIC,
			Scope:     unix.RT_SCOPE_UNIVERSE,
			Type:      unix.RTN_UNICAST,
			Attributes: rtnetlink.RouteAttributes{
				Dst:     net.IP(to.Addr().AsSlice()),
				Gateway: net.IP(gw.AsSlice()),
			},
		}
		if gw.Is6() {
			m.Family = unix.AF_INET6
		}
		return c.Route.Add(m)
	})
	if err != nil {
		return fmt.Errorf("netnstest: route %s via %s in %s: %w", to, gw, ns, err)
	}
	return nil
}

// SetSysctl sets one of the namespace's own settings under
// /proc/sys/net, such as "net.ipv4.ip_forward" (or
// "net/ipv4/ip_forward"). Only net.* keys are per namespace; others are
// refused rather than changed for the whole machine.
func (ns *NS) SetSysctl(key, value string) error {
	rel := strings.ReplaceAll(key, ".", "/")
	if strings.Contains(key, "/") {
		rel = key
	}
	if !strings.HasPrefix(rel, "net/") || strings.Contains(rel, "..") || filepath.Clean(rel) != rel {
		return &InputError{Arg: "sysctl", Value: key, Reason: "is not a per-namespace net.* setting"}
	}
	path := filepath.Join("/proc/sys", rel)
	// /proc/sys/net shows the opening thread's namespace.
	err := ns.do(func() error { return os.WriteFile(path, []byte(value), 0) })
	if err != nil {
		return fmt.Errorf("netnstest: sysctl %s=%s in %s: %w", key, value, ns, err)
	}
	return nil
}

// EnableForwarding makes the namespace a router for IPv4 and IPv6, as a
// container host is.
func (ns *NS) EnableForwarding() error {
	return errors.Join(
		ns.SetSysctl("net.ipv4.ip_forward", "1"),
		ns.SetSysctl("net.ipv6.conf.all.forwarding", "1"),
	)
}
