package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestNormalise(t *testing.T) {
	a := "table ip nat { # handle 7\n\tchain POSTROUTING { # handle 1\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n" +
		"\t\t counter packets 28 bytes 1920 jump CNI-HOSTPORT-MASQ # handle 4\n\t}\n}\n"
	b := "table ip nat { # handle 2\n\tchain POSTROUTING { # handle 9\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n" +
		"\t\t counter packets 0 bytes 0 jump CNI-HOSTPORT-MASQ # handle 12\n\t}\n}\n"
	if normalise(a) != normalise(b) {
		t.Fatalf("handles and counters not dropped:\n%s\n---\n%s", normalise(a), normalise(b))
	}
	if c := strings.Replace(b, "MASQ", "DNAT", 1); normalise(c) == normalise(a) {
		t.Fatal("a different rule normalised away")
	}
	if normalise("\n\n") != "" {
		t.Fatal("an empty listing is not empty")
	}
}

func TestCanonical(t *testing.T) {
	x := "table ip filter {\n\tchain A {\n\t\tr1\n\t\tr2\n\t}\n\tchain B {\n\t}\n}\ntable ip nat {\n}"
	y := "table ip nat {\n}\ntable ip filter {\n\tchain B {\n\t}\n\tchain A {\n\t\tr1\n\t\tr2\n\t}\n}"
	if x == y || canonical(x) != canonical(y) {
		t.Fatalf("tables and chains in another order should be equal up to order:\n%s\n---\n%s", canonical(x), canonical(y))
	}
	z := strings.Replace(x, "r1\n\t\tr2", "r2\n\t\tr1", 1)
	if canonical(x) == canonical(z) {
		t.Fatal("the order of rules in a chain was lost")
	}
}

func TestLineDiff(t *testing.T) {
	got := lineDiff("a\nb\nc\n", "a\nc\nd\n")
	want := []string{"-b", "+d"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("lineDiff = %q, want %q", got, want)
	}
	if d := lineDiff("", "a\n"); !reflect.DeepEqual(d, []string{"+a"}) {
		t.Fatalf("lineDiff from nothing = %q", d)
	}
	if d := lineDiff("x\n", "x\n"); len(d) != 0 {
		t.Fatalf("equal texts differ: %q", d)
	}
}

func TestReadReport(t *testing.T) {
	dir := t.TempDir()
	report := `[{"SuitePath": "/src/pkg/utils", "SpecReports": [
	 {"ContainerHierarchyTexts": ["netfilter", "when x"], "LeafNodeText": "works", "LeafNodeType": "It", "State": "passed"},
	 {"ContainerHierarchyTexts": ["netfilter", "when x"], "LeafNodeText": "works", "LeafNodeType": "It", "State": "failed",
	  "Failure": {"Message": "Expected\n  <bool>: true\nto be false", "Location": {"FileName": "/src/pkg/utils/a_test.go", "LineNumber": 46}}},
	 {"ContainerHierarchyTexts": [], "LeafNodeText": "", "LeafNodeType": "SynchronizedBeforeSuite", "State": "passed"},
	 {"ContainerHierarchyTexts": ["b"], "LeafNodeText": "later", "LeafNodeType": "It", "State": "pending"},
	 {"ContainerHierarchyTexts": ["b"], "LeafNodeText": "panics", "LeafNodeType": "It", "State": "panicked"}
	]}]`
	path := filepath.Join(dir, "r.json")
	if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	specs, suite, err := readReport(path, "/src")
	if err != nil {
		t.Fatal(err)
	}
	if len(suite) != 0 {
		t.Fatalf("a passed suite node counted as failed: %+v", suite)
	}
	var keys []string
	for _, s := range specs {
		keys = append(keys, s.key+" = "+s.outcome)
	}
	want := []string{"netfilter when x works = passed", "netfilter when x works #2 = failed", "b later = skipped", "b panics = failed"}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("specs = %q, want %q", keys, want)
	}
	if specs[1].where != "pkg/utils/a_test.go:46" || specs[1].message != "Expected | <bool>: true | to be false" {
		t.Fatalf("failure read as %q %q", specs[1].where, specs[1].message)
	}
	if c := count(specs); c != (Counts{Specs: 4, Passed: 1, Failed: 2, Skipped: 1}) {
		t.Fatalf("count = %+v", c)
	}
}

func TestSummariseExceptionAndRegression(t *testing.T) {
	cfg := &config{version: "v1.10.0", pkgs: []string{"pkg/utils"}}
	gi := &variant{name: "go-iptables"}
	xt := &variant{name: "xtnl", shim: true}
	ex := exceptions[0]
	mk := func(v *variant, outcomes ...string) *result {
		r := &result{pkg: "pkg/utils", variant: v, ruleset: "table ip filter {\n}\n"}
		for i, o := range outcomes {
			key := ex.spec
			if i > 0 {
				key = "other spec"
			}
			r.specs = append(r.specs, spec{key: key, outcome: o})
		}
		return r
	}
	sum := summarise(cfg, []*variant{gi, xt}, []*result{mk(gi, "passed", "passed"), mk(xt, "failed", "passed")})
	if !sum.OK || sum.Regressions != 0 || len(sum.Differences) != 1 || sum.Differences[0].Kind != "excepted" {
		t.Fatalf("the SupportsIPTables spec should be excepted: %+v", sum)
	}
	sum = summarise(cfg, []*variant{gi, xt}, []*result{mk(gi, "passed", "passed"), mk(xt, "passed", "failed")})
	if sum.OK || sum.Regressions != 1 {
		t.Fatalf("a shim-only failure should fail the run: %+v", sum)
	}
	a, b := mk(gi, "passed"), mk(xt, "passed")
	b.ruleset = "table ip filter {\n\tchain FORWARD {\n\t}\n}\n"
	sum = summarise(cfg, []*variant{gi, xt}, []*result{a, b})
	if sum.OK || sum.RulesetsDiffer != 1 || sum.Packages[0].Ruleset != "DIFFER" {
		t.Fatalf("a differing outer ruleset should fail the run: %+v", sum.Packages[0])
	}
}
