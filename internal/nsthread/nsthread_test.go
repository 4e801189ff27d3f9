package nsthread

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// newNS makes an anonymous network namespace and returns a descriptor of
// it, closed when the test ends.
func newNS(t *testing.T) int {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("nsthread: making a network namespace needs root")
	}
	fd := -1
	if err := DoInNew(func() error {
		var err error
		fd, err = unix.Open(threadSelf, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// threadNamespaces is the set of network namespace IDs of every thread
// of this process.
func threadNamespaces(t *testing.T) map[ID][]string {
	t.Helper()
	tasks, err := filepath.Glob("/proc/self/task/*")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[ID][]string{}
	for _, task := range tasks {
		id, err := OfPath(task + "/ns/net")
		if err != nil {
			continue // the thread has exited
		}
		seen[id] = append(seen[id], filepath.Base(task))
	}
	return seen
}

func TestDoRunsInTheNamespaceAndComesBack(t *testing.T) {
	ns := newNS(t)
	want, err := OfFd(ns)
	if err != nil {
		t.Fatal(err)
	}
	home, err := Process()
	if err != nil {
		t.Fatal(err)
	}
	var inside ID
	if err := Do(ns, func() error {
		var err error
		inside, err = Current()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if inside != want {
		t.Fatalf("fn ran in %v, want %v", inside, want)
	}
	for id, tids := range threadNamespaces(t) {
		if id != home {
			t.Fatalf("threads %v left in %v", tids, id)
		}
	}
}

func TestDoReturnsErrorsAndPanics(t *testing.T) {
	ns := newNS(t)
	home, _ := Process()
	boom := errors.New("boom")
	if err := Do(ns, func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Do = %v, want %v", err, boom)
	}
	func() {
		defer func() {
			if v := recover(); v != "callback panic" {
				t.Fatalf("recovered %v, want the callback's panic", v)
			}
		}()
		Do(ns, func() error { panic("callback panic") })
	}()
	for id, tids := range threadNamespaces(t) {
		if id != home {
			t.Fatalf("threads %v left in %v after an error and a panic", tids, id)
		}
	}
}

func TestNotANetworkNamespace(t *testing.T) {
	f, err := os.Open("/proc/self/ns/mnt")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if err := Do(int(f.Fd()), func() error { return nil }); !errors.Is(err, ErrNotNetNS) {
		t.Fatalf("Do(mnt namespace) = %v, want ErrNotNetNS", err)
	}
	if _, _, err := Open("/etc/hostname"); !errors.Is(err, ErrNotNetNS) {
		t.Fatalf("Open(/etc/hostname) = %v, want ErrNotNetNS", err)
	}
	if _, _, err := Open("/proc/self/ns/uts"); !errors.Is(err, ErrNotNetNS) {
		t.Fatalf("Open(uts namespace) = %v, want ErrNotNetNS", err)
	}
	if _, err := OfPath("/run/netns/does-not-exist-xtnl"); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("OfPath(missing) = %v, want ENOENT", err)
	}
}

// The main thread is the one thread Go cannot end: a process whose main
// goroutine calls Do, alone and with other goroutines doing the same,
// must still be in its own namespace, every thread of it, afterwards. Run
// in fresh processes, since which thread a goroutine lands on is decided
// at start-up.
func TestMainThreadNeverLeft(t *testing.T) {
	if os.Getenv("NSTHREAD_CHILD") != "" {
		t.Skip("child mode runs through TestMain")
	}
	if os.Geteuid() != 0 {
		t.Skip("nsthread: making a network namespace needs root")
	}
	for i := range 20 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "NSTHREAD_CHILD=1", fmt.Sprintf("NSTHREAD_WORKERS=%d", i%3*4))
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "child ok") {
			t.Fatalf("process %d: %v\n%s", i, err, out)
		}
	}
}

func TestMain(m *testing.M) {
	if os.Getenv("NSTHREAD_CHILD") != "" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

// child is a fresh process's main: it calls Do from the main goroutine
// (and from workers), then checks every thread.
func child() int {
	workers := 0
	fmt.Sscan(os.Getenv("NSTHREAD_WORKERS"), &workers)
	home, err := Process()
	if err != nil {
		fmt.Println(err)
		return 1
	}
	var ns int
	if err := DoInNew(func() error {
		ns, err = unix.Open(threadSelf, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		return err
	}); err != nil {
		fmt.Println(err)
		return 1
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range 50 {
				fd, _ := Socket(ns, unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_NETFILTER)
				unix.Close(fd)
			}
		})
	}
	for range 50 {
		fd, err := Socket(ns, unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_NETFILTER)
		if err != nil {
			fmt.Println(err)
			return 1
		}
		unix.Close(fd)
	}
	wg.Wait()
	if id, _ := Process(); id != home {
		fmt.Printf("the process (main thread) is in %v, not %v\n", id, home)
		return 1
	}
	tasks, _ := filepath.Glob("/proc/self/task/*")
	for _, task := range tasks {
		if id, err := OfPath(task + "/ns/net"); err == nil && id != home {
			fmt.Printf("thread %s is in %v, not %v\n", filepath.Base(task), id, home)
			return 1
		}
	}
	fmt.Println("child ok")
	return 0
}
