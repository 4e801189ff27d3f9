package main

import (
	"bytes"
	"fmt"
	"strconv"
)

// The one rule shape every workload uses, numbered so that each rule is
// distinct: `-s 10.a.b.c/32 -p tcp --dport P -j ACCEPT`. Every peer writes
// the very same rules, spelled in its own syntax.

const (
	benchTable = "filter"
	benchChain = "BENCH"

	// Rule numbers past any preloaded chain: warm-up and timed appends, the
	// rule another process adds between two List calls, and the rules of
	// the concurrent appenders.
	warmRule       = 200_000 // the first of appendWarmups
	timedRule      = 200_100 // the first of appendTimes
	otherProcRule  = 200_050
	concurrentBase = 300_000
	concurrentN    = 100
)

func ruleAddr(i int) string {
	return fmt.Sprintf("10.%d.%d.%d", byte(i>>16), byte(i>>8), byte(i))
}

func rulePort(i int) int { return 1024 + i%60000 }

// ruleArgs is rule i as an iptables rulespec (what follows "-A BENCH").
func ruleArgs(i int) []string {
	return []string{"-s", ruleAddr(i) + "/32", "-p", "tcp", "--dport", strconv.Itoa(rulePort(i)), "-j", "ACCEPT"}
}

// ruleNft is rule i in nft syntax, its statements in the order
// iptables-nft encodes them (protocol, source, port, counter, verdict).
func ruleNft(i int) string {
	return fmt.Sprintf("meta l4proto tcp ip saddr %s tcp dport %d counter accept", ruleAddr(i), rulePort(i))
}

// saveText is iptables-save input for table filter: the built-in chains
// and BENCH holding rules 0..n-1.
func saveText(n int) []byte {
	var b bytes.Buffer
	b.Grow(64 * (n + 8))
	b.WriteString("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:BENCH - [0:0]\n")
	for i := range n {
		fmt.Fprintf(&b, "-A BENCH -s %s/32 -p tcp -m tcp --dport %d -j ACCEPT\n", ruleAddr(i), rulePort(i))
	}
	b.WriteString("COMMIT\n")
	return b.Bytes()
}

// appendText is iptables-restore --noflush input adding one rule to BENCH.
func appendText(i int) []byte {
	return fmt.Appendf(nil, "*filter\n-A BENCH -s %s/32 -p tcp -m tcp --dport %d -j ACCEPT\nCOMMIT\n", ruleAddr(i), rulePort(i))
}

// nftScript is the nft -f equivalent of saveText: the same table, base
// chains and rules.
func nftScript(n int) []byte {
	var b bytes.Buffer
	b.Grow(80 * (n + 8))
	b.WriteString("table ip filter {\n" +
		"\tchain INPUT { type filter hook input priority 0; policy accept; }\n" +
		"\tchain FORWARD { type filter hook forward priority 0; policy accept; }\n" +
		"\tchain OUTPUT { type filter hook output priority 0; policy accept; }\n" +
		"\tchain BENCH {\n")
	for i := range n {
		b.WriteString("\t\t")
		b.WriteString(ruleNft(i))
		b.WriteByte('\n')
	}
	b.WriteString("\t}\n}\n")
	return b.Bytes()
}
