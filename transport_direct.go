package xtnl

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"github.com/xtnl/xtnl/internal/nsthread"
	"golang.org/x/sys/unix"
)

// directTransport is the socket requests and commits go through: a
// blocking NETLINK_NETFILTER socket kept out of the Go runtime's network
// poller.
//
// nf_tables answers inside the sendmsg that carries a request (a commit's
// errors and ACK, a GETGEN's reply, each part of a dump as it is read), so
// a receive practically never waits. On a socket registered with the
// poller (as mdlayher/netlink's are), every answer queued also wakes the
// poller's thread through epoll, for nothing: that wake-up more than
// doubled the cost of committing one rule into a small chain (measured in
// bench/README.md, "Measurements behind the design"). A blocking socket
// costs the sendmsg and the recvmsg, no more. Waits are bounded by
// SO_RCVTIMEO; Watch, which waits without bound and must be cancellable,
// keeps a poller socket (socketTransport).
type directTransport struct {
	fd  int
	iov []unix.Iovec // send's, reused
}

// dialDirect opens the socket in the namespace behind nsFd (-1: the
// calling thread's), with every receive bounded by timeout.
func dialDirect(nsFd int, timeout time.Duration) (transport, error) {
	fd, err := nsthread.Socket(nsFd, unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("xtnl: dial netlink: %w", wrapErrno(err))
	}
	d := &directTransport{fd: fd}
	if err := d.setup(timeout); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("xtnl: netlink socket: %w", wrapErrno(err))
	}
	return d, nil
}

func (d *directTransport) setup(timeout time.Duration) error {
	if err := unix.Bind(d.fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	// Errors echo only the header of the failing message, not a possibly
	// huge copy of it; and carry the kernel's explanation when it has one.
	_ = unix.SetsockoptInt(d.fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	_ = unix.SetsockoptInt(d.fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	if timeout > 0 {
		tv := unix.NsecToTimeval(timeout.Nanoseconds())
		if err := unix.SetsockoptTimeval(d.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return err
		}
		if err := unix.SetsockoptTimeval(d.fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
			return err
		}
	}
	return nil
}

// send is sendmsg(2) made by hand: x/sys/unix's SendmsgBuffers builds
// its iovec array and the destination address anew on every call.
func (d *directTransport) send(bufs [][]byte, _ time.Duration) error {
	iov := d.iov[:0]
	for _, b := range bufs {
		if len(b) > 0 {
			v := unix.Iovec{Base: &b[0]}
			v.SetLen(len(b))
			iov = append(iov, v)
		}
	}
	d.iov = iov
	defer clear(d.iov) // keep no batch alive
	kernel := unix.RawSockaddrNetlink{Family: unix.AF_NETLINK}
	msg := unix.Msghdr{Name: (*byte)(unsafe.Pointer(&kernel)), Namelen: unix.SizeofSockaddrNetlink}
	if len(iov) > 0 {
		msg.Iov = &iov[0]
		msg.SetIovlen(len(iov))
	}
	for {
		_, _, errno := unix.Syscall(unix.SYS_SENDMSG, uintptr(d.fd), uintptr(unsafe.Pointer(&msg)), 0)
		switch errno {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return timeoutErr(errno)
	}
}

// recv is recvfrom(2) made by hand, without the source address that
// x/sys/unix's Recvmsg allocates for every datagram.
func (d *directTransport) recv(b []byte, wait bool, _ time.Duration) (int, bool, error) {
	if len(b) == 0 {
		return 0, false, fmt.Errorf("receive into an empty buffer: %w", ErrTruncated)
	}
	flags := unix.MSG_TRUNC
	if !wait {
		flags |= unix.MSG_DONTWAIT
	}
	for {
		r, _, errno := unix.Syscall6(unix.SYS_RECVFROM, uintptr(d.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(flags), 0, 0)
		n := int(r)
		switch {
		case errno == unix.EINTR:
			continue
		case errno == unix.EAGAIN && !wait:
			return 0, false, nil
		case errno != 0:
			return 0, false, timeoutErr(errno)
		case n > len(b):
			return 0, false, fmt.Errorf("datagram of %d bytes exceeds buffer: %w", n, ErrTruncated)
		}
		return n, true, nil
	}
}

// timeoutErr reports a blocking call cut short by SO_RCVTIMEO/SO_SNDTIMEO
// (EAGAIN on a blocking socket) as the deadline it is.
func timeoutErr(err error) error {
	if errors.Is(err, unix.EAGAIN) {
		return fmt.Errorf("%w: %w", os.ErrDeadlineExceeded, err)
	}
	return err
}

// setBuffer uses SO_*BUFFORCE (root) to get past the sysctl caps, plain
// SO_*BUF for unprivileged callers.
func (d *directTransport) setBuffer(snd bool, size int) error {
	return setSockBuffer(d.fd, snd, size)
}

func (d *directTransport) close() error { return unix.Close(d.fd) }

func setSockBuffer(fd int, snd bool, size int) error {
	force, plain := unix.SO_RCVBUFFORCE, unix.SO_RCVBUF
	if snd {
		force, plain = unix.SO_SNDBUFFORCE, unix.SO_SNDBUF
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, force, size); err != nil {
		return unix.SetsockoptInt(fd, unix.SOL_SOCKET, plain, size)
	}
	return nil
}
