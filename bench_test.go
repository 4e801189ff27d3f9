package xtnl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xtnl/xtnl/netnstest"
)

// Benchmarks run in a throwaway namespace each. The nft -f ones load the
// same rules with the nft binary in the same run, so results can be read as
// ratios (these machines are too noisy for absolute times to mean much).

func benchConn(b *testing.B) (*Conn, *netnstest.NS) {
	b.Helper()
	ns := netnstest.New(b)
	c, err := Open(WithNetNS(ns.Name))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c, ns
}

func loadChain(b *testing.B, c *Conn, n int) {
	b.Helper()
	tx := c.Begin()
	tx.AddTable(&Table{Family: FamilyIPv4, Name: "t"})
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"})
	for i := range n {
		tx.AppendRule(benchRule(FamilyIPv4, "t", "c", i))
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAppendOneInto10k: one rule, its own commit, into a chain of 10k.
func BenchmarkAppendOneInto10k(b *testing.B) {
	c, _ := benchConn(b)
	loadChain(b, c, 10_000)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tx := c.Begin()
		tx.AppendRule(benchRule(FamilyIPv4, "t", "c", 20_000+i))
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchLoad(b *testing.B, n int) {
	c, _ := benchConn(b)
	rules := make([]*Rule, n)
	for i := range rules {
		rules[i] = benchRule(FamilyIPv4, "t", "c", i)
	}
	for b.Loop() {
		tx := c.Begin()
		tx.DelTable(&Table{Family: FamilyIPv4, Name: "t"})
		tx.AddTable(&Table{Family: FamilyIPv4, Name: "t"})
		tx.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"})
		for _, r := range rules {
			tx.AppendRule(r)
		}
		b.StopTimer()
		// The first iteration has no table to delete.
		_ = c.AddTable(&Table{Family: FamilyIPv4, Name: "t"})
		b.StartTimer()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/rule")
}

func BenchmarkLoad1k(b *testing.B)   { benchLoad(b, 1_000) }
func BenchmarkLoad10k(b *testing.B)  { benchLoad(b, 10_000) }
func BenchmarkLoad100k(b *testing.B) { benchLoad(b, 100_000) }

// nftScript is the same ruleset as benchLoad's, in nft syntax.
func nftScript(n int) []byte {
	var sb strings.Builder
	sb.WriteString("add table ip t\ndelete table ip t\ntable ip t {\n\tchain c {\n")
	for i := range n {
		fmt.Fprintf(&sb, "\t\tip saddr 10.%d.%d.%d tcp dport %d counter accept\n", byte(i>>16), byte(i>>8), byte(i), 1024+i%60000)
	}
	sb.WriteString("\t}\n}\n")
	return []byte(sb.String())
}

func benchNftLoad(b *testing.B, n int) {
	_, ns := benchConn(b)
	script := nftScript(n)
	for b.Loop() {
		if _, err := ns.RunInput(script, "nft", "-f", "-"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/rule")
}

func BenchmarkNftLoad1k(b *testing.B)   { benchNftLoad(b, 1_000) }
func BenchmarkNftLoad10k(b *testing.B)  { benchNftLoad(b, 10_000) }
func BenchmarkNftLoad100k(b *testing.B) { benchNftLoad(b, 100_000) }

// BenchmarkList10k: dump and decode a chain of 10k rules.
func BenchmarkList10k(b *testing.B) {
	c, _ := benchConn(b)
	loadChain(b, c, 10_000)
	for b.Loop() {
		rules, err := c.ListRules(FamilyIPv4, "t", "c")
		if err != nil || len(rules) != 10_000 {
			b.Fatal(len(rules), err)
		}
	}
}

// BenchmarkNftList10k: nft printing the same chain.
func BenchmarkNftList10k(b *testing.B) {
	c, ns := benchConn(b)
	loadChain(b, c, 10_000)
	for b.Loop() {
		if _, err := ns.Run("nft", "list", "chain", "ip", "t", "c"); err != nil {
			b.Fatal(err)
		}
	}
}
