package xtnl

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/netnstest"
)

// runPID runs a command in the namespace and returns its process id. `ip
// netns exec` execs the command in place, so the id is the one the kernel
// reports as the committer.
func runPID(t *testing.T, ns *netnstest.NS, stdin string, name string, args ...string) uint32 {
	t.Helper()
	cmd := ns.Command(name, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
	return uint32(cmd.Process.Pid)
}

// nextEvents reads n events, failing the test if they do not come.
func nextEvents(t *testing.T, w *Watcher, n int) []Event {
	t.Helper()
	var out []Event
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				t.Fatalf("events closed after %d of %d: %v (got %v)", len(out), n, w.Err(), out)
			}
			out = append(out, ev)
		case <-timeout:
			t.Fatalf("timed out after %d of %d events: %v", len(out), n, out)
		}
	}
	return out
}

// noMoreEvents checks that nothing else arrives for a while.
func noMoreEvents(t *testing.T, w *Watcher) {
	t.Helper()
	select {
	case ev := <-w.Events():
		t.Fatalf("unexpected event %v", ev)
	case <-time.After(300 * time.Millisecond):
	}
}

func eventLines(evs []Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		if ev.Type == EventNewGen {
			out[i] = "new generation"
		} else {
			out[i] = ev.String()
		}
		if ev.Err != nil {
			out[i] += " ERR " + ev.Err.Error()
		}
	}
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\ngot:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// checkGen checks a batch: every event stamped with the generation its
// closing EventNewGen announces, committed by pid running comm.
func checkGen(t *testing.T, batch []Event, gen, pid uint32, comm string) {
	t.Helper()
	last := batch[len(batch)-1]
	if last.Type != EventNewGen || last.Gen != gen || last.PID != pid || last.Comm != comm {
		t.Fatalf("batch end = %+v, want generation %d by pid %d (%s)", last, gen, pid, comm)
	}
	for _, ev := range batch {
		if ev.Gen != gen {
			t.Fatalf("%v: generation %d, want %d", ev, ev.Gen, gen)
		}
	}
}

var handleRe = regexp.MustCompile(`# handle (\d+)`)

// nftHandles returns the handles `nft -a` shows after each line matching
// prefix, in order: the oracle for rule handles.
func nftHandles(t *testing.T, ns *netnstest.NS, args ...string) []uint64 {
	t.Helper()
	var out []uint64
	for _, line := range strings.Split(ns.MustRun(t, "nft", append([]string{"-a"}, args...)...), "\n") {
		if m := handleRe.FindStringSubmatch(line); m != nil && strings.HasPrefix(line, "\t\t") {
			h, _ := strconv.ParseUint(m[1], 10, 64)
			out = append(out, h)
		}
	}
	return out
}

// debugExprs returns the expression lines nft --debug=netlink prints for
// the chain's rules, one string per rule.
func debugExprs(t *testing.T, ns *netnstest.NS, fam, table, chain string) []string {
	t.Helper()
	var rules []string
	cur := -1
	for _, line := range strings.Split(ns.MustRun(t, "nft", "--debug=netlink", "list", "chain", fam, table, chain), "\n") {
		switch {
		case strings.HasPrefix(line, fam+" "+table+" "+chain+" "):
			rules = append(rules, "")
			cur++
		case strings.HasPrefix(line, "  [ ") && cur >= 0:
			if rules[cur] != "" {
				rules[cur] += "\n"
			}
			rules[cur] += line
		}
	}
	return rules
}

func TestWatchNft(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	gen0, err := c.Generation()
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.Watch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	// One commit: table, base chain, two rules, a set with two elements.
	pid := runPID(t, ns, `add table ip t
add chain ip t c { type filter hook input priority 0; policy accept; }
add rule ip t c tcp dport 22 counter accept
add rule ip t c ip saddr 10.0.0.0/8 drop
add set ip t s { type ipv4_addr; }
add element ip t s { 192.0.2.1, 198.51.100.7 }
`, "nft", "-f", "-")
	batch := nextEvents(t, w, 7)
	handles := nftHandles(t, ns, "list", "chain", "ip", "t", "c")
	if len(handles) != 2 {
		t.Fatalf("nft shows %d rules", len(handles))
	}
	sameLines(t, "first commit", eventLines(batch), []string{
		"new table ip t",
		"new chain ip t c",
		fmt.Sprintf("new rule ip t c handle %d", handles[0]),
		fmt.Sprintf("new rule ip t c handle %d", handles[1]),
		"new set ip t s",
		"new element ip t s (1)",
		"new element ip t s (1)",
	})
	gen1 := gen0 + 1
	batch = append(batch, nextEvents(t, w, 1)...)
	checkGen(t, batch, gen1, pid, "nft")
	// The objects are decoded in full: the rules' expressions print as
	// nft --debug=netlink prints them.
	wantExprs := debugExprs(t, ns, "ip", "t", "c")
	for i, ev := range batch[2:4] {
		if got := expr.FormatList(byte(FamilyIPv4), ev.Rule.Exprs); got != wantExprs[i] {
			t.Errorf("rule %d expressions:\n%s\nnft --debug=netlink:\n%s", i, got, wantExprs[i])
		}
	}
	if ch := batch[1].Chain; ch.Base == nil || ch.Base.Hook != HookInput || ch.Base.Type != ChainTypeFilter ||
		ch.Base.Policy == nil || *ch.Base.Policy != PolicyAccept {
		t.Errorf("chain = %+v", ch)
	}
	if s := batch[4].Set; s.KeyType.Name != "ipv4_addr" || s.KeyType.Len != 4 || s.Family != FamilyIPv4 {
		t.Errorf("set = %+v", s)
	}
	for i, want := range []string{"192.0.2.1", "198.51.100.7"} {
		el := batch[5+i].Elems
		if el.Table != "t" || el.Set != "s" || len(el.Elements) != 1 ||
			netip.AddrFrom4([4]byte(el.Elements[0].Key)).String() != want {
			t.Errorf("element %d = %+v, want %s", i, el, want)
		}
	}

	// A policy change is a NEWCHAIN of the same chain.
	pid = runPID(t, ns, "", "nft", "add chain ip t c { policy drop; }")
	batch = nextEvents(t, w, 2)
	sameLines(t, "policy commit", eventLines(batch), []string{"new chain ip t c", "new generation"})
	checkGen(t, batch, gen1+1, pid, "nft")
	if p := batch[0].Chain.Base.Policy; p == nil || *p != PolicyDrop {
		t.Errorf("policy = %v, want drop", p)
	}

	// Deleting the table reports everything in it going, table last.
	pid = runPID(t, ns, "", "nft", "delete table ip t")
	batch = nextEvents(t, w, 6)
	sameLines(t, "delete commit", eventLines(batch), []string{
		fmt.Sprintf("delete rule ip t c handle %d", handles[0]),
		fmt.Sprintf("delete rule ip t c handle %d", handles[1]),
		"delete set ip t s",
		"delete chain ip t c",
		"delete table ip t",
		"new generation",
	})
	checkGen(t, batch, gen1+2, pid, "nft")
	noMoreEvents(t, w)
	if g, err := c.Generation(); err != nil || g != gen1+2 {
		t.Fatalf("generation = %d, %v; the last event announced %d", g, err, gen1+2)
	}
}

func TestWatchIptablesNft(t *testing.T) {
	needTool(t, "iptables-nft")
	c, ns := newTestConn(t)
	w, err := c.Watch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	pid := runPID(t, ns, "", "iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT")
	batch := nextEvents(t, w, 4)
	handles := nftHandles(t, ns, "list", "chain", "ip", "filter", "INPUT")
	if len(handles) != 1 {
		t.Fatalf("nft shows %d rules", len(handles))
	}
	sameLines(t, "iptables-nft -A", eventLines(batch), []string{
		"new table ip filter",
		"new chain ip filter INPUT",
		fmt.Sprintf("new rule ip filter INPUT handle %d", handles[0]),
		"new generation",
	})
	checkGen(t, batch, batch[3].Gen, pid, "iptables-nft")
	if want := debugExprs(t, ns, "ip", "filter", "INPUT")[0]; expr.FormatList(byte(FamilyIPv4), batch[2].Rule.Exprs) != want {
		t.Errorf("rule expressions:\n%s\nnft:\n%s", expr.FormatList(byte(FamilyIPv4), batch[2].Rule.Exprs), want)
	}
	if batch[3].PID == 0 {
		t.Fatal("no committer pid")
	}
	noMoreEvents(t, w)
}

// A consumer that falls behind gets an EventOverrun, never silence, and
// the watch goes on.
func TestWatchOverrun(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	w, err := c.Watch(context.Background(), WatchBuffer(4096))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var script strings.Builder
	script.WriteString("add table ip t\nadd chain ip t c\n")
	for i := range 3000 {
		fmt.Fprintf(&script, "add rule ip t c tcp dport %d accept\n", i+1)
	}
	runPID(t, ns, script.String(), "nft", "-f", "-")
	deadline := time.After(10 * time.Second)
	for overrun := false; !overrun; {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				t.Fatalf("watch ended: %v", w.Err())
			}
			overrun = ev.Type == EventOverrun
			if ev.Type == EventNewGen {
				t.Fatal("3000 rules went through a 4 KiB buffer without an overrun being reported")
			}
		case <-deadline:
			t.Fatal("no overrun reported")
		}
	}
	// Drain what is left of the big commit, then the watch goes on.
	for drained := false; !drained; {
		select {
		case <-w.Events():
		case <-time.After(300 * time.Millisecond):
			drained = true
		}
	}
	pid := runPID(t, ns, "", "nft", "add table ip after")
	batch := nextEvents(t, w, 2)
	sameLines(t, "after the overrun", eventLines(batch), []string{"new table ip after", "new generation"})
	if batch[1].PID != pid || batch[0].Gen != batch[1].Gen {
		t.Fatalf("after the overrun: %+v", batch)
	}
}

// waitGoroutines waits for the goroutine count to fall back to n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if runtime.NumGoroutine() <= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
}

func TestWatchStops(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	base := runtime.NumGoroutine()

	// Cancelling ctx ends the watch, even with the goroutine blocked
	// delivering to a consumer that stopped reading.
	ctx, cancel := context.WithCancel(context.Background())
	w, err := c.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	script.WriteString("add table ip t\nadd chain ip t c\n")
	for i := range 200 {
		fmt.Fprintf(&script, "add rule ip t c tcp dport %d accept\n", i+1)
	}
	runPID(t, ns, script.String(), "nft", "-f", "-")
	time.Sleep(100 * time.Millisecond) // let it block on the full channel
	cancel()
	for range w.Events() {
	}
	if !errors.Is(w.Err(), context.Canceled) {
		t.Fatalf("Err after cancel = %v", w.Err())
	}
	w.Close() // after the end: harmless
	waitGoroutines(t, base)

	// Close ends it too, with no error; the caller's ctx lives on.
	w, err = c.Watch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-w.Events(); ok {
		t.Fatal("events still open after Close")
	}
	if w.Err() != nil {
		t.Fatalf("Err after Close = %v", w.Err())
	}
	waitGoroutines(t, base)

	// The watch has its own socket: it outlives the Conn it came from.
	w, err = c.Watch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c.Close()
	runPID(t, ns, "", "nft", "add table ip later")
	if got := eventLines(nextEvents(t, w, 2)); got[0] != "new table ip later" {
		t.Fatalf("after Conn.Close: %v", got)
	}
	if _, err := c.Watch(context.Background()); err == nil {
		t.Fatal("Watch on a closed Conn succeeded")
	}
}

func TestExtendGen(t *testing.T) {
	for _, tc := range []struct {
		base  uint32
		stamp uint16
		want  uint32
	}{
		{5, 6, 6},
		{5, 5, 5},
		{5, 4, 4},
		{0xffff, 0x0000, 0x10000},
		{0x1fffe, 0x0001, 0x20001},
		{0x20001, 0xffff, 0x1ffff},
		{0xffffffff, 0x0000, 0},
	} {
		if got := extendGen(tc.base, tc.stamp); got != tc.want {
			t.Errorf("extendGen(%#x, %#x) = %#x, want %#x", tc.base, tc.stamp, got, tc.want)
		}
	}
}

// Malformed notifications become events with Err, never a panic.
func TestWatchDecodeMalformed(t *testing.T) {
	var e nfnl.Encoder
	s := e.Begin(nftType(6 /* NEWRULE */), 0, 1, byte(FamilyIPv4), 7)
	e.String(1, "t")
	e.String(2, "c")
	e.End(s)
	full := e.B[nlmsgHdrLen:]
	r := &watchReader{gen: 5}
	for _, typ := range []uint16{0, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 18} {
		for n := 0; n <= len(full); n++ {
			data := append([]byte(nil), full[:n]...)
			if n > nfgenmsgLen {
				data = append(data[:nfgenmsgLen], 0xff, 0x7f) // an attribute longer than what is left
			}
			ev, ok := r.decode(message{Type: nftType(typ), Data: data})
			if !ok {
				t.Fatalf("type %d: not decoded", typ)
			}
			wantErr := n < nfgenmsgLen || (n > nfgenmsgLen && typ != 18)
			if wantErr && ev.Err == nil {
				t.Errorf("type %d, %d bytes: no error", typ, n)
			}
		}
	}
	ev, _ := r.decode(message{Type: nftType(6), Data: full})
	if ev.Err != nil || ev.Rule.Table != "t" || ev.Rule.Chain != "c" || ev.Gen != 7 {
		t.Fatalf("well-formed rule: %+v", ev)
	}
	if _, ok := r.decode(message{Type: 2 /* NLMSG_ERROR */}); ok {
		t.Fatal("a non nf_tables message became an event")
	}
}
