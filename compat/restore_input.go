package compat

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Reading a restore's input: what is in memory already (strings, bytes)
// where it lies, a large input of known length copied in while it is
// parsed, anything else in one allocation.

// restoreInput returns the input r holds. What lies in memory already is
// read where it lies, with no copy: a *strings.Reader's string (it cannot
// change), and a *bytes.Reader's or *bytes.Buffer's bytes, which stay the
// caller's and are read only until Restore returns (errors copy what they
// quote, and nothing else of the input outlives the call). Copying
// megabytes into fresh memory costs milliseconds, a page fault every 4
// KiB, and can start a collection in the middle of the parse. Any other
// reader is read into a buffer of its own; a large one whose length the
// reader tells is copied in while it is parsed (streamInput).
func restoreInput(r io.Reader) (*restoreText, error) {
	switch v := r.(type) {
	case *strings.Reader:
		var c capturedString
		if _, err := v.WriteTo(&c); err != nil {
			return nil, err
		}
		return wholeText(unsafe.Slice(unsafe.StringData(c.s), len(c.s))), nil
	case *bytes.Reader, *bytes.Buffer:
		// Both hand their unread bytes to one Write and count them read.
		var c borrowedBytes
		if _, err := r.(io.WriterTo).WriteTo(&c); err != nil {
			return nil, err
		}
		return wholeText(c.b), nil
	}
	if v, ok := r.(interface{ Len() int }); ok && v.Len() >= streamMin {
		return streamInput(r, v.Len()), nil
	}
	b, err := readAll(r)
	if err != nil {
		return nil, err
	}
	return wholeText(b), nil
}

// capturedString keeps what a strings.Reader's WriteTo hands over (the
// rest of its string, in one WriteString).
type capturedString struct{ s string }

func (c *capturedString) Write(p []byte) (int, error) {
	c.s += string(p)
	return len(p), nil
}

func (c *capturedString) WriteString(s string) (int, error) {
	c.s += s // the first is kept as it lies: nothing to join it to
	return len(s), nil
}

// borrowedBytes keeps what a bytes.Reader's or bytes.Buffer's WriteTo
// hands over, as it lies: the caller's memory, read during Restore only.
type borrowedBytes struct{ b []byte }

func (c *borrowedBytes) Write(p []byte) (int, error) {
	if c.b == nil {
		c.b = p
	} else {
		c.b = append(c.b[:len(c.b):len(c.b)], p...) // a copy: never the caller's array
	}
	return len(p), nil
}

// readAll reads r whole, in one allocation when r can say its size (a
// file, a bytes or strings reader). It stops at a line longer than
// MaxRestoreLine, so a huge line fails without being held whole, and
// names the line a failing reader stopped in (a *RestoreError).
func readAll(r io.Reader) ([]byte, error) {
	size := 0
	switch v := r.(type) {
	case interface{ Len() int }:
		size = v.Len()
	case interface{ Stat() (os.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			size = int(fi.Size())
		}
	}
	b := make([]byte, 0, max(size, 4096)+1) // +1: the read that finds EOF
	var lines lineCounter
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if lerr := lines.scan(b); lerr != nil {
			return nil, lerr
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, &RestoreError{Line: lines.n + 1, Err: fmt.Errorf("reading restore input: %w", err)}
		}
		if len(b) == cap(b) {
			b = slices.Grow(b, len(b))
		}
	}
}

// lineCounter follows the lines of input as it grows: how many are
// complete, and where the last one began.
type lineCounter struct {
	n, start, scanned int
}

// scan takes in what b holds past what was scanned; an error names a
// line that is already too long.
func (c *lineCounter) scan(b []byte) error {
	for {
		i := bytes.IndexByte(b[c.scanned:], '\n')
		if i < 0 {
			break
		}
		c.n++
		c.start = c.scanned + i + 1
		c.scanned = c.start
	}
	c.scanned = len(b)
	if len(b)-c.start > MaxRestoreLine {
		return &RestoreError{Line: c.n + 1, Err: ErrLineTooLong}
	}
	return nil
}

// restoreText is a restore's input as the parser reads it: all of it at
// once, or (streamInput) still being copied in by another goroutine, the
// parser reading what has arrived.
type restoreText struct {
	buf   []byte
	ready atomic.Int64 // bytes of buf in place; len(buf) once whole
	done  chan struct{}
	err   error // the copy's, once done is closed
}

// wholeText is input already in memory.
func wholeText(b []byte) *restoreText {
	t := &restoreText{buf: b, done: make(chan struct{})}
	t.ready.Store(int64(len(b)))
	close(t.done)
	return t
}

// streamMin is the input size from which a reader that knows its length
// is copied in while the parser starts (below it, the copy is too short
// to be worth a goroutine).
const streamMin = 256 << 10

// streamInput starts copying r, which holds exactly size bytes, into a
// buffer of its own on another goroutine. Copying megabytes into fresh
// memory costs milliseconds (every page a fault); meanwhile the parser
// reads the first lines and the encoding workers start on them.
func streamInput(r io.Reader, size int) *restoreText {
	t := &restoreText{buf: make([]byte, size), done: make(chan struct{})}
	go func() {
		defer close(t.done)
		const block = 64 << 10
		for off := 0; off < size; {
			n, err := io.ReadFull(r, t.buf[off:min(off+block, size)])
			off += n
			t.ready.Store(int64(off))
			if err != nil {
				t.err = err
				return
			}
		}
	}()
	return t
}

// text is the whole input as a string; only what is ready may be read.
func (t *restoreText) text() string {
	return unsafe.String(unsafe.SliceData(t.buf), len(t.buf))
}

// lineEnd returns the index of the first newline at or after from (-1:
// none before the input's end), waiting for the copy as far as needed.
func (t *restoreText) lineEnd(from int) (int, error) {
	scanned := from
	for {
		ready := int(t.ready.Load())
		if i := bytes.IndexByte(t.buf[scanned:ready], '\n'); i >= 0 {
			return scanned + i, nil
		}
		scanned = ready
		if ready == len(t.buf) {
			return -1, nil
		}
		select {
		case <-t.done:
			if int(t.ready.Load()) == ready {
				if t.err == nil || t.err == io.EOF || t.err == io.ErrUnexpectedEOF {
					return -1, fmt.Errorf("restore input: %d bytes read, %d announced: %w", ready, len(t.buf), io.ErrUnexpectedEOF)
				}
				return -1, t.err
			}
		default:
			runtime.Gosched()
		}
	}
}

// estimateLines guesses the number of lines from what is ready.
func (t *restoreText) estimateLines() int {
	ready := int(t.ready.Load())
	if ready == len(t.buf) {
		return bytes.Count(t.buf, []byte{'\n'}) + 1
	}
	for ready == 0 {
		runtime.Gosched()
		select {
		case <-t.done:
			return 1
		default:
		}
		ready = int(t.ready.Load())
	}
	seen := bytes.Count(t.buf[:ready], []byte{'\n'}) + 1
	return seen*len(t.buf)/ready + 1
}
