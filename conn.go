package xtnl

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"github.com/xtnl/xtnl/internal/nsthread"
	"github.com/xtnl/xtnl/nftfake"
	"golang.org/x/sys/unix"
)

// Conn is a netlink connection to nf_tables in one network namespace. It is
// safe for concurrent use by many goroutines: requests are serialized on the
// socket, each waiting for its own answer.
type Conn struct {
	mu   sync.Mutex
	t    transport
	newT func() (transport, error) // makes a fresh transport, for reset
	// newWatchT makes the transport of a Watch; nil: newT's kind.
	newWatchT func() (transport, error)
	nsFile    *os.File // the namespace the socket lives in; nil for the caller's
	seq       uint32
	rbuf      []byte
	rbuf2     []byte // a dump's second receive buffer (dump.go), made on first use
	sndbuf    int
	rcvbuf    int
	closed    bool
	// timeout bounds how long one exchange with the kernel may take.
	timeout time.Duration
	// queue coalesces concurrent commits (groupcommit.go).
	queue commitQueue
	// Scratch of the exchange in progress (c.mu held): the framing of a
	// batch or a request, and the iovec list of a batch.
	frame nfnl.Encoder
	iov   [][]byte

	attachMu sync.Mutex
	attached map[any]any // attachedValue
}

// attachedValue returns the value attached to c under key, first
// attaching the value make returns if there is none: compat keeps its
// per-connection cache there, so it lives and goes with the connection.
func (c *Conn) attachedValue(key any, make func() any) any {
	c.attachMu.Lock()
	defer c.attachMu.Unlock()
	v, ok := c.attached[key]
	if !ok {
		if c.attached == nil {
			c.attached = map[any]any{}
		}
		v = make()
		c.attached[key] = v
	}
	return v
}

// Option configures Open.
type Option func(*options) error

type options struct {
	nsName  string // as given to WithNetNS, for errors
	nsPath  string
	nsFd    int
	timeout time.Duration
	fake    *nftfake.Kernel // WithFakeOf, WithFakeKernel: connect to this in-memory kernel
}

// WithNetNS binds the connection to a network namespace given by name (as
// `ip netns add NAME` creates it under /run/netns) or by path (anything
// containing a slash, e.g. /proc/1234/ns/net).
func WithNetNS(nameOrPath string) Option {
	return func(o *options) error {
		if nameOrPath == "" {
			return invalidf("empty network namespace name")
		}
		o.nsName = nameOrPath
		if strings.ContainsRune(nameOrPath, '/') {
			o.nsPath = nameOrPath
		} else {
			o.nsPath = filepath.Join("/run/netns", nameOrPath)
		}
		return nil
	}
}

// WithNetNSFd binds the connection to the network namespace behind an open
// file descriptor. The descriptor is duplicated; the caller keeps its own.
func WithNetNSFd(fd int) Option {
	return func(o *options) error {
		if fd < 0 {
			return invalidf("negative network namespace fd %d", fd)
		}
		o.nsFd = fd
		return nil
	}
}

// WithTimeout bounds each exchange with the kernel (default 30s, generous
// enough for a 100k-rule commit); 0 means no bound.
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		o.timeout = d
		return nil
	}
}

const (
	defaultTimeout = 30 * time.Second
	recvBufSize    = 256 << 10 // a dump datagram is at most 32 KiB; echoes fit too
	minSockBuf     = 4 << 20
)

// Open connects to nf_tables in the network namespace an option names, or,
// without one, in the namespace of the calling thread at the time of the
// call. Either way the connection stays bound to that namespace for its
// life, whichever threads later use it; a Pool instead follows each
// caller into the namespace its thread is in at every call.
func Open(opts ...Option) (*Conn, error) {
	o := options{nsFd: -1, timeout: defaultTimeout}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.fake != nil {
		return OpenFake(opts...), nil
	}
	c := newConn(o)
	here := false
	switch {
	case o.nsPath != "":
		fd, _, err := nsthread.Open(o.nsPath)
		if err != nil {
			return nil, netnsError(o.nsName, err)
		}
		c.nsFile = nsFile(fd)
	case o.nsFd >= 0:
		fd, err := unix.FcntlInt(uintptr(o.nsFd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("xtnl: duplicate network namespace fd: %w", err)
		}
		if _, err := nsthread.OfFd(fd); err != nil {
			unix.Close(fd)
			return nil, netnsError(fmt.Sprintf("fd %d", o.nsFd), err)
		}
		c.nsFile = nsFile(fd)
	default:
		// The namespace is held by descriptor, so that a socket made
		// again later (reset) is made in it too. The thread stays
		// locked through the first dial, which then needs no switch.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		fd, err := nsthread.OpenCurrent()
		if err != nil {
			return nil, fmt.Errorf("xtnl: open own network namespace: %w", err)
		}
		c.nsFile = nsFile(fd)
		here = true
	}
	if err := c.dial(here); err != nil {
		c.nsFile.Close()
		return nil, err
	}
	return c, nil
}

// newConn is a connection not yet dialled.
func newConn(o options) *Conn {
	return &Conn{timeout: o.timeout, rbuf: make([]byte, recvBufSize)}
}

// sibling opens a second connection to c's namespace (or fake kernel):
// a reader of a large table dumps on two sockets at once, so that the
// kernel's dumping runs on two cores. It borrows c's namespace
// descriptor, so c must outlive it; the caller closes it.
func (c *Conn) sibling() (*Conn, error) {
	s := &Conn{timeout: c.timeout, rbuf: make([]byte, recvBufSize), newT: c.newT, newWatchT: c.newWatchT}
	if err := s.dial(false); err != nil {
		return nil, err
	}
	return s, nil
}

// nsFile holds a namespace descriptor. The descriptor is blocking, so
// os.NewFile leaves it out of the runtime's poller.
func nsFile(fd int) *os.File { return os.NewFile(uintptr(fd), "netns") }

// closeFd closes a descriptor nothing else holds.
func closeFd(fd int) { unix.Close(fd) }

// dial (re)creates the transport; here says the calling thread is in the
// connection's namespace and locked, so the socket is made on it. Called
// with c.mu held or before c is shared.
func (c *Conn) dial(here bool) error {
	if c.newT == nil {
		c.newT = func() (transport, error) { return dialDirect(c.nsFd(), c.timeout) }
		c.newWatchT = func() (transport, error) { return dialSocket(c.nsFd()) }
	}
	var t transport
	var err error
	if here {
		t, err = dialDirect(-1, c.timeout)
	} else {
		t, err = c.newT()
	}
	if err != nil {
		return err
	}
	c.t = t
	c.sndbuf, c.rcvbuf = 0, 0
	return c.sizeBuffers(minSockBuf, minSockBuf)
}

// nsFd is the descriptor of the connection's namespace, -1 for none (a
// fake).
func (c *Conn) nsFd() int {
	if c.nsFile == nil {
		return -1
	}
	return int(c.nsFile.Fd())
}

// sizeBuffers grows the socket buffers to at least snd and rcv bytes. The
// kernel takes a whole batch in one sendmsg, so the send buffer must hold
// it.
func (c *Conn) sizeBuffers(snd, rcv int) error {
	var err error
	if snd > c.sndbuf {
		err = c.t.setBuffer(true, snd)
		if err == nil {
			c.sndbuf = snd
		}
	}
	if rcv > c.rcvbuf {
		if e := c.t.setBuffer(false, rcv); e == nil {
			c.rcvbuf = rcv
		}
	}
	return err
}

// NetNSFd returns a descriptor of the network namespace the connection is
// bound to (-1 for a fake). It stays valid until Close.
func (c *Conn) NetNSFd() int { return c.nsFd() }

// Close releases the socket. Operations after Close fail.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	err := c.t.close()
	if c.nsFile != nil {
		c.nsFile.Close()
	}
	return err
}

var errClosed = errors.New("xtnl: connection closed")

// nextSeq reserves n consecutive sequence numbers and returns the first.
func (c *Conn) nextSeq(n int) uint32 {
	first := c.seq + 1
	c.seq += uint32(n)
	if c.seq < first { // wrapped: start over so the range stays contiguous
		c.seq = uint32(n)
		first = 1
	}
	return first
}

// sendOne sends one buffer as a datagram.
func (c *Conn) sendOne(b []byte) error {
	iov := append(c.iov[:0], b)
	err := c.send(iov...)
	clear(iov)
	c.iov = iov[:0]
	return err
}

// send writes one datagram made of bufs, in one sendmsg.
func (c *Conn) send(bufs ...[]byte) error {
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	if total+4096 > c.sndbuf {
		if err := c.sizeBuffers(total+total/4+4096, 0); err != nil {
			return fmt.Errorf("xtnl: size send buffer for %d bytes: %w", total, err)
		}
	}
	if err := c.t.send(bufs, c.timeout); err != nil {
		return fmt.Errorf("xtnl: send: %w", wrapErrno(err))
	}
	return nil
}

// recv reads one datagram and calls fn for each message in it, waiting for
// one to arrive (up to the connection's timeout).
func (c *Conn) recv(fn func(m message) error) error {
	_, err := c.recvMode(true, fn)
	return err
}

// recvQueued reads one datagram already queued, without waiting; ok is
// false when there is none.
func (c *Conn) recvQueued(fn func(m message) error) (ok bool, err error) {
	return c.recvMode(false, fn)
}

func (c *Conn) recvMode(wait bool, fn func(m message) error) (bool, error) {
	n, ok, err := c.t.recv(c.rbuf, wait, c.timeout)
	if err != nil {
		return false, fmt.Errorf("xtnl: receive: %w", wrapErrno(err))
	}
	if !ok {
		return false, nil
	}
	return true, splitMessages(c.rbuf[:n], fn)
}

// wrapErrno attaches this package's sentinel to a raw errno.
func wrapErrno(err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		if s := errnoSentinel(errno); s != nil {
			return fmt.Errorf("%w (%w)", errno, s)
		}
	}
	return err
}

// reset replaces a socket whose state is unknown (an exchange was cut
// short), so stale replies never reach the next request.
func (c *Conn) reset() {
	c.t.close()
	if err := c.dial(false); err != nil {
		c.closed = true
	}
}

// Generation returns the ruleset's current generation id. It changes with
// every commit by anyone, so a decision taken from a read can be committed
// conditionally on it (see Tx.IfGeneration).
func (c *Conn) Generation() (uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, errClosed
	}
	return c.generationLocked()
}

func (c *Conn) generationLocked() (uint32, error) {
	seq := c.nextSeq(1)
	e := &c.frame
	e.B = e.B[:0]
	start := e.Begin(nftType(unix.NFT_MSG_GETGEN), unix.NLM_F_REQUEST, seq, unix.AF_UNSPEC, 0)
	e.End(start)
	if err := c.sendOne(e.B); err != nil {
		return 0, err
	}
	var gen uint32
	got := false
	var ferr error
	for !got && ferr == nil {
		err := c.recv(func(m message) error {
			if m.Seq != seq {
				return nil
			}
			switch m.Type {
			case unix.NLMSG_ERROR:
				errno, _, text, err := parseErrorMsg(m)
				if err != nil {
					return err
				}
				if errno != 0 {
					ferr = kernelError("get", "generation", errno, text)
				}
			case nftType(unix.NFT_MSG_NEWGEN):
				if len(m.Data) < nfgenmsgLen {
					return ErrTruncated
				}
				a := nlattr.NewDecoder(m.Data[nfgenmsgLen:])
				for a.Next() {
					if a.Type() == nftaGenID {
						gen = a.Uint32()
						got = true
					}
				}
				if a.Err() != nil {
					return malformed(a.Err())
				}
			}
			return nil
		})
		if err != nil {
			c.reset()
			return 0, err
		}
	}
	return gen, ferr
}
