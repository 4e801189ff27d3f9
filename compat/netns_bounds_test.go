package compat

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/internal/nsthread"
	"github.com/xtnl/xtnl/netnstest"
	"golang.org/x/sys/unix"
)

// openFds counts this process's open descriptors.
func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents) - 1 // ReadDir's own
}

// socketNamespaces returns the network namespaces this process's sockets
// are in (SIOCGSKNS), with how many sockets each.
func socketNamespaces(t *testing.T) map[nsthread.ID]int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[nsthread.ID]int{}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err != nil || !strings.HasPrefix(l, "socket:") {
			continue
		}
		nsfd, err := unix.IoctlRetInt(fd, unix.SIOCGSKNS)
		if err != nil {
			continue
		}
		if id, err := nsthread.OfFd(nsfd); err == nil {
			seen[id]++
		}
		unix.Close(nsfd)
	}
	return seen
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Throwaway namespaces, each made, used through compat by name and from
// a thread inside it, and deleted, by a caller that never closes
// anything: descriptors and heap come back to where they were plus a
// small constant, and no deleted namespace is kept alive by a socket of
// ours, beyond the few idle ones a Linger keeps (and none once it has
// passed). XTNL_NETNS_LOOP sets the number (default 10000).
func TestThrowawayNamespacesLeaveNothingBehind(t *testing.T) {
	needTools(t)
	n := 10000
	if s := os.Getenv("XTNL_NETNS_LOOP"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	shared, err := New() // made once, used from inside each namespace
	if err != nil {
		t.Fatal(err)
	}
	// Warm up what stays for the process's life (the shared connection
	// to its own namespace, name tables), then take the baseline.
	if _, err := shared.ChainExists("filter", "INPUT"); err != nil {
		t.Fatal(err)
	}
	warm := netnstest.New(t)
	if err := useThrowaway(shared, warm, 0); err != nil {
		t.Fatal(err)
	}
	conns.CloseIdle()
	fds0, heap0 := openFds(t), heapInUse()
	home, _ := nsthread.Process()
	// Sockets other tests of this binary left open are not the loop's.
	before := socketNamespaces(t)

	deleted := map[nsthread.ID]bool{}
	start := time.Now()
	maxPinned := 0
	for i := range n {
		ns, err := netnstest.Create("")
		if err != nil {
			t.Fatal(err)
		}
		id, err := nsthread.OfPath(ns.Path)
		if err != nil {
			t.Fatal(err)
		}
		if err := useThrowaway(shared, ns, i); err != nil {
			ns.Delete()
			t.Fatalf("namespace %d: %v", i, err)
		}
		if err := ns.Delete(); err != nil {
			t.Fatal(err)
		}
		deleted[id] = true
		if i%500 == 0 {
			pinned := 0
			for id := range socketNamespaces(t) {
				if deleted[id] {
					pinned++
				}
			}
			maxPinned = max(maxPinned, pinned)
		}
	}
	t.Logf("%d namespaces made, used and deleted in %v; at most %d deleted ones held at a time", n, time.Since(start).Round(time.Millisecond), maxPinned)
	if maxPinned > xtnl.DefaultMaxIdle {
		t.Errorf("%d deleted namespaces held by our sockets at once, want at most %d (Pool's MaxIdle)", maxPinned, xtnl.DefaultMaxIdle)
	}
	// Without Close: once the Linger has passed, nothing is held. The
	// closing runs on a timer, late on a busy machine: wait for it up to
	// a few seconds past the Linger.
	time.Sleep(xtnl.DefaultLinger + 500*time.Millisecond)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		held := 0
		for id := range socketNamespaces(t) {
			if deleted[id] {
				held++
			}
		}
		if held == 0 || time.Now().After(deadline) {
			break
		}
	}
	for id, socks := range socketNamespaces(t) {
		if deleted[id] {
			t.Errorf("%d sockets still in deleted namespace %v after the Linger", socks, id)
		} else if id != home && before[id] < socks {
			t.Errorf("%d sockets in namespace %v, neither ours nor one of the loop's", socks, id)
		}
	}
	fds, heap := openFds(t), heapInUse()
	t.Logf("descriptors %d → %d, heap %d → %d KiB", fds0, fds, heap0>>10, heap>>10)
	if fds > fds0+4 {
		t.Errorf("descriptors grew from %d to %d", fds0, fds)
	}
	if heap > heap0+4<<20 {
		t.Errorf("heap grew from %d to %d KiB", heap0>>10, heap>>10)
	}
}

// useThrowaway appends to ns through an IPTables naming it, then checks
// the rule from a thread inside ns through shared (the process's
// IPTables, acting where its caller is).
func useThrowaway(shared *IPTables, ns *netnstest.NS, i int) error {
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		return err
	}
	spec := []string{"-s", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), "-j", "ACCEPT"}
	if err := ipt.Append("filter", "INPUT", spec...); err != nil {
		return err
	}
	return inNamespace(ns.Path, func() error {
		ok, err := shared.Exists("filter", "INPUT", spec...)
		if err == nil && !ok {
			err = fmt.Errorf("rule %v not found from inside the namespace", spec)
		}
		return err
	})
}

// IPTables.Close frees the connections to namespaces no call uses at
// once, without waiting for the Linger.
func TestCloseFreesOtherNamespacesAtOnce(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	id, err := nsthread.OfPath(ns.Path)
	if err != nil {
		t.Fatal(err)
	}
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	if err := ipt.Append("filter", "INPUT", "-j", "ACCEPT"); err != nil {
		t.Fatal(err)
	}
	if socketNamespaces(t)[id] == 0 {
		t.Fatal("no socket in the namespace right after a call: the Linger keeps none?")
	}
	if err := ipt.Close(); err != nil {
		t.Fatal(err)
	}
	if n := socketNamespaces(t)[id]; n != 0 {
		t.Fatalf("%d sockets still in the namespace after Close", n)
	}
	// Still usable.
	if ok, err := ipt.Exists("filter", "INPUT", "-j", "ACCEPT"); err != nil || !ok {
		t.Fatalf("Exists after Close = %v, %v", ok, err)
	}
}
