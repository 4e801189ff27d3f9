// Package nsthread runs work inside a network namespace without ever
// leaving a thread of the caller's process there, and tells namespaces
// apart by identity.
//
// A thread's network namespace is per thread (setns(2) switches only the
// calling thread), and Go moves goroutines between threads freely. Work in
// another namespace is therefore done on a fresh goroutine locked to its
// thread; the thread is switched back before it is unlocked. Only if
// switching back fails does the goroutine exit still locked, so that the
// runtime ends the thread, and that thread is never the main thread: Go
// cannot end the main thread, it parks it for the life of the process, and
// the process's own /proc/self/ns/net would then name the other namespace.
//
// Start with Do; Socket is Do for the one thing most callers need, and ID
// is what connection caches are keyed by.
package nsthread

import (
	"errors"
	"fmt"
	"github.com/vishvananda/netns"
	"runtime"

	"golang.org/x/sys/unix"
)

// ID identifies a network namespace for as long as something holds it: the
// device and inode of its nsfs file. A name (/run/netns/NAME) or a path
// (/proc/PID/ns/net) can come to mean another namespace; an ID cannot,
// while the namespace lives. Once it is freed, its inode may be reused.
type ID struct {
	Dev, Ino uint64
}

// String is the ID as lsns and `ip netns identify` style tools show it.
func (id ID) String() string { return fmt.Sprintf("net:[%d] (dev %d)", id.Ino, id.Dev) }

// threadSelf is the calling thread's namespace file.
const threadSelf = "/proc/thread-self/ns/net"

// Current is the ID of the calling thread's network namespace. The answer
// holds for the goroutine only while it stays on that thread: a caller
// that must act on it locks its thread first (runtime.LockOSThread).
func Current() (ID, error) { return OfPath(threadSelf) }

// Process is the ID of the process's own network namespace: its main
// thread's (/proc/self is the thread group leader).
func Process() (ID, error) { return OfPath("/proc/self/ns/net") }

// ErrNotNetNS is returned (wrapped) for a path or descriptor that exists
// but is not a network namespace.
var ErrNotNetNS = errors.New("not a network namespace")

// OfPath is the ID of the file at path (a /run/netns/NAME bind mount,
// /proc/PID/ns/net, ...): one stat, for callers that check often whether a
// name still means the namespace they hold. It does not check that the
// file is a network namespace; Open does. A missing path gives an error
// that wraps unix.ENOENT.
func OfPath(path string) (ID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return ID{}, err
	}
	return ID{Dev: st.Dev, Ino: st.Ino}, nil
}

// Open opens the network namespace at path (close-on-exec) and returns
// its descriptor and ID. A file that is not a network namespace gives an
// error wrapping ErrNotNetNS.
func Open(path string) (int, ID, error) {
	h, err := netns.GetFromPath(path)
	if err != nil {
		return -1, ID{}, err
	}
	fd := int(h)
	id, err := OfFd(fd)
	if err != nil {
		unix.Close(fd)
		return -1, ID{}, err
	}
	return fd, id, nil
}

// OpenCurrent opens the calling thread's network namespace (close-on-exec):
// a handle that keeps it alive and lets other threads enter it. The caller
// locks its thread first if it may be anywhere but the process's own
// namespace.
func OpenCurrent() (int, error) {
	h, err := netns.Get()
	return int(h), err
}

// OfFd is the ID of the network namespace behind an open descriptor; a
// descriptor of anything else gives an error wrapping ErrNotNetNS.
func OfFd(fd int) (ID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return ID{}, err
	}
	typ, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil || typ != unix.CLONE_NEWNET {
		// ENOTTY: not a namespace file at all.
		return ID{}, ErrNotNetNS
	}
	return ID{Dev: st.Dev, Ino: st.Ino}, nil
}

// Do runs fn on a thread switched into the network namespace behind the
// descriptor ns, and switches that thread back before the runtime may
// schedule anything else on it. A panic in fn is raised again in the
// caller's goroutine, once the thread is back. fn runs on a goroutine of
// its own: it must not rely on the caller's goroutine-bound state (such as
// the caller's own runtime.LockOSThread).
func Do(ns int, fn func() error) error {
	return on(func() error {
		if err := netns.Set(netns.NsHandle(ns)); err != nil {
			return enterError(ns, err)
		}
		return nil
	}, fn)
}

// DoInNew is Do in a network namespace made for the occasion
// (unshare(CLONE_NEWNET)): fn finds the thread in it, at
// /proc/thread-self/ns/net, and must bind-mount or open that file for the
// namespace to outlive the call.
func DoInNew(fn func() error) error {
	return on(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("create network namespace: %w", err)
		}
		return nil
	}, fn)
}

// on runs fn after enter on a thread of its own, and brings the thread
// back to its namespace.
func on(enter, fn func() error) error {
	r := make(chan outcome, 1)
	go run(enter, fn, r)
	o := <-r
	if o.panicked {
		panic(o.panicValue)
	}
	return o.err
}

type outcome struct {
	err        error
	panicked   bool
	panicValue any
}

// run is on's goroutine.
func run(enter, fn func() error, r chan<- outcome) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// The main thread: were switching back to fail, it could not be
		// ended. Run on another goroutine; it cannot be scheduled on this
		// thread while this goroutine holds it locked and waits.
		inner := make(chan outcome, 1)
		go run(enter, fn, inner)
		o := <-inner
		runtime.UnlockOSThread()
		r <- o
		return
	}
	back, err := OpenCurrent()
	if err != nil {
		runtime.UnlockOSThread()
		r <- outcome{err: fmt.Errorf("open own network namespace: %w", err)}
		return
	}
	defer unix.Close(back)
	if err := enter(); err != nil {
		// setns and unshare change nothing when they fail.
		runtime.UnlockOSThread()
		r <- outcome{err: err}
		return
	}
	o := call(fn)
	if err := netns.Set(netns.NsHandle(back)); err != nil {
		// Left locked: the runtime ends this thread with the goroutine.
		if o.err == nil && !o.panicked {
			o.err = fmt.Errorf("return to own network namespace: %w", err)
		}
		r <- o
		return
	}
	runtime.UnlockOSThread()
	r <- o
}

// call runs fn, catching a panic so the thread can be switched back
// before it is raised again.
func call(fn func() error) (o outcome) {
	defer func() {
		if v := recover(); v != nil {
			o = outcome{panicked: true, panicValue: v}
		}
	}()
	return outcome{err: fn()}
}

// enterError says why setns refused ns: EINVAL means the descriptor is not
// a network namespace.
func enterError(ns int, err error) error {
	if errors.Is(err, unix.EINVAL) {
		if _, ierr := OfFd(ns); errors.Is(ierr, ErrNotNetNS) {
			return fmt.Errorf("enter network namespace: %w", ErrNotNetNS)
		}
	}
	return fmt.Errorf("enter network namespace: %w", err)
}

// Socket creates a socket (socket(2) with SOCK_CLOEXEC) in the network
// namespace behind ns, or on the calling thread, in its namespace, when
// ns < 0. A socket belongs for good to the namespace it was created in.
func Socket(ns, domain, typ, proto int) (int, error) {
	open := func() (int, error) { return unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto) }
	if ns < 0 {
		return open()
	}
	fd := -1
	err := Do(ns, func() error {
		var err error
		fd, err = open()
		return err
	})
	return fd, err
}
