package nft

import (
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// pipelineScripts are shapes the pipeline streams and shapes it must give
// up on, each with what compileInOrder makes of it.
var pipelineScripts = []string{
	benchScript(3000),
	// chains with rules one after the other, a set declared first, a
	// dynamic set update that marks the set's message after the later
	// chains moved it
	"table inet t {\n set s { type ipv4_addr; flags dynamic; }\n chain a { type filter hook input priority 0; ip saddr @s accept\n tcp dport { 22, 80 } accept\n }\n" +
		" chain b { update @s { ip saddr } counter\n ip daddr { 1.2.3.4, 5.6.7.8 } drop\n }\n chain c { }\n chain d { type filter hook output priority 0; meta oif lo accept }\n}\n" +
		"add rule inet t b tcp dport { 1, 2, 3 } accept\n",
	// a set after the rules that use it
	"table ip t {\n chain c { type filter hook input priority 0; ip saddr @s accept }\n set s { type ipv4_addr; }\n}\n",
	// a chain line after the chain's rules
	"table ip t {\n chain c { tcp dport 22 accept\n type filter hook input priority 0; }\n}\n",
	// a chain's second block
	"table ip t {\n chain c { type filter hook input priority 0; meta iif lo accept }\n chain d { accept }\n chain c { meta iif lo accept }\n}\n",
	// table flags and comment after rules
	"table ip t {\n chain c { accept }\n flags dormant\n comment \"x\"\n}\n",
	// defines, used before and after a table
	"define p = { 22, 80 }\ntable ip t {\n chain c { tcp dport $p accept\n }\n}\nadd rule ip t c udp dport $p drop\ndefine q = 1.2.3.4\nadd rule ip t c ip saddr $q drop\n",
	// a syntax error in the middle of a streamed table, then more
	"table ip t {\n chain c { type filter hook input priority 0; tcp dport 22 accept\n tcp dport 23 accept\n tcp dport ] accept\n tcp dport 24 accept\n }\n}\nadd rule ip t c tcp dport 25 accept\nadd rule ip t c tcp dport ] accept\n",
	// an evaluation error in the middle of a streamed table, and one after
	"table ip t {\n chain c { type filter hook prerouting priority 0; tcp dport 22 accept\n meta oif lo accept\n tcp dport 24 accept\n }\n}\nadd rule ip t c ip saddr 1.2.3.4 accept\nadd rule ip t x meta oif lo accept accept\n",
	// an error in a chain declared after the first rule
	"table ip t {\n chain c { type filter hook input priority 0; tcp dport 22 accept }\n chain d { type filter hook nowhere priority 0; accept }\n}\n",
	// commands only, with list commands
	"add table ip t\nadd chain ip t c { type filter hook input priority 0; }\nadd rule ip t c tcp dport 22 accept\nlist ruleset\ndelete rule ip t c handle 4\n",
	// a top-level chain block with rules, a table block without rules
	"table ip t { chain a { type filter hook input priority 0; } }\nchain ip t b { tcp dport 22 accept\n udp dport 53 accept }\n",
}

// TestPipelineEqualsInOrder: Compile gives what evaluating after parsing
// gives, messages, lists and errors.
func TestPipelineEqualsInOrder(t *testing.T) {
	for _, src := range pipelineScripts {
		checkPipeline(t, src)
	}
	// long scripts: a batch boundary inside a table, errors far in
	var b strings.Builder
	b.WriteString("table inet t {\n chain a { type filter hook input priority 0; }\n")
	for i := range 700 {
		b.WriteString(" chain c" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + " { tcp dport { 1, 2 } accept\n ip saddr 1.2.3.4 counter drop\n }\n")
	}
	b.WriteString("}\n")
	checkPipeline(t, b.String())
	src := benchScript(2000)
	checkPipeline(t, strings.Replace(src, "tcp dport 2024", "tcp dport ]", 1))
	checkPipeline(t, strings.Replace(src, "tcp dport 2024", "tcp dport 2024 accept", 1))
}

func checkPipeline(t *testing.T, src string) {
	t.Helper()
	o := Options{File: "/dev/stdin"}
	want, wantErr := func() (p *Program, err error) {
		defer guard("compile", &err)
		return compileInOrder(src, o)
	}()
	got, gotErr := Compile(src, o)
	if errText(gotErr) != errText(wantErr) {
		t.Fatalf("script %.80q:\nerror %v\nin order: %v", src, gotErr, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("script %.80q: the pipeline's program differs from the one compiled in order", src)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestPipelineLeavesNoGoroutine: the parser's goroutine is gone when
// Compile returns, whether it parsed to the end, met a syntax error or was
// stopped by an evaluation error.
func TestPipelineLeavesNoGoroutine(t *testing.T) {
	src := benchScript(5000)
	before := runtime.NumGoroutine()
	for i, s := range []string{
		src,
		strings.Replace(src, "tcp dport 3024", "tcp dport ]", 1),
		strings.Replace(src, "tcp dport 3024", "tcp dport 3024 accept", 1),
		strings.Replace(src, "tcp dport 1025", "tcp dport 1025 accept", 1),
	} {
		_, err := Compile(s, Options{})
		if (err != nil) != (i > 0) {
			t.Fatalf("script %d: error %v", i, err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Fatalf("%d goroutines after Compile, %d before", n, before)
		}
	}
}
