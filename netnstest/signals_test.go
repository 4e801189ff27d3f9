package netnstest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The cleanup on signals and Sweep are checked on a helper process: this
// test binary run again (TestHelperProcess), started in a network
// namespace of its own (CLONE_NEWNET) so that its "caller's namespace",
// where it puts a veth end, is a throwaway one too. It makes a Host, and a
// veth pair from its own namespace to a namespace of New's, says their
// names, then is ended as each case says. The parent holds the helper's
// namespace open, to look in it after the helper is gone.

const helperEnv = "XTNL_NETNSTEST_HELPER"

// TestHelperProcess is the helper; it does nothing in a normal run.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(3)
	}
	cur, err := Current()
	if err != nil {
		fail(err)
	}
	h, err := BuildHost(nil, 1)
	if err != nil {
		fail(err)
	}
	_, err = NewVeth(End{NS: cur, Name: "xtnl-hlp0", Addrs: []string{"10.9.0.1/24"}}, End{NS: h.NS, Name: "uplink", Addrs: []string{"10.9.0.2/24"}})
	if err != nil {
		fail(err)
	}
	fmt.Printf("ready %s %s\n", h.Name, h.Containers[0].Name)
	switch mode {
	case "wait":
		select {}
	case "write":
		for {
			fmt.Println("tick") // until the reader goes: SIGPIPE
			time.Sleep(5 * time.Millisecond)
		}
	case "die":
		// What `go test -timeout` does: a panic, no cleanup.
		panic("test timed out")
	}
}

type helper struct {
	cmd   *exec.Cmd
	out   *bufio.Reader
	pipe  *os.File
	names []string // namespaces it made
	ns    *NS      // its own namespace, held open
}

func startHelper(t *testing.T, mode string) *helper {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	h := &helper{cmd: cmd, out: bufio.NewReader(r), pipe: r}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		r.Close()
		if t.Failed() {
			t.Logf("helper's standard error:\n%s", stderr.String())
		}
	})
	if h.ns, err = Open(fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.ns.Delete() })
	line, err := h.out.ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 3 || f[0] != "ready" {
		t.Fatalf("helper said %q (%v)", line, err)
	}
	h.names = f[1:]
	if got := h.links(t); !strings.Contains(got, "xtnl-hlp0") {
		t.Fatalf("helper's namespace has links %s, want xtnl-hlp0", got)
	}
	for _, n := range h.names {
		if _, err := os.Stat(runDir + "/" + n); err != nil {
			t.Fatalf("helper's namespace %s: %v", n, err)
		}
	}
	return h
}

func (h *helper) links(t *testing.T) string {
	t.Helper()
	links, err := h.ns.Links()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Name)
	}
	return strings.Join(names, " ")
}

// endedBy waits for the helper and checks it died of sig.
func (h *helper) endedBy(t *testing.T, sig syscall.Signal) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- h.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("helper still running 10s after the signal")
	}
	ws := h.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != sig {
		t.Fatalf("helper ended with %v, want killed by %v", h.cmd.ProcessState, sig)
	}
}

// leftBehind lists what of the helper's is still there: namespace files,
// mounts, and its veth end.
func (h *helper) leftBehind(t *testing.T) []string {
	t.Helper()
	var left []string
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range h.names {
		if _, err := os.Stat(runDir + "/" + n); err == nil {
			left = append(left, "file "+n)
		}
		if strings.Contains(string(mounts), n) {
			left = append(left, "mount "+n)
		}
	}
	if l := h.links(t); strings.Contains(l, "xtnl-hlp0") {
		left = append(left, "link xtnl-hlp0")
	}
	return left
}

func TestSignalsCleanUp(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			h := startHelper(t, "wait")
			h.cmd.Process.Signal(sig)
			h.endedBy(t, sig)
			if left := h.leftBehind(t); len(left) > 0 {
				t.Fatalf("left behind after %v: %v", sig, left)
			}
		})
	}
	t.Run("SIGPIPE", func(t *testing.T) {
		h := startHelper(t, "write")
		h.pipe.Close() // the reader goes away, as `| head` does
		h.endedBy(t, syscall.SIGPIPE)
		if left := h.leftBehind(t); len(left) > 0 {
			t.Fatalf("left behind after SIGPIPE: %v", left)
		}
	})
}

// A process that ends without cleaning up leaves its things for Sweep.
func TestSweepRemovesWhatDeadProcessesLeft(t *testing.T) {
	h := startHelper(t, "die")
	h.cmd.Wait()
	if h.cmd.ProcessState.ExitCode() != 2 {
		t.Fatalf("helper: %v, want exit status 2 (a panic)", h.cmd.ProcessState)
	}
	left := h.leftBehind(t)
	if len(left) != 5 {
		t.Fatalf("left behind by a panic: %v, want 2 files, 2 mounts and a link", left)
	}
	// The link first: it lives in the helper's namespace, which only this
	// test holds (Sweep looks in its caller's).
	removed, err := sweepLinks(h.ns)
	if err != nil || strings.Join(removed, ",") != "link xtnl-hlp0" {
		t.Fatalf("sweep links: %v %v", removed, err)
	}
	removed, err = Sweep()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range h.names {
		if !strings.Contains(strings.Join(removed, ","), "namespace "+n) {
			t.Errorf("Sweep removed %v, not %s", removed, n)
		}
	}
	if left := h.leftBehind(t); len(left) > 0 {
		t.Fatalf("left behind after Sweep: %v", left)
	}
}

// Sweep leaves a running process's things alone.
func TestSweepSparesLiveProcesses(t *testing.T) {
	ns := New(t)
	removed, err := Sweep()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range removed {
		if strings.Contains(r, ns.Name) {
			t.Fatalf("Sweep removed a live namespace: %v", removed)
		}
	}
	if _, err := os.Stat(ns.Path); err != nil {
		t.Fatal(err)
	}
}
