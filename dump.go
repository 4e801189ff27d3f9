package xtnl

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/xtnl/xtnl/internal/enginehooks"
	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/prefault"
	"golang.org/x/sys/unix"
)

// Dumps: NLM_F_DUMP requests, read whole, from one generation.

// errDumpRetry marks a dump that must be started over.
var errDumpRetry = errors.New("dump interrupted")

// maxDumpAttempts bounds the attempts of a dump that keeps being
// interrupted by other writers' commits.
const maxDumpAttempts = 64

// dump runs an NLM_F_DUMP request for msgType, calling fn for each object
// message; start is called before every attempt so fn's results can be
// discarded when the kernel reports the dump as interrupted (the ruleset
// changed under it) or the socket overran: a half-read dump is never
// returned as complete. Between attempts it backs off, randomly and longer
// each time, with the connection free for others: under a steady stream
// of commits (every ~20 µs from a few busy writers) a dump of a few hundred
// rules retried at once would never see one generation throughout.
func (c *Conn) dump(what string, msgType uint16, fam byte, attrs func(e *nfnl.Encoder), start func(), fn func(m message) error) error {
	return c.dumpAt(anyGeneration, what, msgType, fam, attrs, start, fn)
}

// pinnedGen is the generation a dump must read (set), or none.
type pinnedGen struct {
	set bool
	gen uint32
}

var anyGeneration pinnedGen

// errGenerationMoved is what a dump pinned to a generation returns when a
// message shows another: the caller, which reads many objects at that
// generation, must start over.
var errGenerationMoved = enginehooks.ErrGenerationMoved

// dumpAt is dump, pinned to a generation the caller read (pin.set): the
// generation is not read before and after, only every message's stamp is
// checked against it, and a mismatch returns errGenerationMoved rather
// than trying again. The caller reading many dumps at one generation
// (every chain of a table, as iptables-nft does) reads the generation
// once before and once after them all: one round trip per dump, not three.
func (c *Conn) dumpAt(pin pinnedGen, what string, msgType uint16, fam byte, attrs func(e *nfnl.Encoder), start func(), fn func(m message) error) error {
	var err error
	for attempt := 0; attempt < maxDumpAttempts; attempt++ {
		if attempt > 0 {
			backoff(attempt)
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return errClosed
		}
		start()
		if pin.set {
			err = c.stampedDump(pin.gen, what, msgType, fam, attrs, fn)
		} else {
			err = c.consistentDump(what, msgType, fam, attrs, fn)
		}
		if errors.Is(err, unix.ENOBUFS) {
			c.reset()
		}
		c.mu.Unlock()
		if !errors.Is(err, errDumpRetry) && !errors.Is(err, unix.ENOBUFS) {
			return err
		}
	}
	return fmt.Errorf("xtnl: dump %s: gave up after %d interrupted attempts: %w", what, maxDumpAttempts, err)
}

// consistentDump is one dump attempt that is known to have read a single
// generation. NLM_F_DUMP_INTR alone does not prove it: the kernel reads
// the generation at the start of each part of a dump, so a commit landing
// just after can go unflagged and the part come out short. So the
// generation is read before and after, and every message must carry it
// (nf_tables stamps its low 16 bits in each message's nfgenmsg res_id).
func (c *Conn) consistentDump(what string, msgType uint16, fam byte, attrFn func(e *nfnl.Encoder), fn func(m message) error) error {
	before, err := c.generationLocked()
	if err != nil {
		return err
	}
	mixed := false
	err = c.dumpOnce(what, msgType, fam, attrFn, func(m message) error {
		if len(m.Data) >= nfgenmsgLen && binary.BigEndian.Uint16(m.Data[2:]) != uint16(before) {
			mixed = true
		}
		return fn(m)
	})
	if err != nil {
		return err
	}
	after, err := c.generationLocked()
	if err != nil {
		return err
	}
	if mixed || after != before {
		return errDumpRetry
	}
	return nil
}

// stampedDump is one dump attempt that must read generation gen: every
// message must carry its stamp.
func (c *Conn) stampedDump(gen uint32, what string, msgType uint16, fam byte, attrFn func(e *nfnl.Encoder), fn func(m message) error) error {
	mixed := false
	err := c.dumpOnce(what, msgType, fam, attrFn, func(m message) error {
		if len(m.Data) >= nfgenmsgLen && binary.BigEndian.Uint16(m.Data[2:]) != uint16(gen) {
			mixed = true
			return nil
		}
		return fn(m)
	})
	if mixed || errors.Is(err, errDumpRetry) {
		return errGenerationMoved
	}
	return err
}

func (c *Conn) dumpOnce(what string, msgType uint16, fam byte, attrFn func(e *nfnl.Encoder), fn func(m message) error) error {
	seq := c.nextSeq(1)
	e := &c.frame
	e.B = e.B[:0]
	start := e.Begin(nftType(msgType), unix.NLM_F_REQUEST|unix.NLM_F_DUMP, seq, fam, 0)
	if attrFn != nil {
		attrFn(e)
	}
	e.End(start)
	if err := c.sendOne(e.B); err != nil {
		return err
	}
	h := dumpReader{seq: seq, fn: fn, what: what}
	if err := c.recv(h.message); err != nil {
		c.reset()
		return err
	}
	if !h.done {
		if err := c.recvPipelined(&h); err != nil {
			c.reset()
			return err
		}
	}
	if h.interrupted {
		return errDumpRetry
	}
	return h.err
}

// dumpReader hands a dump's messages to fn, until the dump's end.
type dumpReader struct {
	seq         uint32
	fn          func(m message) error
	what        string
	done        bool  // the dump's end was read
	interrupted bool  // the kernel flagged the dump as interrupted
	err         error // the first error of fn, or the kernel's
}

func (h *dumpReader) message(m message) error {
	if m.Seq != h.seq {
		return nil // stale
	}
	if m.Flags&nlmFDumpIntr != 0 {
		h.interrupted = true
	}
	switch m.Type {
	case unix.NLMSG_DONE:
		h.done = true
		return nil
	case unix.NLMSG_ERROR:
		errno, _, text, err := parseErrorMsg(m)
		if err != nil {
			return err
		}
		h.done = true
		if errno != 0 {
			h.err = kernelError("dump", h.what, errno, text)
		}
		return nil
	}
	if h.err == nil && !h.interrupted {
		if err := h.fn(m); err != nil {
			h.err = err
		}
	}
	return nil
}

// recvPipelined reads the rest of a dump (its first datagram read) on
// another goroutine while this one hands the messages to h. The kernel
// builds each part of a dump (at most 32 KiB) inside the recvmsg that
// asks for it, so read and consumed in turn on one goroutine, the kernel
// and the consumer never run at once; here the consumer works through
// one part while the kernel builds the next, on another CPU. Two buffers
// take turns. A dump that fits one datagram never gets here.
func (c *Conn) recvPipelined(h *dumpReader) error {
	if c.rbuf2 == nil {
		// A dump of several parts: both buffers will be filled whole,
		// so map their pages at once (the first buffer's, touched so
		// far only as far as one part reached, included).
		prefault.Slice(c.rbuf)
		c.rbuf2 = prefault.Slice(make([]byte, len(c.rbuf)))
	}
	type part struct {
		b   []byte
		err error
	}
	parts := make(chan part, 2)
	free := make(chan []byte, 2)
	free <- c.rbuf
	free <- c.rbuf2
	go func() {
		defer close(parts)
		for b := range free {
			// Datagrams are read one after the other into the buffer
			// (messages are aligned, so they follow on) while another
			// one surely fits: one hand-over for several of them.
			n := 0
			for {
				m, _, err := c.t.recv(b[n:], true, c.timeout)
				if err != nil {
					parts <- part{b: b[:n], err: fmt.Errorf("xtnl: receive: %w", wrapErrno(err))}
					return
				}
				end := dumpEnds(b[n:n+m], h.seq)
				n += m
				if end {
					parts <- part{b: b[:n]}
					return
				}
				if len(b)-n < maxDumpDatagram {
					break
				}
			}
			parts <- part{b: b[:n]}
		}
	}()
	// Every part is taken, even after an error, until the reader is done:
	// the socket is only reset once nothing reads from it any more.
	var err error
	for p := range parts {
		if err == nil {
			err = splitMessages(p.b, h.message)
		}
		if err == nil {
			err = p.err
		}
		if p.b != nil {
			free <- p.b[:cap(p.b)]
		}
	}
	if err == nil && !h.done {
		err = ErrTruncated // cannot happen: the reader stops at the end only
	}
	return err
}

// maxDumpDatagram bounds a dump's datagram: the kernel makes them at most
// 32 KiB (netlink_recvmsg caps the size it allocates); four times that
// leaves a margin, and a buffer (recvBufSize) still takes several.
const maxDumpDatagram = 128 << 10

// dumpEnds reports whether a datagram holds the end of dump seq (its
// NLMSG_DONE, or the NLMSG_ERROR that cuts it short), or is malformed:
// nothing more is read after it.
func dumpEnds(b []byte, seq uint32) bool {
	end := false
	err := splitMessages(b, func(m message) error {
		if m.Seq == seq && (m.Type == unix.NLMSG_DONE || m.Type == unix.NLMSG_ERROR) {
			end = true
		}
		return nil
	})
	return end || err != nil
}
