package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Every measured run happens in a child process started as
// `ip netns exec NS bench -child WORK -peer P -size N`, so whatever the peer
// executes (iptables, nft) runs inside the fresh namespace, and every peer
// starts from a fresh process (no warm cache, no garbage left by an earlier
// run). Only the peer's operations are timed: process start-up and the
// peer's constructor are not.

// Workload identifiers.
const (
	workAppend     = "append"     // 1 rule, own commit, into BENCH preloaded with size rules
	workExists     = "exists"     // Exists of the last rule of BENCH (size rules)
	workList       = "list"       // List BENCH (size rules), thrice
	workLoad       = "load"       // table filter with BENCH of size rules, one atomic load, from empty
	workConcurrent = "concurrent" // 100 goroutines append 1 rule each into BENCH (size rules)
)

// A child's report carries, beside its measurements, its peak RSS and its
// children's (getrusage RUSAGE_SELF and RUSAGE_CHILDREN, KiB).
const (
	rssSelf     = "rss.self"
	rssChildren = "rss.children"
)

// Variants of one run's measurements.
const (
	varFirst     = "first"     // the first call on a fresh client
	varAgain     = "again"     // the same call repeated, nothing changed
	varChanged   = "changed"   // after another process changed the chain
	varSingleton = "singleton" // the workload's only measurement
)

// workFunc runs one workload once for a peer in the current namespace and
// returns its timed measurements by variant.
type workFunc func(size int) (map[string]time.Duration, error)

// peer is one way of changing the firewall.
type peer struct {
	name string
	work map[string]workFunc
	// maxSize, when it names a workload, is the largest size the peer
	// runs it at: past it the run would take too long, and the table
	// shows "-" and skipNote (a format taking the time it took).
	maxSize  map[string]int
	skipNote string
	// noSpeedup marks a floor (what a peer costs at least) or a part of
	// a peer's work: the table gives no speed-up of xtnl over it.
	noSpeedup bool
	// ownFloor and versus name the peers the table also gives this
	// peer's ratio to, beside the floor's: its own floor (the same
	// messages, prepared before the clock) and the peer it replaces.
	ownFloor, versus string
}

// skips reports whether the bench leaves the peer out of a workload at
// size.
func (p *peer) skips(work string, size int) bool {
	m, ok := p.maxSize[work]
	return ok && size > m
}

// peers is every peer, in the table's column order.
var peers = []*peer{xtnlPeer, goiptablesPeer, iptablesRestorePeer, iptablesNftPeer, nftPeer, knftablesPeer, xtnlNftPeer, xtnlNftApplyPeer, nftFloorPeer, floorPeer}

func peerByName(name string) *peer {
	for _, p := range peers {
		if p.name == name {
			return p
		}
	}
	return nil
}

// timed runs fn after a garbage collection (so the garbage of the set-up
// is not collected on the clock) and returns how long it took.
func timed(fn func() error) (time.Duration, error) {
	runtime.GC()
	start := time.Now()
	err := fn()
	return time.Since(start), err
}

// appendWarmups is how many appends an append run makes before it starts
// timing: a long-running agent's process, connection and caches are warm,
// and so is the kernel's side, which is not just after the chain was
// preloaded (the first few commits into it cost every peer more: 90, 60,
// 45, 30 µs for the first four appends into a chain of 100, say).
const appendWarmups = 5

// appendTimes is how many timed appends one append run makes, each a rule
// of its own in a commit of its own after a GC; the run reports their
// median, so that one stray interruption of a ~50 µs operation in a fresh
// process does not make the run.
const appendTimes = 9

// timedAppends makes appendWarmups untimed appends (rules warmRule, ...),
// then appendTimes timed ones (rules timedRule, ...), and returns their
// median.
// prepare returns the append of a rule, its input (arguments, script)
// built before the clock starts, as the floor's batches are.
func timedAppends(prepare func(rule int) func() error) (map[string]time.Duration, error) {
	for k := range appendWarmups {
		if err := prepare(warmRule + k)(); err != nil {
			return nil, fmt.Errorf("warm-up append: %w", err)
		}
	}
	ds := make([]time.Duration, appendTimes)
	for k := range ds {
		var err error
		if ds[k], err = timed(prepare(timedRule + k)); err != nil {
			return nil, fmt.Errorf("append %d: %w", k, err)
		}
	}
	slices.Sort(ds)
	return one(ds[len(ds)/2], nil)
}

// appendRules are the rules of an append run: the warm-ups', then the
// timed appends'.
func appendRules() []int {
	var out []int
	for k := range appendWarmups {
		out = append(out, warmRule+k)
	}
	for k := range appendTimes {
		out = append(out, timedRule+k)
	}
	return out
}

// one wraps a single measurement.
func one(d time.Duration, err error) (map[string]time.Duration, error) {
	if err != nil {
		return nil, err
	}
	return map[string]time.Duration{varSingleton: d}, nil
}

// listSequence times list three times: first call, repeated call, and a
// call after another process (iptables-nft) appended a rule; want checks
// each result's size.
func listSequence(size int, list func() (int, error)) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	step := func(v string, want int) error {
		var got int
		d, err := timed(func() error {
			var err error
			got, err = list()
			return err
		})
		if err != nil {
			return fmt.Errorf("list (%s): %w", v, err)
		}
		if want >= 0 && got != want {
			return fmt.Errorf("list (%s): %d rules, want %d", v, got, want)
		}
		out[v] = d
		return nil
	}
	if err := step(varFirst, size); err != nil {
		return nil, err
	}
	if err := step(varAgain, size); err != nil {
		return nil, err
	}
	if err := otherProcessAppend(); err != nil {
		return nil, err
	}
	if err := step(varChanged, size+1); err != nil {
		return nil, err
	}
	return out, nil
}

// otherProcessAppend changes BENCH from another process, the way a second
// agent on the host would.
func otherProcessAppend() error {
	args := append([]string{"-w", "-t", benchTable, "-A", benchChain}, ruleArgs(otherProcRule)...)
	if out, err := exec.Command("iptables-nft", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("iptables-nft -A (the other process): %w: %s", err, out)
	}
	return nil
}

// wantRules is how many rules BENCH must hold after a run.
func wantRules(work string, size int) int {
	switch work {
	case workAppend:
		return size + appendWarmups + appendTimes
	case workList:
		return size + 1 // the other process's append
	case workConcurrent:
		return size + concurrentN
	}
	return size
}

// vmHWM is this process's peak RSS in KiB (/proc/self/status).
func vmHWM() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

// childMain runs one measured run and prints its measurements (seconds,
// by variant) as JSON on standard output.
func childMain(work, peerName string, size int) error {
	if work == workKPPreload {
		c, err := dialRaw()
		if err != nil {
			return err
		}
		defer c.close()
		return kpPreload(c, size)
	}
	p := peerByName(peerName)
	if p == nil {
		return fmt.Errorf("unknown peer %q", peerName)
	}
	fn := p.work[work]
	if fn == nil {
		return fmt.Errorf("peer %s has no workload %q", peerName, work)
	}
	res, err := fn(size)
	if err != nil {
		return fmt.Errorf("%s %s %d: %w", peerName, work, size, err)
	}
	// Check the outcome from the kernel itself, whatever the peer said.
	c, err := dialRaw()
	if err != nil {
		return err
	}
	defer c.close()
	if isKPWork(work) {
		if err := kpCheck(c, work, size); err != nil {
			return fmt.Errorf("check %s %s %d: %w", peerName, work, size, err)
		}
	} else {
		got, err := c.dumpRules(benchTable, benchChain)
		if err != nil {
			return fmt.Errorf("check %s %s %d: %w", peerName, work, size, err)
		}
		if want := wantRules(work, size); got != want {
			return fmt.Errorf("check %s %s %d: chain %s holds %d rules, want %d", peerName, work, size, benchChain, got, want)
		}
	}
	secs := map[string]float64{}
	for v, d := range res {
		secs[v] = d.Seconds()
	}
	// Peak RSS (KiB) of this process and of the largest program it ran
	// and waited for. Not getrusage(RUSAGE_SELF): Linux starts an exec'd
	// process's ru_maxrss at the peak of the memory it was exec'd from,
	// which for a process Go starts (vfork, CLONE_VM) is its parent's
	// (here `ip netns exec`, started by the bench), so it is at least the
	// bench's own peak. VmHWM is this image's own.
	if kib, err := vmHWM(); err == nil {
		secs[rssSelf] = float64(kib)
	}
	// The programs this process ran: likewise at least this process's
	// peak when it started them (kpRSSNote).
	var children unix.Rusage
	if unix.Getrusage(unix.RUSAGE_CHILDREN, &children) == nil {
		secs[rssChildren] = float64(children.Maxrss)
	}
	return json.NewEncoder(os.Stdout).Encode(secs)
}
