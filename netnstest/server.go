package netnstest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/xtnl/xtnl/internal/nsthread"
	"golang.org/x/sys/unix"
)

// Hit is one connection or datagram a Server received: where it arrived
// (after any DNAT or REDIRECT on the way) and whom it came from (after
// any SNAT or MASQUERADE), which is how a test tells where a NAT rule
// sent traffic.
type Hit struct {
	Network string         // "tcp" or "udp"
	At      netip.AddrPort // the local address it was received at
	From    netip.AddrPort // the peer
}

// String is "tcp 10.0.2.2:8080 from 10.0.1.2:41234".
func (h Hit) String() string { return fmt.Sprintf("%s %s from %s", h.Network, h.At, h.From) }

// Server listens inside a namespace: a TCP listener that accepts and
// echoes, or a UDP socket that sends every datagram back from the address
// it was sent to, as the UDP probe expects. It records its Hits.
type Server struct {
	network string
	addrs   []netip.AddrPort

	mu      sync.Mutex
	hits    []Hit
	change  chan struct{} // closed and replaced on every hit
	closers []io.Closer
	conns   map[net.Conn]struct{} // accepted, still open
	closed  bool
	wg      sync.WaitGroup
}

// Serve starts a server in the namespace: network "tcp" or "udp"; addr
// an address and port ("10.0.0.1:80", "0.0.0.0:80", "[::]:80"), or ":PORT"
// for every address of both families (two sockets, the IPv6 one
// IPv6-only). The caller must Close it.
func (ns *NS) Serve(network, addr string) (*Server, error) {
	if network != "tcp" && network != "udp" {
		return nil, &InputError{Arg: "server network", Value: network, Reason: `is neither "tcp" nor "udp"`}
	}
	binds, err := serverAddrs(addr)
	if err != nil {
		return nil, err
	}
	nsfd, err := ns.handle()
	if err != nil {
		return nil, err
	}
	s := &Server{network: network, change: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	for _, b := range binds {
		if err := s.listen(nsfd, b); err != nil {
			s.Close()
			return nil, fmt.Errorf("netnstest: serve %s %s in %s: %w", network, b, ns, err)
		}
	}
	return s, nil
}

// MustServe is Serve failing tb on error; the server is closed when tb
// ends.
func (ns *NS) MustServe(tb testing.TB, network, addr string) *Server {
	tb.Helper()
	s, err := ns.Serve(network, addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func serverAddrs(addr string) ([]netip.AddrPort, error) {
	bad := &InputError{Arg: "server address", Value: addr, Reason: `is not an address and port, or ":PORT"`}
	if len(addr) > 1 && addr[0] == ':' {
		port, err := strconv.ParseUint(addr[1:], 10, 16)
		if err != nil || port == 0 {
			return nil, bad
		}
		return []netip.AddrPort{
			netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(port)),
			netip.AddrPortFrom(netip.IPv6Unspecified(), uint16(port)),
		}, nil
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || ap.Addr().Zone() != "" {
		return nil, bad
	}
	return []netip.AddrPort{netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}, nil
}

// listen makes one socket in the namespace and serves it on a goroutine.
// The socket is handed to the net package (net.FileListener,
// net.FilePacketConn), which serves it from the runtime's poller.
func (s *Server) listen(nsfd int, at netip.AddrPort) error {
	v6 := at.Addr().Is6()
	domain, typ := unix.AF_INET, unix.SOCK_STREAM
	if v6 {
		domain = unix.AF_INET6
	}
	if s.network == "udp" {
		typ = unix.SOCK_DGRAM
	}
	fd, err := nsthread.Socket(nsfd, domain, typ, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), "netnstest-server")
	defer f.Close() // net dups it
	if err := serverSockopts(fd, s.network, v6); err != nil {
		return err
	}
	if err := unix.Bind(fd, sockaddr(at)); err != nil {
		return err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return err
	}
	s.addrs = append(s.addrs, addrPortOf(sa))
	if s.network == "tcp" {
		if err := unix.Listen(fd, 128); err != nil {
			return err
		}
		l, err := net.FileListener(f)
		if err != nil {
			return err
		}
		s.closers = append(s.closers, l)
		s.wg.Go(func() { s.acceptLoop(l) })
		return nil
	}
	pc, err := net.FilePacketConn(f)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, pc)
	s.wg.Go(func() { s.echoLoop(pc.(*net.UDPConn), v6) })
	return nil
}

func serverSockopts(fd int, network string, v6 bool) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return err
	}
	if v6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return err
		}
	}
	if network == "udp" {
		// The address each datagram was sent to, to answer from it.
		if v6 {
			return unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1)
		}
		return unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
	}
	return nil
}

func (s *Server) acceptLoop(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return // closed
		}
		s.record(Hit{Network: "tcp", At: tcpAddr(c.LocalAddr()), From: tcpAddr(c.RemoteAddr())})
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			io.Copy(c, c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		})
	}
}

func tcpAddr(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// echoLoop sends every datagram back from the address it was sent to
// (IP_PKTINFO): from another address of the namespace, the answer would
// not match the flow conntrack knows (a NATed probe would never see it),
// nor the probe's connected socket.
func (s *Server) echoLoop(c *net.UDPConn, v6 bool) {
	buf, oob := make([]byte, 65536), make([]byte, 512)
	for {
		n, oobn, _, from, err := c.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			return // closed
		}
		local, ok := pktinfoAddr(oob[:oobn])
		if !ok {
			continue
		}
		port := c.LocalAddr().(*net.UDPAddr).AddrPort().Port()
		s.record(Hit{Network: "udp", At: netip.AddrPortFrom(local, port), From: netip.AddrPortFrom(from.Addr().Unmap(), from.Port())})
		var reply []byte
		if v6 {
			reply = unix.PktInfo6(&unix.Inet6Pktinfo{Addr: local.As16()})
		} else {
			reply = unix.PktInfo4(&unix.Inet4Pktinfo{Spec_dst: local.As4()})
		}
		c.WriteMsgUDPAddrPort(buf[:n], reply, from)
	}
}

// pktinfoAddr is the destination address in an IP_PKTINFO or IPV6_PKTINFO
// control message.
func pktinfoAddr(oob []byte) (netip.Addr, bool) {
	cmsgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return netip.Addr{}, false
	}
	for _, c := range cmsgs {
		switch {
		case c.Header.Level == unix.IPPROTO_IP && c.Header.Type == unix.IP_PKTINFO && len(c.Data) >= 12:
			// struct in_pktinfo: ifindex, spec_dst, addr (the header's destination)
			return netip.AddrFrom4([4]byte(c.Data[8:12])), true
		case c.Header.Level == unix.IPPROTO_IPV6 && c.Header.Type == unix.IPV6_PKTINFO && len(c.Data) >= 20:
			// struct in6_pktinfo: addr, ifindex
			return netip.AddrFrom16([16]byte(c.Data[:16])), true
		}
	}
	return netip.Addr{}, false
}

func (s *Server) record(h Hit) {
	s.mu.Lock()
	s.hits = append(s.hits, h)
	close(s.change)
	s.change = make(chan struct{})
	s.mu.Unlock()
}

// Addrs are the addresses the server listens on.
func (s *Server) Addrs() []netip.AddrPort { return s.addrs }

// Hits returns what the server received so far, in order.
func (s *Server) Hits() []Hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Hit(nil), s.hits...)
}

// WaitHits waits until the server has received at least n hits, or for
// at most d, and returns them. A TCP probe is Reached when its handshake
// completes, which can be just before the server accepts: a test checking
// where a connection arrived waits for it here.
func (s *Server) WaitHits(n int, d time.Duration) []Hit {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		s.mu.Lock()
		hits, change := append([]Hit(nil), s.hits...), s.change
		s.mu.Unlock()
		if len(hits) >= n {
			return hits
		}
		select {
		case <-change:
		case <-timer.C:
			return hits
		}
	}
}

// Close stops the server, closes the connections it accepted, and waits
// for its goroutines.
func (s *Server) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c.Close())
	}
	s.closers = nil
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return errors.Join(errs...)
}
