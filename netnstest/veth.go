package netnstest

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/jsimonetti/rtnetlink/v2/driver"
	"golang.org/x/sys/unix"
)

// End is one end of a veth pair as Connect and NewVeth are asked for it.
type End struct {
	NS    *NS      // where the end lives: a namespace of New or Create, or Current()
	Name  string   // its interface name there (at most 15 bytes)
	Addrs []string // addresses with prefix lengths: "10.0.0.1/24", "fd00::1/64"
}

// Iface is one end of a veth pair once made: up, with its addresses.
type Iface struct {
	NS    *NS
	Name  string
	Index int
	Addrs []netip.Prefix
}

// Addr4 is the end's first IPv4 address (the zero Addr if none).
func (i Iface) Addr4() netip.Addr { return i.first(netip.Addr.Is4) }

// Addr6 is the end's first IPv6 address (the zero Addr if none).
func (i Iface) Addr6() netip.Addr { return i.first(netip.Addr.Is6) }

func (i Iface) first(is func(netip.Addr) bool) netip.Addr {
	for _, p := range i.Addrs {
		if is(p.Addr()) {
			return p.Addr()
		}
	}
	return netip.Addr{}
}

// Veth is a veth pair: a cable between two namespaces (or two interfaces
// of one), as container runtimes join a container to its host.
type Veth struct {
	A, B    Iface
	foreign []*foreignEnd // ends in namespaces netnstest does not own
}

// Connect joins two namespaces by a veth pair, both ends up and
// addressed, and deletes the pair when tb ends. It fails tb on error.
func Connect(tb testing.TB, a, b End) *Veth {
	tb.Helper()
	v, err := NewVeth(a, b)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := v.Delete(); err != nil {
			tb.Errorf("netnstest: %v", err)
		}
	})
	return v
}

// NewVeth joins two namespaces by a veth pair, both ends up and addressed;
// the caller must Delete it (deleting a namespace New or Create made takes
// the pair with it too). An end in a namespace netnstest does not own,
// such as Current(), is tagged with this process (see Sweep) and deleted
// on the signals New's namespaces are.
func NewVeth(a, b End) (*Veth, error) {
	pa, err := checkEnd("first", a)
	if err != nil {
		return nil, err
	}
	pb, err := checkEnd("second", b)
	if err != nil {
		return nil, err
	}
	if a.NS == b.NS && a.Name == b.Name {
		return nil, &InputError{Arg: "interface name", Value: a.Name, Reason: "is given to both ends in one namespace"}
	}
	fa, err := a.NS.handle()
	if err != nil {
		return nil, err
	}
	fb, err := b.NS.handle()
	if err != nil {
		return nil, err
	}
	v := &Veth{A: Iface{NS: a.NS, Name: a.Name, Addrs: pa}, B: Iface{NS: b.NS, Name: b.Name, Addrs: pb}}
	if err := v.create(fa, fb); err != nil {
		return nil, fmt.Errorf("netnstest: veth %s (%s) - %s (%s): %w", a.Name, a.NS, b.Name, b.NS, err)
	}
	for _, e := range []*Iface{&v.A, &v.B} {
		if err := e.configure(); err != nil {
			v.Delete()
			return nil, fmt.Errorf("netnstest: veth end %s in %s: %w", e.Name, e.NS, err)
		}
	}
	for _, e := range []*Iface{&v.A, &v.B} {
		if err := e.waitRunning(); err != nil {
			v.Delete()
			return nil, fmt.Errorf("netnstest: veth end %s in %s: %w", e.Name, e.NS, err)
		}
	}
	return v, nil
}

func checkEnd(which string, e End) ([]netip.Prefix, error) {
	if e.NS == nil {
		return nil, &InputError{Arg: which + " end's namespace", Reason: "is nil"}
	}
	if err := checkIfName(e.Name); err != nil {
		return nil, err
	}
	var ps []netip.Prefix
	for _, s := range e.Addrs {
		p, err := parsePrefix(s)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// create makes the pair from A's namespace, B's end going straight into
// B's (IFLA_NET_NS_FD), and tags ends in namespaces netnstest does not
// own. Such a pair is made under the registry's lock and registered, so a
// signal finds its ends.
func (v *Veth) create(fa, fb int) error {
	build := func() error {
		ia, ib, err := v.indexes()
		if err != nil {
			return err
		}
		peer := &rtnetlink.LinkMessage{Family: unix.AF_UNSPEC, Index: ib, Attributes: &rtnetlink.LinkAttributes{Name: v.B.Name}}
		if v.B.NS != v.A.NS {
			peer.Attributes.NetNS = rtnetlink.NetNSForFD(uint32(fb))
		}
		req := &rtnetlink.LinkMessage{Family: unix.AF_UNSPEC, Index: ia, Attributes: &rtnetlink.LinkAttributes{
			Name: v.A.Name,
			Info: &rtnetlink.LinkInfo{Kind: "veth", Data: &driver.Veth{PeerInfo: peer}},
		}}
		if err := v.A.NS.rtnl(func(c *rtnetlink.Conn) error { return c.Link.New(req) }); err != nil {
			return err
		}
		for _, e := range []struct {
			Iface
			fd int
		}{{v.A, fa}, {v.B, fb}} {
			if e.NS.owned {
				continue
			}
			f := &foreignEnd{fd: -1, name: e.Name, tag: linkTag()}
			err := tagLink(e.NS, f.name, f.tag)
			if err == nil {
				f.fd, err = unix.FcntlInt(uintptr(e.fd), unix.F_DUPFD_CLOEXEC, 0)
			}
			if err != nil {
				v.release()
				v.deleteFrom(v.A)
				return err
			}
			v.foreign = append(v.foreign, f)
		}
		return nil
	}
	if v.A.NS.owned && v.B.NS.owned {
		return build()
	}
	return track(v, build)
}

// release deletes the pair's ends in namespaces netnstest does not own;
// the signal handler calls it with the registry locked.
func (v *Veth) release() error {
	var errs []error
	for _, f := range v.foreign {
		errs = append(errs, f.release())
	}
	return errors.Join(errs...)
}

// indexes picks the two ends' interface indexes: free in their
// namespaces, and different. The kernel brings a veth's carrier up at
// once (an "urgent" link event) only when its index differs from its
// peer's; with equal indexes, which two fresh namespaces would give, the
// event waits for the next link-watch round, up to a second, and until
// then the device drops what it is given to send.
func (v *Veth) indexes() (uint32, uint32, error) {
	next := func(ns *NS) (uint32, error) {
		var max uint32
		err := ns.rtnl(func(c *rtnetlink.Conn) error {
			msgs, err := c.Link.List()
			for _, m := range msgs {
				max = maxU32(max, m.Index)
			}
			return err
		})
		return max + 1, err
	}
	ia, err := next(v.A.NS)
	if err != nil {
		return 0, 0, err
	}
	ib, err := next(v.B.NS)
	if err != nil {
		return 0, 0, err
	}
	if v.A.NS == v.B.NS {
		ib = ia + 1
	} else if ib == ia {
		ib++
	}
	return ia, ib, nil
}

func maxU32(a, b uint32) uint32 {
	if a > b {
		return a
	}
	return b
}

func tagLink(ns *NS, name, tag string) error {
	return ns.rtnl(func(c *rtnetlink.Conn) error {
		i, err := linkIndex(c, name)
		if err != nil {
			return err
		}
		return c.Link.Set(&rtnetlink.LinkMessage{Family: unix.AF_UNSPEC, Index: i, Attributes: &rtnetlink.LinkAttributes{Alias: &tag}})
	})
}

// configure gives the end its addresses and sets it up. Duplicate address
// detection is off on it: its link-local address is then usable at once,
// which a router needs to resolve its neighbours (until then IPv6 traffic
// it forwards is lost for a second or two).
func (e *Iface) configure() error {
	if err := e.NS.SetSysctl("net/ipv6/conf/"+e.Name+"/accept_dad", "0"); err != nil {
		return err
	}
	return e.NS.rtnl(func(c *rtnetlink.Conn) error {
		i, err := linkIndex(c, e.Name)
		if err != nil {
			return err
		}
		e.Index = int(i)
		for _, p := range e.Addrs {
			if err := addAddr(c, i, p); err != nil {
				return fmt.Errorf("add %s: %w", p, err)
			}
		}
		return setUp(c, i)
	})
}

// waitRunning waits until the end can carry traffic: the kernel has
// started its transmit queue (before, the device drops what it is given:
// the "noop" queueing discipline), and IPv6 is up on it. The kernel
// finishes bringing IPv6 up on a workqueue after the carrier comes up:
// until it has, a neighbour solicitation for the end's addresses goes
// unanswered and is repeated only a second later, and a router has no
// link-local address to ask for its neighbours from. A probe sent before
// then would seem dropped by a rule.
func (e *Iface) waitRunning() error {
	deadline := time.Now().Add(3 * time.Second)
	for {
		var m rtnetlink.LinkMessage
		err := e.NS.rtnl(func(c *rtnetlink.Conn) error {
			var err error
			m, err = c.Link.Get(uint32(e.Index))
			return err
		})
		if err != nil {
			return err
		}
		a := m.Attributes
		if a != nil && a.OperationalState == rtnetlink.OperStateUp && a.QueueDisc != "noop" {
			ready, err := e.ipv6Ready()
			if err != nil || ready {
				return err
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not running 3s after it was set up")
		}
		time.Sleep(time.Millisecond)
	}
}

// ipv6Ready tells whether the end has a usable link-local address and
// listens on the solicited-node multicast group of each of its IPv6
// addresses (which is where neighbours ask for them).
func (e *Iface) ipv6Ready() (bool, error) {
	want := map[string]bool{}
	for _, p := range e.Addrs {
		if p.Addr().Is6() {
			want[solicitedNode(p.Addr())] = true
		}
	}
	if len(want) == 0 {
		return true, nil
	}
	var addrs, groups []byte
	// /proc/thread-self/net shows the reading thread's namespace.
	err := e.NS.do(func() error {
		var err error
		if addrs, err = os.ReadFile("/proc/thread-self/net/if_inet6"); err != nil {
			return err
		}
		groups, err = os.ReadFile("/proc/thread-self/net/igmp6")
		return err
	})
	if err != nil {
		return false, err
	}
	linkLocal := false
	for _, l := range strings.Split(string(addrs), "\n") {
		// address ifindex prefixlen scope flags name
		f := strings.Fields(l)
		if len(f) == 6 && f[5] == e.Name && f[3] == "20" {
			flags, _ := strconv.ParseUint(f[4], 16, 32)
			if flags&unix.IFA_F_TENTATIVE == 0 {
				linkLocal = true
				want[solicitedNode(parseProcAddr(f[0]))] = true
			}
		}
	}
	for _, l := range strings.Split(string(groups), "\n") {
		// index name group users flags timer
		if f := strings.Fields(l); len(f) >= 3 && f[1] == e.Name {
			delete(want, f[2])
		}
	}
	return linkLocal && len(want) == 0, nil
}

// solicitedNode is ff02::1:ffXX:XXXX for an address, as /proc's files
// write addresses: 32 hex digits.
func solicitedNode(a netip.Addr) string {
	b := a.As16()
	return fmt.Sprintf("ff0200000000000000000001ff%02x%02x%02x", b[13], b[14], b[15])
}

func parseProcAddr(s string) netip.Addr {
	var b [16]byte
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return netip.Addr{}
	}
	return netip.AddrFrom16(b)
}

// Delete removes the pair (deleting either end deletes both). A pair
// whose namespaces are already deleted is gone too: that is not an error.
func (v *Veth) Delete() error {
	if len(v.foreign) > 0 {
		return untrack(v, v.release)
	}
	for _, e := range []Iface{v.A, v.B} {
		if err := v.deleteFrom(e); !errors.Is(err, ErrDeleted) {
			return err
		}
	}
	return nil
}

// deleteFrom deletes the pair through end e; an end already gone is not
// an error.
func (v *Veth) deleteFrom(e Iface) error {
	err := e.NS.rtnl(func(c *rtnetlink.Conn) error {
		i, err := linkIndex(c, e.Name)
		if err != nil {
			return nil
		}
		return c.Link.Delete(i)
	})
	if err != nil && !errors.Is(err, ErrDeleted) {
		return fmt.Errorf("netnstest: delete veth %s in %s: %w", e.Name, e.NS, err)
	}
	return err
}

func closeFd(fd int) {
	if fd >= 0 {
		unix.Close(fd)
	}
}
