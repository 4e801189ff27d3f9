package xtnl

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/mdlayher/netlink"
	"github.com/xtnl/xtnl/internal/nsthread"
	"golang.org/x/sys/unix"
)

// transport carries netlink datagrams between a Conn and nf_tables: a real
// socket, or the in-memory kernel of OpenFake.
type transport interface {
	// send writes one datagram made of bufs (one sendmsg), within
	// timeout (0: no bound).
	send(bufs [][]byte, timeout time.Duration) error
	// recv reads one datagram into b, waiting up to timeout (0: no
	// bound). Without wait it returns ok false at once when nothing is
	// queued.
	recv(b []byte, wait bool, timeout time.Duration) (n int, ok bool, err error)
	// setBuffer sizes the send (snd) or receive buffer.
	setBuffer(snd bool, size int) error
	close() error
}

// socketTransport is a NETLINK_NETFILTER socket on the Go runtime's
// network poller, which Watch uses: its receives wait without bound and
// must end when the watch is cancelled. mdlayher/netlink dials it (in the
// right namespace); datagrams go through the raw descriptor so every
// message is seen. Requests go through directTransport instead.
type socketTransport struct {
	nl *netlink.Conn
	rc syscall.RawConn
}

func dialSocket(nsFd int) (transport, error) {
	var nl *netlink.Conn
	dial := func() (err error) {
		nl, err = netlink.Dial(unix.NETLINK_NETFILTER, nil)
		return err
	}
	var err error
	if nsFd >= 0 {
		// Dialled on a thread switched into the namespace by nsthread,
		// which always switches it back, rather than through
		// netlink.Config.NetNS, whose thread could be the main one.
		err = nsthread.Do(nsFd, dial)
	} else {
		err = dial()
	}
	if err != nil {
		return nil, fmt.Errorf("xtnl: dial netlink: %w", err)
	}
	rc, err := nl.SyscallConn()
	if err != nil {
		nl.Close()
		return nil, fmt.Errorf("xtnl: netlink socket: %w", err)
	}
	// Errors echo only the header of the failing message, not a possibly
	// huge copy of it; and carry the kernel's explanation when it has one.
	_ = nl.SetOption(netlink.CapAcknowledge, true)
	_ = nl.SetOption(netlink.ExtendedAcknowledge, true)
	return &socketTransport{nl: nl, rc: rc}, nil
}

func (s *socketTransport) send(bufs [][]byte, timeout time.Duration) error {
	if err := s.nl.SetWriteDeadline(deadlineOf(timeout)); err != nil {
		return err
	}
	var serr error
	err := s.rc.Write(func(fd uintptr) bool {
		_, serr = unix.SendmsgBuffers(int(fd), bufs, nil, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}, 0)
		return serr != unix.EAGAIN
	})
	if err != nil {
		return err
	}
	return serr
}

func (s *socketTransport) recv(b []byte, wait bool, timeout time.Duration) (int, bool, error) {
	var n int
	var rerr error
	read := func(fd uintptr) bool {
		var flags int
		n, _, flags, _, rerr = unix.Recvmsg(int(fd), b, nil, unix.MSG_TRUNC|unix.MSG_DONTWAIT)
		if rerr == nil && (flags&unix.MSG_TRUNC != 0 || n > len(b)) {
			rerr = fmt.Errorf("datagram of %d bytes exceeds buffer: %w", n, ErrTruncated)
		}
		return rerr != unix.EAGAIN
	}
	var err error
	if wait {
		if err = s.nl.SetReadDeadline(deadlineOf(timeout)); err == nil {
			err = s.rc.Read(read)
		}
	} else {
		// Not through Read: a deadline left by an earlier wait, long
		// passed, must not fail a receive that never waits.
		err = s.rc.Control(func(fd uintptr) { read(fd) })
	}
	if err != nil {
		return 0, false, err
	}
	if errors.Is(rerr, unix.EAGAIN) && !wait {
		return 0, false, nil
	}
	if rerr != nil {
		return 0, false, rerr
	}
	return n, true, nil
}

// deadlineOf is the deadline of an exchange bounded by timeout; the zero
// time (none) for 0.
func deadlineOf(timeout time.Duration) time.Time {
	if timeout <= 0 {
		return time.Time{}
	}
	return time.Now().Add(timeout)
}

func (s *socketTransport) setBuffer(snd bool, size int) error {
	var serr error
	err := s.rc.Control(func(fd uintptr) { serr = setSockBuffer(int(fd), snd, size) })
	if err != nil {
		return err
	}
	return serr
}

func (s *socketTransport) close() error { return s.nl.Close() }
