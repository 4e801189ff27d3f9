package compat

import (
	"io"
	"os"
	"slices"
	"strings"
	"unsafe"
)

// Reading a restore's input: a string where it lies, anything else in one
// allocation.

// restoreInput returns the input r holds: a *strings.Reader's string as
// it lies (it cannot change, and nothing is written to the input),
// anything else read whole into a buffer of its own. Bytes the caller
// holds (a *bytes.Reader's, a *bytes.Buffer's) are copied: errors quote
// the input, and the caller may reuse its buffer.
func restoreInput(r io.Reader) ([]byte, error) {
	if v, ok := r.(*strings.Reader); ok {
		var c capturedString
		if _, err := v.WriteTo(&c); err != nil {
			return nil, err
		}
		return unsafe.Slice(unsafe.StringData(c.s), len(c.s)), nil
	}
	return readAll(r)
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

// readAll reads r whole, in one allocation when r can say its size (a
// file, a bytes or strings reader).
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
	if size <= 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, size+1) // +1: the read that finds EOF
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = slices.Grow(b, len(b)) // it grew meanwhile
		}
	}
}
