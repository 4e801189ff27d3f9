package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xtnl/xtnl/compat"
	"github.com/xtnl/xtnl/netnstest"
)

// TestMain lets the test binary serve as the bench's child process, so the
// tests drive the very code path `go run .` uses.
func TestMain(m *testing.M) {
	peers = append(peers, noopPeer)
	if len(os.Args) == 7 && os.Args[1] == "-child" && os.Args[3] == "-peer" && os.Args[5] == "-size" {
		size, err := strconv.Atoi(os.Args[6])
		if err == nil {
			err = childMain(os.Args[2], os.Args[4], size)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// iptablesLine is rule i as `iptables-nft -S` prints it: written
// independently of ruleArgs, so that a wrong rule shape shows.
func iptablesLine(i int) string {
	return fmt.Sprintf("-A BENCH -s 10.%d.%d.%d/32 -p tcp -m tcp --dport %d -j ACCEPT", i>>16&255, i>>8&255, i&255, 1024+i%60000)
}

// benchRules reads BENCH back with the oracle, iptables-nft.
func benchRules(ns *netnstest.NS) ([]string, error) {
	out, err := ns.Run("iptables-nft", "-S", "BENCH")
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimSpace(out), "\n"), nil
}

func self(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("bench runs need root (network namespaces)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// TestPeersLoadTheSameRules: every peer's bulk load leaves the very same
// rules, as iptables-nft reads them back, so their times compare the same
// work.
func TestPeersLoadTheSameRules(t *testing.T) {
	exe := self(t)
	const n = 3
	var want []string
	want = append(want, "-N BENCH")
	for i := range n {
		want = append(want, iptablesLine(i))
	}
	for _, p := range peers {
		if p.work[workLoad] == nil {
			continue
		}
		t.Run(p.name, func(t *testing.T) {
			var got []string
			res, _, err := runOnce(exe, job{work: workLoad}, n, p, func(ns *netnstest.NS) error {
				var err error
				got, err = benchRules(ns)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if res[varSingleton] <= 0 {
				t.Errorf("measurement %v, want one positive time", res)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("BENCH after %s load:\n%s\nwant:\n%s", p.name, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestPeersAppendTheSameRule: every peer's append adds the warm-up rules
// and the timed rules, in that order, at the end of the preloaded chain.
func TestPeersAppendTheSameRule(t *testing.T) {
	exe := self(t)
	const n = 2
	want := []string{"-N BENCH", iptablesLine(0), iptablesLine(1)}
	for _, i := range appendRules() {
		want = append(want, iptablesLine(i))
	}
	for _, p := range peers {
		if p.work[workAppend] == nil || p == noopPeer {
			continue
		}
		t.Run(p.name, func(t *testing.T) {
			var got []string
			_, _, err := runOnce(exe, job{work: workAppend, preload: true}, n, p, func(ns *netnstest.NS) error {
				var err error
				got, err = benchRules(ns)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("BENCH after %s append:\n%s\nwant:\n%s", p.name, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// noopPeer claims to append but does nothing: the outcome check must
// refuse its time.
var noopPeer = &peer{name: "noop", work: map[string]workFunc{
	workAppend: func(int) (map[string]time.Duration, error) { return one(time.Microsecond, nil) },
}}

// TestChildRefusesWrongOutcome: a run whose chain does not hold what the
// workload must leave fails the bench instead of posting a time.
func TestChildRefusesWrongOutcome(t *testing.T) {
	exe := self(t)
	_, _, err := runOnce(exe, job{work: workAppend, preload: true}, 5, noopPeer, nil)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("holds 5 rules, want %d", 5+appendWarmups+appendTimes)) {
		t.Fatalf("a peer that did nothing: error %v, want the outcome check's refusal", err)
	}
	// And a peer whose writes the kernel refuses (no BENCH chain) fails.
	_, _, err = runOnce(exe, job{work: workAppend}, 5, floorPeer, nil)
	if err == nil {
		t.Fatal("an append into a missing chain was reported as a success")
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// BenchmarkAppendSteady is the steady state of a long-running agent,
// next to the harness's single appends in fresh processes after a GC:
// in one warm process, xtnl's Append of a rule against the floor's commit
// of the same rule pre-encoded, into a chain kept between 100 and 200
// rules. Compare the two ns/op (same run, same chain sizes).
func BenchmarkAppendSteady(b *testing.B) {
	for _, peerName := range []string{"xtnl", "floor"} {
		b.Run(peerName, func(b *testing.B) {
			ipt, ns := appendChain(b)
			var floor *rawConn
			if peerName == "floor" {
				floor = dialFloor(b, ns)
			}
			var in appendInputs
			for i := 0; b.Loop(); i++ {
				if i%100 == 0 {
					b.StopTimer()
					in.refill(b, i, floor, ipt)
					b.StartTimer()
				}
				var err error
				if floor != nil {
					err = floor.commit(in.batches[i%100])
				} else {
					err = ipt.Append(benchTable, benchChain, in.args[i%100]...)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppendAfterGC is BenchmarkAppendSteady with a collection
// forced, off the clock, before every append, as the harness does: what
// the collection evicts from the CPU's caches is then paid by the append,
// by xtnl's parsing and encoding as by the kernel. The two peers take
// turns, an append each, into chains of their own of the same size, and
// the benchmark reports the median of each and their ratio.
func BenchmarkAppendAfterGC(b *testing.B) {
	ipt, _ := appendChain(b)
	floorIPT, floorNS := appendChain(b)
	floor := dialFloor(b, floorNS)
	var times [2][]float64
	var in appendInputs
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%100 == 0 {
			in.refill(b, i, floor, ipt, floorIPT)
		}
		for k := range 2 {
			runtime.GC()
			start := time.Now()
			var err error
			if k == 0 {
				err = ipt.Append(benchTable, benchChain, in.args[i%100]...)
			} else {
				err = floor.commit(in.batches[i%100])
			}
			times[k] = append(times[k], time.Since(start).Seconds())
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	x, f := median(times[0]), median(times[1])
	b.ReportMetric(x*1e9, "xtnl-ns")
	b.ReportMetric(f*1e9, "floor-ns")
	b.ReportMetric(x/f, "xtnl/floor")
}

// appendChain makes a namespace whose BENCH holds 100 rules.
func appendChain(b *testing.B) (*compat.IPTables, *netnstest.NS) {
	if os.Geteuid() != 0 {
		b.Skip("needs root (network namespaces)")
	}
	ns := netnstest.New(b)
	if _, err := ns.RunInput(saveText(100), "iptables-nft-restore"); err != nil {
		b.Fatal(err)
	}
	ipt, err := compat.New(compat.NetNS(ns.Name))
	if err != nil {
		b.Fatal(err)
	}
	return ipt, ns
}

// dialFloor opens the floor's bare socket in ns.
func dialFloor(b *testing.B, ns *netnstest.NS) *rawConn {
	f, err := os.Open("/run/netns/" + ns.Name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	floor, err := dialRawIn(int(f.Fd()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(floor.close)
	return floor
}

// appendInputs are the next 100 rules to append, as arguments and as the
// floor's pre-encoded batches.
type appendInputs struct {
	args    [][]string
	batches []*batch
}

// refill cuts the chains back to 100 rules and makes the inputs of the
// appends from the i-th on (batches only with a floor).
func (in *appendInputs) refill(b *testing.B, i int, floor *rawConn, chains ...*compat.IPTables) {
	base := saveText(100)
	for _, ipt := range chains {
		if err := ipt.Restore(bytes.NewReader(base)); err != nil {
			b.Fatal(err)
		}
	}
	in.args, in.batches = in.args[:0], in.batches[:0]
	for k := range 100 {
		rule := 1_000_000 + i + k
		in.args = append(in.args, ruleArgs(rule))
		if floor != nil {
			bt, err := floorRules(floor, rule, 1)
			if err != nil {
				b.Fatal(err)
			}
			in.batches = append(in.batches, bt)
		}
	}
}
