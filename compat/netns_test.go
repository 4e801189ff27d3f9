package compat

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/internal/nsthread"
	"github.com/xtnl/xtnl/netnstest"
	"golang.org/x/sys/unix"
)

// Where calls act, checked in processes of their own: which thread a
// goroutine lands on, the main one included, is decided per process, and
// the process itself runs inside a throwaway namespace ("outer"), so that
// what a call wrongly does to the namespace the process started in never
// reaches the host.

// childEnv selects a child mode of the test binary (TestMain).
const childEnv = "XTNL_COMPAT_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

// runInChild runs this test binary in child mode inside ns, with env
// added, and returns its output; the child prints "child ok" when done.
func runInChild(t *testing.T, ns *netnstest.NS, mode string, env ...string) string {
	t.Helper()
	return runInChildVia(t, ns, nil, mode, env...)
}

// runInChildVia is runInChild with the child started through a wrapper
// command (setpriv, to drop a capability).
func runInChildVia(t *testing.T, ns *netnstest.NS, via []string, mode string, env ...string) string {
	t.Helper()
	args := append(append([]string{"netns", "exec", ns.Name}, via...), os.Args[0], "-test.run=^$")
	cmd := exec.Command("ip", args...)
	cmd.Env = append(append(os.Environ(), childEnv+"="+mode), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "child ok") {
		t.Fatalf("child %s in %s: %v\n%s", mode, ns.Name, err, out)
	}
	return string(out)
}

func runChild(mode string) int {
	var err error
	switch mode {
	case "thread-switching":
		err = childThreadSwitching(os.Getenv("NS_A"), os.Getenv("NS_B"), os.Getenv("ORACLE") != "")
	case "main-thread":
		err = childMainThread(os.Getenv("NS_X"), os.Getenv("WORKERS") != "")
	case "no-net-admin":
		err = childNoNetAdmin()
	default:
		err = fmt.Errorf("unknown child mode %q", mode)
	}
	if err != nil {
		fmt.Println("child failed:", err)
		return 1
	}
	fmt.Println("child ok")
	return 0
}

// inNamespace runs fn with the calling goroutine's thread switched into
// the namespace at path, as a CNI plugin's ns.Do does, and back. The
// goroutine is locked for the duration; if the switch back fails the
// thread is left locked and dies with the goroutine (fn runs on a
// goroutine of its own).
func inNamespace(path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		back, err := nsthread.OpenCurrent()
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(back)
		target, _, err := nsthread.Open(path)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer unix.Close(target)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		ferr := fn()
		if err := unix.Setns(back, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("switch back: %w", err)
			return // locked: the thread goes
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// childThreadSwitching is a CNI plugin's pattern: one IPTables made in
// the process's namespace, used from a locked thread switched into A,
// then into B. As the oracle, iptables-nft run from that thread, as
// go-iptables runs it.
func childThreadSwitching(a, b string, oracle bool) error {
	ipt, err := New()
	if err != nil {
		return err
	}
	add := func(comment string) error {
		if oracle {
			return exec.Command("iptables-nft", "-A", "INPUT", "-m", "comment", "--comment", comment, "-j", "ACCEPT").Run()
		}
		return ipt.Append("filter", "INPUT", "-m", "comment", "--comment", comment, "-j", "ACCEPT")
	}
	if err := inNamespace(a, func() error { return add("PROBE_A") }); err != nil {
		return fmt.Errorf("in A: %w", err)
	}
	if err := inNamespace(b, func() error { return add("PROBE_B") }); err != nil {
		return fmt.Errorf("in B: %w", err)
	}
	// And the same IPTables from the process's own namespace, where the
	// others were made.
	return add("PROBE_OUTER")
}

func TestEachCallActsWhereItsThreadIs(t *testing.T) {
	needTools(t)
	ours := [3]*netnstest.NS{netnstest.New(t), netnstest.New(t), netnstest.New(t)}
	theirs := [3]*netnstest.NS{netnstest.New(t), netnstest.New(t), netnstest.New(t)}
	runInChild(t, ours[0], "thread-switching", "NS_A="+ours[1].Path, "NS_B="+ours[2].Path)
	runInChild(t, theirs[0], "thread-switching", "NS_A="+theirs[1].Path, "NS_B="+theirs[2].Path, "ORACLE=1")
	want := []string{"PROBE_OUTER", "PROBE_A", "PROBE_B"}
	for i, name := range []string{"outer", "A", "B"} {
		got := ours[i].MustRun(t, "iptables-nft", "-S", "INPUT")
		ref := theirs[i].MustRun(t, "iptables-nft", "-S", "INPUT")
		if got != ref {
			t.Errorf("namespace %s: xtnl left\n%s\niptables-nft (run as go-iptables runs it) left\n%s", name, got, ref)
		}
		if strings.Count(got, "PROBE_") != 1 || !strings.Contains(got, "--comment "+want[i]+" ") {
			t.Errorf("namespace %s holds\n%s\nwant exactly the rule %s", name, got, want[i])
		}
	}
}

// childMainThread makes and uses IPTables bound to X by name from the
// main goroutine (and, with workers, from eight goroutines at once),
// with an ipset look-up and a watch among the calls, then checks that
// every thread of the process is still in the process's namespace.
func childMainThread(x string, workers bool) error {
	home, err := nsthread.Process()
	if err != nil {
		return err
	}
	use := func(i int) error {
		ipt, err := New(NetNS(x))
		if err != nil {
			return err
		}
		spec := []string{"-s", fmt.Sprintf("10.9.%d.%d", i/250, i%250), "-m", "set", "--match-set", "probe", "src", "-j", "ACCEPT"}
		if err := ipt.Append("filter", "INPUT", spec...); err != nil {
			return err
		}
		if ok, err := ipt.Exists("filter", "INPUT", spec...); err != nil || !ok {
			return fmt.Errorf("Exists = %v, %v", ok, err)
		}
		_, err = ipt.List("filter", "INPUT")
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ipt, err := New(NetNS(x))
	if err != nil {
		return err
	}
	events, err := ipt.Watch(ctx)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	if workers {
		for w := range 8 {
			wg.Go(func() {
				for i := range 5 {
					if err := use(100 + w*10 + i); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	for i := range 5 {
		if err := use(i); err != nil {
			return err
		}
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	cancel()
	for range events {
	}
	return threadsAt(home)
}

// No call leaves a thread elsewhere: 20 fresh processes (built with
// -race when the tests are), half with eight goroutines calling at once.
func TestNoThreadLeftInTheNamespace(t *testing.T) {
	needTools(t)
	outer, x := netnstest.New(t), netnstest.New(t)
	x.MustRun(t, "ipset", "create", "probe", "hash:ip")
	for i := range 20 {
		env := []string{"NS_X=" + x.Name}
		if i%2 == 1 {
			env = append(env, "WORKERS=1")
		}
		runInChild(t, outer, "main-thread", env...)
	}
	if got := outer.MustRun(t, "nft", "list", "ruleset"); got != "" {
		t.Fatalf("the processes' own namespace holds rules:\n%s", got)
	}
	if got := strings.Count(x.MustRun(t, "iptables-nft", "-S", "INPUT"), "-A INPUT"); got != 20*5+10*8*5 {
		t.Fatalf("X holds %d rules, want %d", got, 20*5+10*8*5)
	}
}

// A namespace deleted and made again under its name is followed; while
// the name resolves to nothing, calls fail with ErrNetNSNotFound and
// write nowhere.
func TestNamedNamespaceDeletedAndMadeAgain(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	if err := ipt.Append("filter", "INPUT", "-s", "10.0.0.1", "-j", "ACCEPT"); err != nil {
		t.Fatal(err)
	}
	if err := ns.Delete(); err != nil {
		t.Fatal(err)
	}
	err = ipt.Append("filter", "INPUT", "-s", "10.0.0.2", "-j", "ACCEPT")
	if !errors.Is(err, xtnl.ErrNetNSNotFound) {
		t.Fatalf("Append into a deleted namespace = %v, want ErrNetNSNotFound", err)
	}
	var ierr *Error
	var nerr *xtnl.NetNSError
	if !errors.As(err, &ierr) || !errors.As(err, &nerr) || nerr.NetNS != ns.Name || !strings.Contains(err.Error(), ns.Name) {
		t.Fatalf("error %v: want an *Error wrapping an *xtnl.NetNSError naming %q", err, ns.Name)
	}
	if _, err := ipt.List("filter", "INPUT"); !errors.Is(err, xtnl.ErrNetNSNotFound) {
		t.Fatalf("List of a deleted namespace = %v, want ErrNetNSNotFound", err)
	}
	if _, err := New(NetNS(ns.Name)); !errors.Is(err, xtnl.ErrNetNSNotFound) {
		t.Fatalf("New(NetNS(deleted)) = %v, want ErrNetNSNotFound", err)
	}
	again, err := netnstest.Create(ns.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := ipt.Append("filter", "INPUT", "-s", "10.0.0.3", "-j", "ACCEPT"); err != nil {
		t.Fatal(err)
	}
	want := "-P INPUT ACCEPT\n-A INPUT -s 10.0.0.3/32 -j ACCEPT\n"
	if got := again.MustRun(t, "iptables-nft", "-S", "INPUT"); got != want {
		t.Fatalf("the namespace made again holds\n%s\nwant\n%s", got, want)
	}
	got, err := ipt.List("filter", "INPUT")
	if err != nil || strings.Join(got, "\n")+"\n" != want {
		t.Fatalf("List = %q, %v; want %q", got, err, want)
	}
}

func TestNetNSNotANamespace(t *testing.T) {
	for _, path := range []string{"/etc/hostname", "/proc/self/ns/uts"} {
		_, err := New(NetNS(path))
		if !errors.Is(err, xtnl.ErrNotNetNS) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a network namespace") {
			t.Errorf("New(NetNS(%q)) = %v, want an error naming it and saying it is not a network namespace", path, err)
		}
	}
	if _, err := New(NetNS("no-such-namespace-xtnl")); !errors.Is(err, xtnl.ErrNetNSNotFound) {
		t.Errorf("New(NetNS(missing)) = %v, want ErrNetNSNotFound", err)
	}
}
