package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xtnl/xtnl/netnstest"
)

// The demo is the seed's experiment, run by xtnl; the same experiment
// with its iptables commands run by iptables-nft must print the very same
// transcript: the same outcomes, the same counters, the same listings.
func TestDemoAgainstIptablesNft(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the demo needs root (network namespaces)")
	}
	var ours, ourErr bytes.Buffer
	if status := runDemo(&ours, &ourErr); status != 0 {
		t.Fatalf("xtnl demo: exit status %d\n%s\n%s", status, ours.String(), ourErr.String())
	}
	transcript := ours.String()
	// What the experiment is about, in order.
	steps := []string{
		"host# ping -c 3 -i 0.05 -W 0.5 172.17.0.2\n  3 sent, 3 replies: reached\n",
		"host# xtnl -I INPUT -s 172.17.0.2 -j DROP\n",
		"  3 sent, 0 replies: timed out\n",
		"\n    3   252 DROP       0    --  *      *       172.17.0.2           0.0.0.0/0",
		"  3 sent, 0 replies: timed out\n",
		"\n    6   504 DROP       0    --  *      *       172.17.0.2           0.0.0.0/0",
		"host# xtnl -D INPUT 1\nhost# ping -c 3 -i 0.05 -W 0.5 172.17.0.2\n  3 sent, 3 replies: reached\n",
		"host# xtnl -N MY_WEB\n",
		"container# connect to 172.17.0.1:80 (tcp)\n  refused tcp-reset\n",
		"host# xtnl -I MY_WEB -s 172.17.0.2 -j ACCEPT\ncontainer# connect to 172.17.0.1:80 (tcp)\n  reached\n  the web server accepted it from 172.17.0.2\n",
		"-A INPUT -p tcp -m tcp --dport 80 -j MY_WEB\n-A MY_WEB -s 172.17.0.2/32 -j ACCEPT\n-A MY_WEB -p tcp -j REJECT --reject-with tcp-reset\n",
		"nothing is left under /run/netns or in the mount table.\n",
	}
	rest := transcript
	for _, s := range steps {
		i := strings.Index(rest, s)
		if i < 0 {
			t.Fatalf("the demo's transcript lacks, at this point,\n%s\ntranscript:\n%s", s, transcript)
		}
		rest = rest[i+len(s):]
	}
	checkNothingLeft(t, demoNames(t, transcript))

	if _, err := exec.LookPath("iptables-nft"); err != nil {
		t.Skipf("comparing with iptables-nft needs it (apt-get install -y iptables): %v", err)
	}
	var theirs, theirErr bytes.Buffer
	oracle := func(ns string, args []string, stdout, stderr io.Writer) int {
		cmd := exec.Command("ip", append([]string{"netns", "exec", ns, "iptables-nft"}, args...)...)
		cmd.Stdout, cmd.Stderr = stdout, stderr
		if err := cmd.Run(); err != nil {
			return refStatus(err)
		}
		return 0
	}
	if status := (&demo{out: &theirs, errw: &theirErr, iptables: oracle}).main(); status != 0 {
		t.Fatalf("demo with iptables-nft: exit status %d\n%s\n%s", status, theirs.String(), theirErr.String())
	}
	if theirs.String() != transcript {
		t.Fatalf("the demo with iptables-nft printed\n%s\nwith xtnl\n%s", theirs.String(), transcript)
	}
}

var demoNamePattern = regexp.MustCompile(`xtnl-demo-[a-z]+-[0-9]+-[0-9]+`)

// demoNames are the namespace names a demo's transcript gives.
func demoNames(t *testing.T, transcript string) []string {
	t.Helper()
	names := demoNamePattern.FindAllString(transcript, 2)
	if len(names) != 2 {
		t.Fatalf("no namespace names in the demo's output:\n%s", transcript)
	}
	return names
}

// leftBehind lists the namespaces of names still under /run/netns or in
// the mount table.
func leftBehind(t *testing.T, names []string) []string {
	t.Helper()
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, n := range names {
		if _, err := os.Stat("/run/netns/" + n); err == nil {
			left = append(left, "file /run/netns/"+n)
		}
		if bytes.Contains(mounts, []byte(n)) {
			left = append(left, "mount "+n)
		}
	}
	return left
}

func checkNothingLeft(t *testing.T, names []string) {
	t.Helper()
	if left := leftBehind(t, names); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

const demoHelperEnv = "XTNL_DEMO_HELPER"

// TestDemoHelper runs the demo in a helper process (this test binary run
// again); it does nothing in a normal run. In mode "pipe" it writes to
// standard output, which the test cuts short as `| head` does; in mode
// "stall" its output stops after the first line (the demo stays in the
// middle of its work, its namespaces made) until a signal ends it.
func TestDemoHelper(t *testing.T) {
	switch os.Getenv(demoHelperEnv) {
	case "pipe":
		os.Exit(runDemo(os.Stdout, os.Stderr))
	case "stall":
		os.Exit(runDemo(&stallWriter{w: os.Stdout}, os.Stderr))
	}
}

// stallWriter passes writes through until the first newline, then blocks
// for good.
type stallWriter struct {
	w    io.Writer
	done bool
}

func (s *stallWriter) Write(b []byte) (int, error) {
	if s.done {
		select {}
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		s.done = true
		return s.w.Write(b[:i+1])
	}
	return s.w.Write(b)
}

// The demo killed by a signal leaves nothing behind: SIGPIPE (its output
// cut short, as by `xtnl demo | head`), SIGINT (Ctrl-C) and SIGTERM. What
// SIGKILL leaves, no handler could remove: netnstest.Sweep removes it,
// as the next demo's first namespace does.
func TestDemoSignalsLeaveNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the demo needs root (network namespaces)")
	}
	for _, c := range []struct {
		mode string
		sig  syscall.Signal
	}{{"pipe", syscall.SIGPIPE}, {"stall", syscall.SIGINT}, {"stall", syscall.SIGTERM}, {"stall", syscall.SIGKILL}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestDemoHelper$")
			cmd.Env = append(os.Environ(), demoHelperEnv+"="+c.mode)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = w, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			defer cmd.Process.Kill()
			// The first three lines name the namespaces; by the first, both
			// are made (in mode stall, the helper stops at the first).
			out := bufio.NewReader(r)
			first, err := out.ReadString('\n')
			if err != nil {
				t.Fatalf("helper: %v\n%s", err, stderr.String())
			}
			var names []string
			pid := fmt.Sprint(cmd.Process.Pid)
			entries, _ := os.ReadDir("/run/netns")
			for _, e := range entries {
				if demoNamePattern.MatchString(e.Name()) && strings.Contains(e.Name(), "-"+pid+"-") {
					names = append(names, e.Name())
				}
			}
			if len(names) != 2 {
				t.Fatalf("after %q, the helper's namespaces are %v, want 2", first, names)
			}
			if c.sig == syscall.SIGPIPE {
				r.Close() // the reader goes away; the demo's next write breaks
			} else {
				cmd.Process.Signal(c.sig)
				defer r.Close()
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("helper still running 10s after %v", c.sig)
			}
			ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ws.Signaled() || ws.Signal() != c.sig {
				t.Fatalf("helper ended with %v, want killed by %v\n%s", cmd.ProcessState, c.sig, stderr.String())
			}
			if c.sig != syscall.SIGKILL {
				checkNothingLeft(t, names)
				return
			}
			if left := leftBehind(t, names); len(left) != 4 {
				t.Fatalf("after SIGKILL: %v left, want both namespaces' files and mounts", left)
			}
			removed, err := netnstest.Sweep()
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range names {
				if !strings.Contains(strings.Join(removed, "\n"), "namespace "+n) {
					t.Errorf("Sweep removed %v, not %s", removed, n)
				}
			}
			checkNothingLeft(t, names)
		})
	}
}

// refStatus is the exit status of a command that ran, -1 if it did not.
func refStatus(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
