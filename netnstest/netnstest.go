// Package netnstest gives tests a throwaway network namespace, so that code
// which changes the firewall never touches the host's ruleset.
//
//	func TestMyAgent(t *testing.T) {
//		ns := netnstest.New(t) // deleted when the test ends
//		c, err := xtnl.Open(xtnl.WithNetNS(ns.Path))
//		...
//		out := ns.MustRun(t, "nft", "list", "ruleset")
//	}
//
// Namespaces are named (under /run/netns, as `ip netns add` makes them), so
// command-line tools can be pointed at them too. Creating one needs root
// (CAP_SYS_ADMIN); without it New skips the test and says why.
package netnstest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vishvananda/netns"
	"github.com/xtnl/xtnl/internal/nsthread"
	"golang.org/x/sys/unix"
)

// runDir is where named namespaces live, as iproute2 keeps them.
const runDir = "/run/netns"

// NS is a named network namespace.
type NS struct {
	Name string // as `ip netns` knows it
	Path string // /run/netns/NAME
}

// New creates a fresh network namespace and deletes it when tb ends.
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

// Create makes a named network namespace; name "" picks a random
// "xtnl-test-…" name. The caller must Delete it.
func Create(name string) (*NS, error) {
	if name == "" {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		name = "xtnl-test-" + hex.EncodeToString(b[:])
	}
	if err := prepareRunDir(); err != nil {
		return nil, err
	}
	path := filepath.Join(runDir, name)
	// The namespace is made on a thread of its own (nsthread), bound to
	// its name as `ip netns add` binds it, and the thread brought back.
	err := nsthread.DoInNew(func() error {
		f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
		if err != nil {
			return fmt.Errorf("create namespace %s: %w", name, err)
		}
		f.Close()
		if err := unix.Mount("/proc/thread-self/ns/net", path, "none", unix.MS_BIND, ""); err != nil {
			os.Remove(path)
			return fmt.Errorf("create namespace %s: bind mount: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &NS{Name: name, Path: path}, nil
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

// Delete removes the namespace.
func (ns *NS) Delete() error {
	if err := netns.DeleteNamed(ns.Name); err != nil {
		return fmt.Errorf("delete namespace %s: %w", ns.Name, err)
	}
	return nil
}

// Command returns cmd prepared to run inside the namespace (through
// `ip netns exec`).
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
