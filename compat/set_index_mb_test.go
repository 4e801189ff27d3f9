package compat

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// The differential harness parses in the test process (host namespace)
// but writes each rule into a fresh namespace, and reads rules back from
// another. Parse has no namespace handle yet, so for the tests the set
// lookups go to a private, anonymous network namespace that holds the same
// ipsets the harness creates, created in the same order (s4, then s6):
// ipset indexes are given out in creation order per namespace, so s4 is 0
// and s6 is 1 here as in every test namespace. The namespace is held by a
// file descriptor only (nothing under /run/netns) and disappears when the
// test binary exits. The lookups themselves are the production code
// (ipsetIndexIn / ipsetNameIn) pointed at that namespace.

var (
	mbSetNSOnce sync.Once
	mbSetNSFD   int
	mbSetNSErr  error
	// mbSetNSFile owns mbSetNSFD; kept for the life of the process so no
	// finalizer closes the descriptor.
	mbSetNSFile *os.File
)

func init() {
	setIndexResolver = func(ctx *ParseContext, name string) (uint16, error) {
		fd, err := mbTestSetNS()
		if err != nil {
			return 0, badSpec(name, "test ipset namespace: %v", err)
		}
		return ipsetIndexIn(fd, ctx.Family, name)
	}
	setNameResolver = func(index uint16) (string, error) {
		fd, err := mbTestSetNS()
		if err != nil {
			return "", err
		}
		return ipsetNameIn(fd, index)
	}
}

func mbTestSetNS() (int, error) {
	mbSetNSOnce.Do(func() {
		mbSetNSFD, mbSetNSErr = mbNewAnonNS()
		if mbSetNSErr != nil {
			return
		}
		f := os.NewFile(uintptr(mbSetNSFD), "netns")
		mbSetNSFile = f
		for _, args := range [][]string{{"create", "s4", "hash:ip"}, {"create", "s6", "hash:ip", "family", "inet6"}} {
			cmd := exec.Command("nsenter", append([]string{"--net=/proc/self/fd/3", "ipset"}, args...)...)
			cmd.ExtraFiles = []*os.File{f}
			if out, err := cmd.CombinedOutput(); err != nil {
				mbSetNSErr = fmt.Errorf("ipset %v: %v: %s", args, err, out)
				return
			}
		}
	})
	return mbSetNSFD, mbSetNSErr
}

// mbNewAnonNS makes a network namespace and returns a descriptor of it,
// leaving the calling goroutine's thread where it was.
func mbNewAnonNS() (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{-1, err}
			return
		}
		defer unix.Close(orig)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{-1, err}
			return
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err2 := unix.Setns(orig, unix.CLONE_NEWNET); err2 != nil {
			ch <- result{-1, err2} // thread stays locked and is discarded
			return
		}
		runtime.UnlockOSThread()
		ch <- result{fd, err}
	}()
	r := <-ch
	return r.fd, r.err
}
