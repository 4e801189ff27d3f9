package netnstest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/xtnl/xtnl/internal/nsthread"
	"golang.org/x/sys/unix"
)

// runDir is where named namespaces live, as iproute2 keeps them.
const runDir = "/run/netns"

// NS is a network namespace: one this package created (New, Create), which
// Delete removes, or one it was handed (Current, Open), which Delete only
// lets go of. An NS holds its namespace open until Delete, so that every
// call reaches the same namespace even if its name is removed meanwhile.
type NS struct {
	Name string // as `ip netns` knows it; "" for Current
	Path string // /run/netns/NAME, or a /proc path for Current

	mu    sync.Mutex
	fd    int  // the namespace, held open; -1 once deleted
	owned bool // created here: Delete unmounts and removes it
}

// New creates a fresh network namespace with lo up, and deletes it when tb
// ends. Without root (CAP_SYS_ADMIN) it skips the test and says why.
func New(tb testing.TB) *NS {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("netnstest: creating a network namespace needs root")
	}
	ns, err := Create("")
	if err != nil {
		tb.Fatalf("netnstest: %v", err)
	}
	tb.Cleanup(func() {
		if err := ns.Delete(); err != nil {
			tb.Errorf("netnstest: %v", err)
		}
	})
	return ns
}

// Create makes a named network namespace with lo up; the caller must
// Delete it. Name "" picks "xtnl-test-RANDOM-PID-START", a name Sweep
// recognizes as this process's (see Sweep); any other name is used as
// given.
func Create(name string) (*NS, error) {
	if name == "" {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("netnstest: random name: %w", err)
		}
		name = OwnedName("test-" + hex.EncodeToString(b[:]))
	}
	if err := checkNSName(name); err != nil {
		return nil, err
	}
	sweepOnce.Do(func() { _, _ = Sweep() })
	if err := prepareRunDir(); err != nil {
		return nil, err
	}
	ns := &NS{Name: name, Path: filepath.Join(runDir, name), fd: -1, owned: true}
	// Made and registered under the registry's lock, so that a signal's
	// cleanup (signals.go) finds every namespace that exists.
	err := track(ns, func() error {
		if err := bindNew(ns.Path); err != nil {
			return fmt.Errorf("netnstest: create namespace %s: %w", name, err)
		}
		fd, _, err := nsthread.Open(ns.Path)
		if err != nil {
			_ = unbind(ns.Path)
			return fmt.Errorf("netnstest: open namespace %s: %w", name, err)
		}
		ns.fd = fd
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := ns.LinkUp("lo"); err != nil {
		_ = ns.Delete()
		return nil, err
	}
	return ns, nil
}

// bindNew makes a namespace on a thread of its own (nsthread) and binds it
// to path, as `ip netns add` does.
func bindNew(path string) error {
	return nsthread.DoInNew(func() error {
		f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
		if err != nil {
			return err
		}
		f.Close()
		if err := unix.Mount("/proc/thread-self/ns/net", path, "none", unix.MS_BIND, ""); err != nil {
			os.Remove(path)
			return fmt.Errorf("bind mount: %w", err)
		}
		return nil
	})
}

// unbind removes a named namespace's mount and file, as `ip netns del`
// does. The namespace itself ends once nothing else holds it.
func unbind(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
		return fmt.Errorf("unmount %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Current is the calling thread's network namespace: the process's own,
// unless the caller locked its goroutine to a thread it switched. Links
// made with one end there are deleted by Veth.Delete, and on the signals
// New's namespaces are cleaned up on; Delete on it only lets go of it.
func Current() (*NS, error) {
	fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("netnstest: open own network namespace: %w", err)
	}
	return &NS{Path: fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), fd), fd: fd}, nil
}

// Open holds an existing namespace, by name (as `ip netns` knows it) or
// path (/proc/PID/ns/net, a CNI plugin's netns path). Delete only lets go
// of it: the namespace belongs to whoever made it.
func Open(nameOrPath string) (*NS, error) {
	path := nameOrPath
	if filepath.Base(path) == path {
		if err := checkNSName(path); err != nil {
			return nil, err
		}
		path = filepath.Join(runDir, path)
	}
	fd, _, err := nsthread.Open(path)
	if err != nil {
		return nil, fmt.Errorf("netnstest: open namespace %s: %w", nameOrPath, err)
	}
	name := ""
	if filepath.Dir(path) == runDir {
		name = filepath.Base(path)
	}
	return &NS{Name: name, Path: path, fd: fd}, nil
}

// Delete removes a namespace New or Create made (what lives in it, veth
// ends among them, goes with it), or lets go of one from Current or Open.
// Deleting twice is not an error.
func (ns *NS) Delete() error {
	return untrack(ns, ns.release)
}

// release is Delete without the registry's bookkeeping; the signal
// handler calls it with the registry locked.
func (ns *NS) release() error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.fd < 0 {
		return nil
	}
	unix.Close(ns.fd)
	ns.fd = -1
	if !ns.owned {
		return nil
	}
	if err := unbind(ns.Path); err != nil {
		return fmt.Errorf("netnstest: delete namespace %s: %w", ns.Name, err)
	}
	return nil
}

// handle returns the namespace's descriptor, or ErrDeleted.
func (ns *NS) handle() (int, error) {
	if ns == nil {
		return -1, &InputError{Arg: "namespace", Reason: "is nil"}
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.fd < 0 {
		return -1, fmt.Errorf("netnstest: namespace %s: %w", ns, ErrDeleted)
	}
	return ns.fd, nil
}

// do runs fn on a thread switched into the namespace (nsthread.Do).
func (ns *NS) do(fn func() error) error {
	fd, err := ns.handle()
	if err != nil {
		return err
	}
	return nsthread.Do(fd, fn)
}

// String is the namespace's name, or its path.
func (ns *NS) String() string {
	if ns.Name != "" {
		return ns.Name
	}
	return ns.Path
}

var runDirOnce struct {
	sync.Mutex
	done bool
}

// prepareRunDir makes /run/netns a shared mount of its own, as `ip netns
// add` does the first time it runs on a machine. Were it left to ip, a
// namespace made here before ip's first run would stay mounted on the
// directory underneath ip's bind mount, out of Delete's reach: its file
// could no longer be removed (EBUSY). A lock file keeps two processes (test
// binaries run in parallel) from binding the directory twice.
func prepareRunDir() error {
	runDirOnce.Lock()
	defer runDirOnce.Unlock()
	if runDirOnce.done {
		return nil
	}
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile("/run/xtnl-netnstest.lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	bound := false
	for {
		err := unix.Mount("", runDir, "none", unix.MS_SHARED|unix.MS_REC, "")
		if err == nil {
			break
		}
		if err != unix.EINVAL || bound {
			return fmt.Errorf("make %s a shared mount: %w", runDir, err)
		}
		// EINVAL: not a mount point yet.
		if err := unix.Mount(runDir, runDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind-mount %s on itself: %w", runDir, err)
		}
		bound = true
	}
	runDirOnce.done = true
	return nil
}

// Command returns cmd prepared to run inside the namespace (through
// `ip netns exec`), for tools a test compares against, such as
// iptables-nft. The namespace must be named.
func (ns *NS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// Run runs a command inside the namespace and returns its standard output;
// the error carries standard error.
func (ns *NS) Run(name string, args ...string) (string, error) {
	return ns.RunInput(nil, name, args...)
}

// RunInput is Run with standard input.
func (ns *NS) RunInput(stdin []byte, name string, args ...string) (string, error) {
	cmd := ns.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %v: %w: %s", name, args, err, bytes.TrimSpace(errb.Bytes()))
	}
	return out.String(), nil
}

// MustRun is Run failing tb on error.
func (ns *NS) MustRun(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	out, err := ns.Run(name, args...)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
