package xtnl

import (
	"fmt"
	"os"
	"time"

	"github.com/xtnl/xtnl/nftfake"
)

// The in-memory fake: package nftfake is an nf_tables kernel that lives in
// the process; a fakeTransport carries datagrams to it through the same
// transport seam as the netlink socket. The Conn above it is the real one
// (same encoder, same transaction engine, same decoding), so a program
// tested against the fake exercises exactly the code it runs in
// production; only the kernel is replaced.

// OpenFake returns a connection to a fresh in-memory nf_tables kernel (an
// nftfake.Kernel): an empty ruleset at generation 1, private to this
// connection (and to those opened with WithFakeOf). Given WithFakeKernel,
// it connects to that kernel instead, which the test can then inspect. It
// needs no privileges and no network
// namespace, so code built on xtnl (or on package compat) can be unit
// tested anywhere, with the kernel's semantics: atomic transactions,
// handles, positions, generation-conditional commits, ErrNotExist /
// ErrExist / ErrBusy where the kernel gives them.
//
// Options about namespaces do not apply and are ignored; WithTimeout is
// honoured. If an option is invalid, the returned connection fails every
// operation with that option's error.
//
// Limits: no packets flow, so counters only change when set or reset;
// interfaces other than "lo" do not exist; objects, object maps and
// flowtables are not implemented yet (EOPNOTSUPP); loops between chains
// and overlapping intervals in sets are not detected; nothing can Watch a
// fake.
func OpenFake(opts ...Option) *Conn {
	o := options{nsFd: -1, timeout: defaultTimeout}
	var optErr error
	for _, opt := range opts {
		if err := opt(&o); err != nil && optErr == nil {
			optErr = err
		}
	}
	k := o.fake
	if k == nil {
		k = nftfake.New()
	}
	c := newConn(o)
	if optErr != nil {
		c.newT = func() (transport, error) { return failedTransport{optErr}, nil }
	} else {
		c.newT = func() (transport, error) { return fakeTransport{k.Open()}, nil }
	}
	if err := c.dial(false); err != nil {
		// Cannot happen: fake transports accept any buffer size.
		c.newT = func() (transport, error) { return failedTransport{err}, nil }
		_ = c.dial(false)
	}
	return c
}

// WithFakeOf makes OpenFake connect to the same in-memory kernel as c, a
// connection returned by OpenFake: the two see each other's changes as two
// processes sharing a network namespace do, which is how a test plays a
// concurrent writer. Open given this option opens a fake too.
func WithFakeOf(c *Conn) Option {
	return func(o *options) error {
		if c == nil {
			return invalidf("WithFakeOf: nil connection")
		}
		// newT of a fake connection makes endpoints on its kernel.
		c.mu.Lock()
		t, err := c.newT()
		c.mu.Unlock()
		ft, ok := t.(fakeTransport)
		if err != nil || !ok {
			return invalidf("WithFakeOf: the connection is not a fake (use OpenFake)")
		}
		o.fake = ft.s.Kernel()
		return nil
	}
}

// WithFakeKernel makes OpenFake connect to k, so that the test holding k
// can look at what the code under test left in it (k.Dump, k.Tables). Open
// given this option opens a fake too.
func WithFakeKernel(k *nftfake.Kernel) Option {
	return func(o *options) error {
		if k == nil {
			return invalidf("WithFakeKernel: nil kernel")
		}
		o.fake = k
		return nil
	}
}

// failedTransport stands for a connection that could not be set up: every
// exchange fails with the reason.
type failedTransport struct{ err error }

func (f failedTransport) send([][]byte, time.Duration) error { return f.err }
func (f failedTransport) recv([]byte, bool, time.Duration) (int, bool, error) {
	return 0, false, f.err
}
func (f failedTransport) setBuffer(bool, int) error { return nil }
func (f failedTransport) close() error              { return nil }

// fakeTransport is a socket on an nftfake.Kernel.
type fakeTransport struct{ s *nftfake.Socket }

func (f fakeTransport) send(bufs [][]byte, _ time.Duration) error { return f.s.Send(bufs) }

func (f fakeTransport) recv(b []byte, wait bool, _ time.Duration) (int, bool, error) {
	d, ok, err := f.s.Receive()
	switch {
	case err != nil:
		return 0, false, err
	case !ok && !wait:
		return 0, false, nil
	case !ok:
		// Every answer is queued by send, so nothing can arrive any more:
		// the socket would wait until the deadline; the fake says so now.
		return 0, false, fmt.Errorf("fake nf_tables: no answer pending: %w", os.ErrDeadlineExceeded)
	case len(d) > len(b):
		return 0, false, fmt.Errorf("datagram of %d bytes exceeds buffer: %w", len(d), ErrTruncated)
	}
	return copy(b, d), true, nil
}

// setBuffer accepts any size: the fake never overruns a receive queue.
func (f fakeTransport) setBuffer(bool, int) error { return nil }

func (f fakeTransport) close() error { return f.s.Close() }
