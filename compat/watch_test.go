package compat

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xtnl/xtnl/netnstest"
)

// watchRun runs a command in the namespace and returns its pid: `ip netns
// exec` execs in place, so it is the committer the kernel names.
func watchRun(t *testing.T, ns *netnstest.NS, name string, args ...string) uint32 {
	t.Helper()
	cmd := ns.Command(name, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
	return uint32(cmd.Process.Pid)
}

// sLines is `CMD -S CHAIN`, the oracle for the lines events carry.
func sLines(t *testing.T, ns *netnstest.NS, cmd, chain string) []string {
	t.Helper()
	return strings.Split(strings.TrimSuffix(ns.MustRun(t, cmd, "-S", chain), "\n"), "\n")
}

// collect reads events until n Committed ones have arrived, then checks
// nothing else follows.
func collect(t *testing.T, ch <-chan RuleEvent, n int) []RuleEvent {
	t.Helper()
	var out []RuleEvent
	timeout := time.After(15 * time.Second)
	for n > 0 {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed; so far %v", out)
			}
			out = append(out, e)
			if e.Kind == Committed {
				n--
			}
		case <-timeout:
			t.Fatalf("timed out; so far %v", out)
		}
	}
	select {
	case e := <-ch:
		t.Fatalf("unexpected event %v after %v", e, out)
	case <-time.After(300 * time.Millisecond):
	}
	return out
}

// describe renders an event with everything a test asserts, errors
// reduced to whether they match ErrNotIptables.
func describeEvent(e RuleEvent) string {
	switch e.Kind {
	case Committed:
		return fmt.Sprintf("committed by %d (%s)", e.PID, e.Comm)
	}
	s := fmt.Sprintf("%s %s %s", e.Kind, e.Table, e.Chain)
	if e.OldChain != "" {
		s += " from " + e.OldChain
	}
	if e.Line != "" {
		s += ": " + e.Line
	}
	if e.Err != nil {
		s += fmt.Sprintf(" (not iptables: %v)", errors.Is(e.Err, ErrNotIptables))
	}
	return s
}

// checkGens checks each event carries the generation of the Committed
// event closing its batch, and generations only grow.
func checkGens(t *testing.T, evs []RuleEvent) {
	t.Helper()
	var prev uint32
	start := 0
	for i, e := range evs {
		if e.Kind != Committed {
			continue
		}
		if e.Gen <= prev {
			t.Fatalf("generation %d after %d", e.Gen, prev)
		}
		for _, o := range evs[start:i] {
			if o.Gen != e.Gen {
				t.Fatalf("%v: generation %d, its batch ends with %d", o, o.Gen, e.Gen)
			}
		}
		prev, start = e.Gen, i+1
	}
}

var handleComment = regexp.MustCompile(`numgen .* # handle (\d+)`)

func TestWatchRules(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ipt4, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	ipt6, err := New(NetNS(ns.Name), IPFamily(ProtocolIPv6))
	if err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	w4, err := ipt4.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w6, err := ipt6.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want4, want6 []string
	committed := func(want *[]string, pid uint32, comm string) {
		*want = append(*want, fmt.Sprintf("committed by %d (%s)", pid, comm))
	}

	pid := watchRun(t, ns, "iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT")
	input := sLines(t, ns, "iptables-nft", "INPUT")
	want4 = append(want4, "chain created filter INPUT: "+input[0], "rule added filter INPUT: "+input[1])
	committed(&want4, pid, "iptables-nft")

	pid = watchRun(t, ns, "iptables-nft", "-N", "FOO")
	want4 = append(want4, "chain created filter FOO: "+sLines(t, ns, "iptables-nft", "FOO")[0])
	committed(&want4, pid, "iptables-nft")

	pid = watchRun(t, ns, "iptables-nft", "-A", "FOO", "-s", "10.0.0.0/8", "-m", "comment", "--comment", "two words", "-j", "DROP")
	fooRule := sLines(t, ns, "iptables-nft", "FOO")[1]
	want4 = append(want4, "rule added filter FOO: "+fooRule)
	committed(&want4, pid, "iptables-nft")

	pid = watchRun(t, ns, "iptables-nft", "-P", "INPUT", "DROP")
	want4 = append(want4, "policy changed filter INPUT: "+sLines(t, ns, "iptables-nft", "INPUT")[0])
	committed(&want4, pid, "iptables-nft")

	pid = watchRun(t, ns, "iptables-nft", "-E", "FOO", "BAR")
	bar := sLines(t, ns, "iptables-nft", "BAR")
	want4 = append(want4, "chain renamed filter BAR from FOO: "+bar[0])
	committed(&want4, pid, "iptables-nft")

	// Not an iptables table: no event.
	watchRun(t, ns, "nft", "add table ip other; add chain ip other c; add rule ip other c accept")

	// The other family: only the IPv6 watch sees it.
	pid = watchRun(t, ns, "ip6tables-nft", "-A", "OUTPUT", "-j", "ACCEPT")
	out6 := sLines(t, ns, "ip6tables-nft", "OUTPUT")
	want6 = append(want6, "chain created filter OUTPUT: "+out6[0], "rule added filter OUTPUT: "+out6[1])
	committed(&want6, pid, "ip6tables-nft")

	// A rule iptables cannot express is reported with its error, never
	// printed.
	pid = watchRun(t, ns, "nft", "add rule ip filter INPUT numgen random mod 2 0 accept")
	want4 = append(want4, "rule added filter INPUT (not iptables: true)")
	committed(&want4, pid, "nft")
	m := handleComment.FindStringSubmatch(ns.MustRun(t, "nft", "-a", "list", "chain", "ip", "filter", "INPUT"))
	if m == nil {
		t.Fatal("nft does not list the numgen rule")
	}
	pid = watchRun(t, ns, "nft", "delete rule ip filter INPUT handle "+m[1])
	want4 = append(want4, "rule deleted filter INPUT (not iptables: true)")
	committed(&want4, pid, "nft")

	pid = watchRun(t, ns, "iptables-nft", "-D", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT")
	want4 = append(want4, "rule deleted filter INPUT: "+input[1])
	committed(&want4, pid, "iptables-nft")

	barRule := sLines(t, ns, "iptables-nft", "BAR")[1]
	pid = watchRun(t, ns, "iptables-nft", "-F", "BAR")
	want4 = append(want4, "rule deleted filter BAR: "+barRule)
	committed(&want4, pid, "iptables-nft")
	pid = watchRun(t, ns, "iptables-nft", "-X", "BAR")
	want4 = append(want4, "chain deleted filter BAR: -N BAR")
	committed(&want4, pid, "iptables-nft")

	for _, c := range []struct {
		name string
		ch   <-chan RuleEvent
		want []string
	}{{"IPv4", w4, want4}, {"IPv6", w6, want6}} {
		evs := collect(t, c.ch, strings.Count(strings.Join(c.want, "\n"), "committed by"))
		got := make([]string, len(evs))
		for i, e := range evs {
			got[i] = describeEvent(e)
			if (e.Kind == RuleAdded || e.Kind == RuleDeleted) && e.Err == nil && (e.Spec == nil || e.Handle == 0) {
				t.Errorf("%s: %v: no Spec or handle", c.name, e)
			}
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Fatalf("%s events:\n%s\nwant:\n%s", c.name, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
		checkGens(t, evs)
	}

	// Cancelling ends both watches and everything they started.
	cancel()
	for _, ch := range []<-chan RuleEvent{w4, w6} {
		for e := range ch {
			t.Errorf("event after cancel: %v", e)
		}
	}
	for i := 0; runtime.NumGoroutine() > base; i++ {
		if i == 200 {
			t.Fatalf("%d goroutines left, %d before the watches", runtime.NumGoroutine(), base)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
