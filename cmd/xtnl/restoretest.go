package main

import (
	"bytes"
	"fmt"
	"io"
	"runtime"

	"github.com/xtnl/xtnl/compat"
	"golang.org/x/sys/unix"
)

// restoreTest is iptables-restore --test: the input is parsed and
// checked, nothing is committed. Here it is applied to a scratch network
// namespace that first receives a copy of the rules (so --noflush input
// finds the chains it refers to), then thrown away.
func restoreTest(prog string, fam compat.Family, netns string, text []byte, opts []compat.RestoreOption, stderr io.Writer) int {
	src, err := newIPT(protocolOf(fam), netns)
	if err != nil {
		return report(stderr, prog, err)
	}
	defer src.Close()
	var state bytes.Buffer
	if err := src.Save(&state, ""); err != nil {
		return report(stderr, prog, err)
	}
	path, done, err := scratchNetNS()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	defer close(done)
	dst, err := newIPT(protocolOf(fam), path)
	if err != nil {
		return report(stderr, prog, err)
	}
	defer dst.Close()
	if err := dst.Restore(&state); err != nil {
		return report(stderr, prog, err)
	}
	return restoreReport(stderr, prog, dst.Restore(bytes.NewReader(text), opts...))
}

// scratchNetNS makes a network namespace held by a thread of its own
// (never one of Go's other goroutines' threads) until done is closed; the
// thread then exits with it, and the namespace goes once unused.
func scratchNetNS() (path string, done chan struct{}, err error) {
	done = make(chan struct{})
	ready := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its namespace
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ready <- err
			return
		}
		path = fmt.Sprintf("/proc/%d/task/%d/ns/net", unix.Getpid(), unix.Gettid())
		ready <- nil
		<-done
	}()
	if err := <-ready; err != nil {
		return "", nil, err
	}
	return path, done, nil
}
