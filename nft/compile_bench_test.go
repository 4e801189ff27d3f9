package nft

import (
	"strconv"
	"strings"
	"testing"
)

// benchScript is the bench's load script (bench/rules.go nftScript) for n
// rules: table filter, its base chains and chain BENCH of n distinct rules.
func benchScript(n int) string {
	var b strings.Builder
	b.Grow(80 * (n + 8))
	b.WriteString("table ip filter {\n" +
		"\tchain INPUT { type filter hook input priority 0; policy accept; }\n" +
		"\tchain FORWARD { type filter hook forward priority 0; policy accept; }\n" +
		"\tchain OUTPUT { type filter hook output priority 0; policy accept; }\n" +
		"\tchain BENCH {\n")
	for i := range n {
		b.WriteString("\t\tmeta l4proto tcp ip saddr 10.")
		b.WriteString(strconv.Itoa(int(byte(i >> 16))))
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(int(byte(i >> 8))))
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(int(byte(i))))
		b.WriteString(" tcp dport ")
		b.WriteString(strconv.Itoa(1024 + i%60000))
		b.WriteString(" counter accept\n")
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}

func BenchmarkCompile100k(b *testing.B) {
	src := benchScript(100000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(src, Options{File: "/dev/stdin"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse100k(b *testing.B) {
	src := benchScript(100000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("/dev/stdin", src); err != nil {
			b.Fatal(err)
		}
	}
}
