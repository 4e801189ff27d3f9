package netnstest

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"time"

	"github.com/xtnl/xtnl/internal/nsthread"
	"golang.org/x/sys/unix"
)

// TCP and UDP probes ask for ICMP errors on the socket's error queue
// (IP_RECVERR, IPV6_RECVERR): a failed connect or receive then tells the
// error's type, code and sender, where its errno alone could not tell
// host-unreachable from admin-prohibited (both EHOSTUNREACH) or a port
// unreachable from a TCP reset (both ECONNREFUSED).

func connectTCP(nsfd int, t target) (Result, error) {
	fd, err := probeSocket(nsfd, t, unix.SOCK_STREAM)
	if err != nil {
		return Result{}, err
	}
	defer unix.Close(fd)
	start := time.Now()
	r := Result{}
	err = unix.Connect(fd, sockaddr(t.dst))
	if err == unix.EINPROGRESS {
		var ready bool
		if ready, err = waitFor(fd, unix.POLLOUT, t.timeout); err != nil {
			return r, err
		}
		if !ready {
			r.Outcome, r.Elapsed = TimedOut, time.Since(start)
			return r, nil
		}
		if errno, gerr := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); gerr != nil {
			return r, gerr
		} else if errno != 0 {
			err = unix.Errno(errno)
		}
	}
	if err == nil {
		r.Outcome, r.From = Reached, t.dst.Addr()
		// Close with a reset (linger 0): the packets a probe leaves in
		// rule counters are then always SYN, ACK, RST, not a FIN
		// exchange whose last ACK lands before or after a listing.
		unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	} else {
		r = refusal(fd, err, TCPReset)
	}
	r.Elapsed = time.Since(start)
	return r, nil
}

func exchangeUDP(nsfd int, t target) (Result, error) {
	fd, err := probeSocket(nsfd, t, unix.SOCK_DGRAM)
	if err != nil {
		return Result{}, err
	}
	defer unix.Close(fd)
	var token [12]byte
	if _, err := rand.Read(token[:]); err != nil {
		return Result{}, err
	}
	payload := []byte("xtnl-netnstest " + hex.EncodeToString(token[:]))
	start := time.Now()
	if err := unix.Connect(fd, sockaddr(t.dst)); err != nil {
		r := refusal(fd, err, "")
		r.Elapsed = time.Since(start)
		return r, nil
	}
	if _, err := unix.Write(fd, payload); err != nil {
		r := refusal(fd, err, "")
		r.Elapsed = time.Since(start)
		return r, nil
	}
	deadline := start.Add(t.timeout)
	buf := make([]byte, 2048)
	for {
		ready, err := waitFor(fd, unix.POLLIN, time.Until(deadline))
		if err != nil {
			return Result{}, err
		}
		if !ready {
			return Result{Outcome: TimedOut, Elapsed: time.Since(start)}, nil
		}
		if a, ok := readErrQueue(fd); ok {
			return Result{Outcome: Refused, Reject: a.reject, From: a.from, Elapsed: time.Since(start)}, nil
		}
		n, err := unix.Read(fd, buf)
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
		case err != nil:
			r := refusal(fd, err, "")
			r.Elapsed = time.Since(start)
			return r, nil
		case bytes.Equal(buf[:n], payload):
			return Result{Outcome: Reached, From: t.dst.Addr(), Elapsed: time.Since(start)}, nil
		}
	}
}

// probeSocket makes a non-blocking socket in the namespace, asking for
// ICMP errors, bound to the probe's source if it has one.
func probeSocket(nsfd int, t target, typ int) (int, error) {
	v6 := t.dst.Addr().Is6()
	domain, level, opt := unix.AF_INET, unix.SOL_IP, unix.IP_RECVERR
	if v6 {
		domain, level, opt = unix.AF_INET6, unix.SOL_IPV6, unix.IPV6_RECVERR
	}
	fd, err := nsthread.Socket(nsfd, domain, typ|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, err
	}
	err = unix.SetsockoptInt(fd, level, opt, 1)
	if err == nil && t.src.IsValid() {
		err = unix.Bind(fd, sockaddr(netip.AddrPortFrom(t.src, 0)))
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// refusal makes a Result of a failed connect, send or receive: Refused
// with the ICMP error queued on the socket if there is one; else Refused
// with reset (ECONNREFUSED with no ICMP error is a TCP reset); else, the
// failure being the namespace's own (EPERM: its OUTPUT chain dropped the
// packet; no route), TimedOut with the error, no answer being able to
// come.
func refusal(fd int, err error, reset Reject) Result {
	if a, ok := readErrQueue(fd); ok {
		return Result{Outcome: Refused, Reject: a.reject, From: a.from}
	}
	if reset != "" && errors.Is(err, unix.ECONNREFUSED) {
		return Result{Outcome: Refused, Reject: reset}
	}
	return Result{Outcome: TimedOut, Err: err}
}

// readErrQueue reads an ICMP error off the socket's error queue.
func readErrQueue(fd int) (answer, bool) {
	var buf [512]byte
	var oob [512]byte
	_, oobn, _, _, err := unix.Recvmsg(fd, buf[:], oob[:], unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
	if err != nil {
		return answer{}, false
	}
	cmsgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return answer{}, false
	}
	for _, c := range cmsgs {
		if !(c.Header.Level == unix.SOL_IP && c.Header.Type == unix.IP_RECVERR) &&
			!(c.Header.Level == unix.SOL_IPV6 && c.Header.Type == unix.IPV6_RECVERR) {
			continue
		}
		// struct sock_extended_err, then the sender (SO_EE_OFFENDER).
		d := c.Data
		if len(d) < 16 {
			continue
		}
		origin, typ, code := d[4], d[5], d[6]
		if origin != unix.SO_EE_ORIGIN_ICMP && origin != unix.SO_EE_ORIGIN_ICMP6 {
			continue // a local error: no ICMP message came
		}
		a := answer{reject: icmpReject(origin == unix.SO_EE_ORIGIN_ICMP6, typ, code)}
		off := d[16:]
		if len(off) >= 8 && binary.NativeEndian.Uint16(off) == unix.AF_INET {
			a.from = netip.AddrFrom4([4]byte(off[4:8]))
		} else if len(off) >= 24 && binary.NativeEndian.Uint16(off) == unix.AF_INET6 {
			a.from = netip.AddrFrom16([16]byte(off[8:24])).Unmap()
		}
		return a, true
	}
	return answer{}, false
}

// waitFor polls fd for events until d has passed: true once ready (or in
// error: POLLERR and POLLHUP are always reported).
func waitFor(fd int, events int16, d time.Duration) (bool, error) {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left < 0 {
			left = 0
		}
		p := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(p, int((left+time.Millisecond-1)/time.Millisecond))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, err
		}
		if n > 0 || left == 0 {
			return n > 0, nil
		}
	}
}

// waitReadable is waitFor for input, for the ping loop.
func waitReadable(fd int, d time.Duration) error {
	if d < 0 {
		d = 0
	}
	_, err := waitFor(fd, unix.POLLIN, d)
	return err
}

func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

func addrOf(sa unix.Sockaddr) netip.Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(sa.Addr)
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(sa.Addr).Unmap()
	}
	return netip.Addr{}
}

func addrPortOf(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}
