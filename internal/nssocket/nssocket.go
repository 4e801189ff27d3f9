// Package nssocket opens sockets in a given network namespace.
package nssocket

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Open creates a socket (as socket(2) with SOCK_CLOEXEC) in the network
// namespace behind nsFd, or in the caller's when nsFd < 0. A socket
// belongs to the namespace of the thread that creates it, so it is made
// on a thread of its own switched into the namespace; that thread is
// never handed back to the runtime (its goroutine exits locked), so no
// other goroutine ever runs in a namespace it did not ask for.
func Open(nsFd, domain, typ, proto int) (int, error) {
	open := func() (int, error) { return unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto) }
	if nsFd < 0 {
		return open()
	}
	type result struct {
		fd  int
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread, switched namespace, exits with
		// this goroutine.
		if err := unix.Setns(nsFd, unix.CLONE_NEWNET); err != nil {
			done <- result{-1, fmt.Errorf("enter network namespace: %w", err)}
			return
		}
		fd, err := open()
		done <- result{fd, err}
	}()
	r := <-done
	return r.fd, r.err
}
