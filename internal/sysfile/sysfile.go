// Package sysfile reads small system files (/etc/protocols, sysfs
// settings) with plain system calls.
//
// os.Open sets up the Go runtime's network poller the first time a
// process opens a file (an epoll set, an eventfd, and a try at
// registering the file), ~0.1 ms on some machines. In a short-lived
// process that costs the first rule it parses or the first large batch
// it builds, on the clock; files read whole, at once, never need the
// poller.
package sysfile

import (
	"slices"

	"golang.org/x/sys/unix"
)

// ReadFile reads the whole file at path.
func ReadFile(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &pathError{op: "open", path: path, err: err}
	}
	defer unix.Close(fd)
	b := make([]byte, 0, 16<<10)
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, cap(b))
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, &pathError{op: "read", path: path, err: err}
		case n == 0:
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

// pathError is os.PathError's message without importing os's file layer.
type pathError struct {
	op, path string
	err      error
}

func (e *pathError) Error() string { return e.op + " " + e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }
