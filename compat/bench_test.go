package compat

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/netnstest"
)

// Hot-path benchmarks of the go-iptables drop-in, each in a throwaway
// namespace, on chain BENCH preloaded with n rules of the form
// "-s 10.a.b.c/32 -p tcp --dport P -j ACCEPT".

func benchIPT(b *testing.B, n int) (*IPTables, *netnstest.NS) {
	b.Helper()
	ns := netnstest.New(b)
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		b.Fatal(err)
	}
	if n > 0 {
		if err := ipt.Restore(strings.NewReader(benchDump(n))); err != nil {
			b.Fatal(err)
		}
	} else if err := ipt.NewChain("filter", "BENCH"); err != nil {
		b.Fatal(err)
	}
	return ipt, ns
}

func benchSpec(i int) []string {
	return []string{"-s", fmt.Sprintf("10.%d.%d.%d", byte(i>>16), byte(i>>8), byte(i)), "-p", "tcp", "--dport", fmt.Sprint(1024 + i%60000), "-j", "ACCEPT"}
}

// benchDump is iptables-save text of chain BENCH with n rules, each
// canonical (iptables-nft-save prints it back as it is).
func benchDump(n int) string {
	return filterText("BENCH", n, func(i int) string {
		return fmt.Sprintf("-s 10.%d.%d.%d/32 -p tcp -m tcp --dport %d -j ACCEPT", byte(i>>16), byte(i>>8), byte(i), 1024+i%60000)
	})
}

// filterText is iptables-save text for table filter: INPUT, chain, and n
// rules appended to chain, rule i being "-A chain "+rule(i).
func filterText(chain string, n int, rule func(i int) string) string {
	var sb strings.Builder
	sb.WriteString("*filter\n:INPUT ACCEPT [0:0]\n:" + chain + " - [0:0]\n")
	for i := range n {
		sb.WriteString("-A " + chain + " " + rule(i) + "\n")
	}
	sb.WriteString("COMMIT\n")
	return sb.String()
}

func benchAppend(b *testing.B, n int) {
	ipt, _ := benchIPT(b, n)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := ipt.Append("filter", "BENCH", benchSpec(1_000_000+i)...); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppend100(b *testing.B) { benchAppend(b, 100) }
func BenchmarkAppend1k(b *testing.B)  { benchAppend(b, 1_000) }
func BenchmarkAppend10k(b *testing.B) { benchAppend(b, 10_000) }

func BenchmarkExists10k(b *testing.B) {
	ipt, _ := benchIPT(b, 10_000)
	spec := benchSpec(5_000)
	if _, err := ipt.Exists("filter", "BENCH", spec...); err != nil { // warm the cache
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		ok, err := ipt.Exists("filter", "BENCH", spec...)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkList10kUnchanged(b *testing.B) {
	ipt, _ := benchIPT(b, 10_000)
	if _, err := ipt.List("filter", "BENCH"); err != nil { // warm the cache
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		lines, err := ipt.List("filter", "BENCH")
		if err != nil || len(lines) != 10_001 {
			b.Fatal(len(lines), err)
		}
	}
}

func BenchmarkList10kChanged(b *testing.B) {
	ipt, ns := benchIPT(b, 10_000)
	if _, err := ipt.List("filter", "BENCH"); err != nil { // warm the cache
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		// Another process changes the ruleset (elsewhere) between reads.
		ns.MustRun(b, "nft", "add", "table", "ip", "other")
		ns.MustRun(b, "nft", "delete", "table", "ip", "other")
		b.StartTimer()
		lines, err := ipt.List("filter", "BENCH")
		if err != nil || len(lines) != 10_001 {
			b.Fatal(len(lines), err)
		}
	}
}

func benchRestore(b *testing.B, n int) {
	ns := netnstest.New(b)
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		b.Fatal(err)
	}
	dump := benchDump(n)
	b.ResetTimer()
	for b.Loop() {
		if err := ipt.Restore(strings.NewReader(dump)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/rule")
}

func BenchmarkRestore1k(b *testing.B)   { benchRestore(b, 1_000) }
func BenchmarkRestore10k(b *testing.B)  { benchRestore(b, 10_000) }
func BenchmarkRestore100k(b *testing.B) { benchRestore(b, 100_000) }

// BenchmarkConcurrentAppend100: 100 goroutines append one rule each into a
// 10k chain; the time is until all have returned.
func BenchmarkConcurrentAppend100(b *testing.B) {
	ipt, _ := benchIPT(b, 10_000)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for g := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := ipt.Append("filter", "BENCH", benchSpec(2_000_000+i*100+g)...); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
}

// BenchmarkList10kFirst: a fresh client lists a 10k chain it has never read.
func BenchmarkList10kFirst(b *testing.B) {
	_, ns := benchIPT(b, 10_000)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		conn, err := xtnl.Open(xtnl.WithNetNS(ns.Name))
		if err != nil {
			b.Fatal(err)
		}
		ipt, err := New(WithConn(conn))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		lines, err := ipt.List("filter", "BENCH")
		if err != nil || len(lines) != 10_001 {
			b.Fatal(len(lines), err)
		}
		b.StopTimer()
		conn.Close()
		b.StartTimer()
	}
}
