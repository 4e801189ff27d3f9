package netnstest

import (
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// What this process made and has not deleted yet, so that a signal that
// ends it does not leave namespaces (bind mounts under /run/netns) or
// veth ends in namespaces it does not own behind for good.
//
// Things are made and registered under reg.mu, and deleted and
// unregistered under it; the signal handler takes it and never gives it
// back. So the handler sees everything that exists, and once it runs
// nothing new is made: the process ends with the signal once the
// registered things are gone.

// resource is something to delete: a namespace made here (*NS), or a veth
// pair with an end in a namespace made elsewhere (*Veth).
type resource interface{ release() error }

var reg struct {
	mu   sync.Mutex
	live map[resource]struct{}
}

// track runs create and registers r, under the registry's lock.
func track(r resource, create func() error) error {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	watchSignals()
	if err := create(); err != nil {
		return err
	}
	if reg.live == nil {
		reg.live = map[resource]struct{}{}
	}
	reg.live[r] = struct{}{}
	return nil
}

// untrack unregisters r and runs release, under the registry's lock.
func untrack(r resource, release func() error) error {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	delete(reg.live, r)
	return release()
}

// DeleteAll deletes everything this process made through netnstest and
// has not deleted yet: veth ends in other namespaces first, then
// namespaces. It is what happens on SIGINT, SIGTERM and SIGPIPE; a program
// that handles those signals itself, or a TestMain, can call it directly.
func DeleteAll() error {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return releaseAll()
}

// releaseAll deletes every registered resource; reg.mu is held.
func releaseAll() error {
	var errs []error
	// Links in namespaces netnstest does not own first: deleting a
	// namespace of its own would take only its end of the pair with it
	// once nothing else holds that namespace.
	for _, pass := range []bool{true, false} {
		for r := range reg.live {
			if _, foreign := r.(*Veth); foreign != pass {
				continue
			}
			if err := r.release(); err != nil {
				errs = append(errs, err)
			}
			delete(reg.live, r)
		}
	}
	return errors.Join(errs...)
}

var watchOnce sync.Once

// cleanupSignals end a process by default, before any deferred Delete or
// test cleanup could run. SIGQUIT is not among them: it is how `go test
// -timeout` ends a test binary that does not stop, and the runtime's
// goroutine dump it gives is worth more; Sweep finds what it leaves.
var cleanupSignals = []syscall.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGPIPE}

// watchSignals makes SIGINT, SIGTERM and SIGPIPE from a broken standard
// output or error delete what the process made before it ends of them.
// Signals the process was started with ignored stay ignored.
func watchSignals() {
	watchOnce.Do(func() {
		var sigs []os.Signal
		for _, s := range cleanupSignals {
			if !signal.Ignored(s) {
				sigs = append(sigs, s)
			}
		}
		if len(sigs) == 0 {
			return
		}
		ch := make(chan os.Signal, 4)
		signal.Notify(ch, sigs...)
		go func() {
			for s := range ch {
				sig := s.(syscall.Signal)
				// With SIGPIPE asked for, Go delivers it for a write to any
				// broken pipe or socket, where by default it ignores all but
				// standard output's and error's. Only those end the process.
				if sig == unix.SIGPIPE && brokenStdio() < 0 {
					continue
				}
				cleanUpAndDie(sig)
			}
		}()
	})
}

// cleanUpAndDie deletes everything registered and ends the process with
// sig, as it would have ended without netnstest.
func cleanUpAndDie(sig syscall.Signal) {
	reg.mu.Lock() // never unlocked: nothing is made from now on
	_ = releaseAll()
	signal.Reset(sig)
	if sig == unix.SIGPIPE {
		// The runtime dies of SIGPIPE when a write to a broken standard
		// output or error fails and nobody asked for the signal; a SIGPIPE
		// sent with kill would be ignored.
		b := []byte{'\n'}
		if brokenStdio() == 2 {
			os.Stderr.Write(b)
		} else {
			os.Stdout.Write(b)
		}
	} else {
		unix.Kill(unix.Getpid(), sig)
	}
	time.Sleep(2 * time.Second)
	os.Exit(128 + int(sig))
}

// brokenStdio returns 1 or 2 for a standard output or error whose reader
// went away (poll reports an error or hang-up on its write end), or -1.
func brokenStdio() int {
	for _, fd := range []int{1, 2} {
		p := []unix.PollFd{{Fd: int32(fd)}}
		if n, err := unix.Poll(p, 0); err == nil && n == 1 && p[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			return fd
		}
	}
	return -1
}
