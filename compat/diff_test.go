package compat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/netnstest"
)

// The differential tests: iptables-nft is the oracle. Every case of
// testdata/corpus*.txt runs in throwaway namespaces; expectations come from
// running iptables-nft in the test, never from our own output.
//
// Corpus lines: "FAM TABLE CHAIN | RULESPEC" for rules both tools must
// accept (FAM 4 or 6), "!FAM TABLE CHAIN | RULESPEC" for rules both must
// reject. '#' starts a comment line.

type corpusCase struct {
	file   string
	line   int
	reject bool
	fam    Family
	table  string
	chain  string
	args   []string
	text   string
}

// loadCorpus reads testdata/corpus*.txt, or the files XTNL_CORPUS names
// (a glob) to run one part of it.
func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	glob := os.Getenv("XTNL_CORPUS")
	if glob == "" {
		glob = "testdata/corpus*.txt"
	}
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files match %q", glob)
	}
	var cases []corpusCase
	for _, file := range files {
		cases = append(cases, loadCorpusFile(t, file)...)
	}
	return cases
}

func loadCorpusFile(t *testing.T, file string) []corpusCase {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []corpusCase
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		head, spec, ok := strings.Cut(line, "|")
		if !ok {
			t.Fatalf("%s:%d: no '|'", file, n)
		}
		h := strings.Fields(head)
		if len(h) != 3 {
			t.Fatalf("corpus line %d: want FAM TABLE CHAIN", n)
		}
		c := corpusCase{file: filepath.Base(file), line: n, table: h[1], chain: h[2], text: strings.TrimSpace(spec)}
		fam := h[0]
		if strings.HasPrefix(fam, "!") {
			c.reject, fam = true, fam[1:]
		}
		switch fam {
		case "4":
			c.fam = IPv4
		case "6":
			c.fam = IPv6
		default:
			t.Fatalf("corpus line %d: family %q", n, fam)
		}
		if c.args, err = splitArgs(c.text); err != nil {
			t.Fatalf("corpus line %d: %v", n, err)
		}
		cases = append(cases, c)
	}
	return cases
}

// splitArgs splits a rulespec as a shell would (double and single quotes,
// backslash escapes inside double quotes).
func splitArgs(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inArg := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inArg {
				out = append(out, cur.String())
				cur.Reset()
				inArg = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated '")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inArg = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated \"")
			}
			inArg = true
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if inArg {
		out = append(out, cur.String())
	}
	return out, nil
}

func iptablesCmd(fam Family) string {
	if fam == IPv6 {
		return "ip6tables-nft"
	}
	return "iptables-nft"
}

func nftFamily(fam Family) string {
	if fam == IPv6 {
		return "ip6"
	}
	return "ip"
}

func needTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"iptables-nft", "ip6tables-nft", "nft", "ipset"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (apt-get install -y iptables nftables ipset): %v", tool, err)
		}
	}
}

// prepare creates what corpus rules refer to: user chain X in the table,
// ipsets s4 / s6 when the rule uses -m set, rate estimators RE1 and RE2
// when it uses -m rateest.
func prepare(t *testing.T, ns *netnstest.NS, c corpusCase, ours bool) {
	t.Helper()
	if strings.Contains(c.text, "--match-set") || strings.Contains(c.text, "SET ") {
		ns.MustRun(t, "ipset", "create", "s4", "hash:ip")
		ns.MustRun(t, "ipset", "create", "s6", "hash:ip", "family", "inet6")
	}
	// nfacct objects the rule names, in both namespaces.
	for i, a := range c.args {
		if a == "--nfacct-name" && i+1 < len(c.args) {
			if _, err := exec.LookPath("nfacct"); err != nil {
				t.Skip("nfacct not installed (apt-get install -y nfacct)")
			}
			ns.Run("nfacct", "add", c.args[i+1])
		}
	}
	if !isTable(c.table) {
		return
	}
	if strings.Contains(c.text, "-m rateest") {
		// The estimators rateest rules name (RE1, RE2), made by
		// iptables-nft on both sides in a chain of their own.
		ipt := iptablesCmd(c.fam)
		ns.MustRun(t, ipt, "-t", c.table, "-N", "ESTIMATORS")
		for _, name := range []string{"RE1", "RE2"} {
			ns.MustRun(t, ipt, "-t", c.table, "-A", "ESTIMATORS", "-j", "RATEEST", "--rateest-name", name, "--rateest-interval", "250ms", "--rateest-ewmalog", "500ms")
		}
	}
	if ours {
		conn := openConn(t, ns)
		tx := conn.Begin()
		ensureBuiltin(tx, c.fam, c.table, "X")
		tx.AddChain(&xtnl.Chain{Family: c.fam.xtnlFamily(), Table: c.table, Name: "X"})
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	} else {
		ns.MustRun(t, iptablesCmd(c.fam), "-t", c.table, "-N", "X")
	}
}

func openConn(t *testing.T, ns *netnstest.NS) *xtnl.Conn {
	t.Helper()
	conn, err := xtnl.Open(xtnl.WithNetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// writeOurs parses and writes a rulespec as Append does: parsed and
// encoded by a builder, written pre-encoded.
func writeOurs(conn *xtnl.Conn, fam Family, table, chain string, args []string) error {
	var b builder
	specs, err := b.parse(conn.NetNSFd(), fam, table, chain, args)
	if err != nil {
		return err
	}
	tx := conn.Begin()
	ensureBuiltin(tx, fam, table, chain)
	if err := addAt(tx, &b, nil, 0, specs); err != nil {
		return err
	}
	return tx.Commit()
}

// exprLines keeps the expression lines of nft --debug=netlink output.
func exprLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "  [ ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// appendLines keeps the -A lines of iptables -S output.
func appendLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "-A ") {
			out = append(out, l)
		}
	}
	return out
}

func TestDifferentialCorpus(t *testing.T) {
	needTools(t)
	cases := loadCorpus(t)
	var written, encoded, read, keyed, listed, rejected, accepted, refused atomic.Int32
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			name := fmt.Sprintf("%s:%d", strings.TrimSuffix(c.file, ".txt"), c.line)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				if c.reject {
					refused.Add(1)
					testRejected(t, c)
					if !t.Failed() {
						rejected.Add(1)
					}
					return
				}
				accepted.Add(1)
				testAccepted(t, c, &written, &encoded, &read, &keyed)
				if !t.Failed() && testListed(t, c) {
					listed.Add(1)
				}
			})
		}
	})
	t.Logf("differential corpus: %d accepted specs: (1) -S identical %d, (2) nft --debug=netlink identical %d, (3) read back identical %d, (4) iptables-nft's rule has our comparison key %d, (5) every -L form and Stats identical %d; %d rejected specs: rejected by both with nothing written %d",
		accepted.Load(), written.Load(), encoded.Load(), read.Load(), keyed.Load(), listed.Load(), refused.Load(), rejected.Load())
}

func testAccepted(t *testing.T, c corpusCase, written, encoded, read, keyed *atomic.Int32) {
	ipt := iptablesCmd(c.fam)
	ours, ref := netnstest.New(t), netnstest.New(t)
	prepare(t, ours, c, true)
	prepare(t, ref, c, false)
	if _, err := ref.Run(ipt, append([]string{"-t", c.table, "-A", c.chain}, c.args...)...); err != nil {
		t.Fatalf("iptables-nft refuses a corpus rule (line %d): %v", c.line, err)
	}
	conn := openConn(t, ours)
	if err := writeOurs(conn, c.fam, c.table, c.chain, c.args); err != nil {
		t.Fatalf("xtnl refuses %q: %v", c.text, err)
	}
	// (1) iptables-nft prints the rule we wrote as it prints its own.
	want := ref.MustRun(t, ipt, "-t", c.table, "-S", c.chain)
	got := ours.MustRun(t, ipt, "-t", c.table, "-S", c.chain)
	if got != want {
		t.Errorf("(1) iptables -S of %q:\n got: %s\nwant: %s", c.text, got, want)
	} else {
		written.Add(1)
	}
	// (2) The kernel holds the same expressions.
	nf := nftFamily(c.fam)
	wantE := exprLines(ref.MustRun(t, "nft", "--debug=netlink", "list", "chain", nf, c.table, c.chain))
	gotE := exprLines(ours.MustRun(t, "nft", "--debug=netlink", "list", "chain", nf, c.table, c.chain))
	if gotE != wantE || wantE == "" {
		t.Errorf("(2) expressions of %q:\n got:\n%s\nwant:\n%s", c.text, gotE, wantE)
	} else {
		encoded.Add(1)
	}
	// (3) We read what iptables-nft wrote and print it as it does.
	refConn := openConn(t, ref)
	rules, err := refConn.ListRules(c.fam.xtnlFamily(), c.table, c.chain)
	if err != nil {
		t.Fatal(err)
	}
	wantLines := appendLines(want)
	if len(rules) != len(wantLines) {
		t.Fatalf("(3) %d rules read, iptables -S shows %d", len(rules), len(wantLines))
	}
	ok := true
	for i, r := range rules {
		s, err := DecodeIn(refConn.NetNSFd(), c.fam, r)
		if err != nil {
			t.Errorf("(3) decode %q: %v", c.text, err)
			ok = false
			continue
		}
		if s.String() != wantLines[i] {
			t.Errorf("(3) read back %q:\n got: %s\nwant: %s", c.text, s.String(), wantLines[i])
			ok = false
		}
	}
	if ok {
		read.Add(1)
	}
	// (4) Each rule iptables-nft wrote has the comparison key of our
	// encoding of the spec, so Exists finds it without decoding.
	raws, err := refConn.ListRulesRaw(c.fam.xtnlFamily(), c.table, c.chain)
	if err != nil {
		t.Fatal(err)
	}
	var b builder
	specs, err := b.parse(refConn.NetNSFd(), c.fam, c.table, c.chain, c.args)
	if err != nil || len(specs) != len(raws) {
		t.Fatalf("(4) %d specs (%v) for %d rules", len(specs), err, len(raws))
	}
	ok = true
	for i, s := range specs {
		r, err := b.encode(s)
		if err != nil {
			t.Fatal(err)
		}
		if ours, theirs := expr.AppendKey(nil, r.Exprs), expr.AppendKey(nil, raws[i].Exprs); !bytes.Equal(ours, theirs) {
			t.Errorf("(4) comparison key of %q:\n ours   %x\n theirs %x", c.text, ours, theirs)
			ok = false
		}
	}
	if ok {
		keyed.Add(1)
	}
}

// listForms are the -L forms (5) compares: names, numbers with line
// numbers, go-iptables' -n -v -x, and the other mixes.
var listForms = []struct {
	flags []string
	opts  ListOptions
}{
	{nil, ListOptions{}},
	{[]string{"-n", "--line-numbers"}, ListOptions{Numeric: true, LineNumbers: true}},
	{[]string{"-n", "-v", "-x"}, ListOptions{Numeric: true, Verbose: true, Exact: true}},
	{[]string{"-v"}, ListOptions{Verbose: true}},
	{[]string{"-v", "-n"}, ListOptions{Numeric: true, Verbose: true}},
	{[]string{"-x", "--line-numbers"}, ListOptions{Exact: true, LineNumbers: true}},
}

// testListed writes the rule with iptables-nft, then checks (5) that
// compat lists it in every -L form as iptables-nft does, and that Stats
// gives what go-iptables parses of iptables-nft's -L -n -v -x.
func testListed(t *testing.T, c corpusCase) bool {
	ipt := iptablesCmd(c.fam)
	ref := netnstest.New(t)
	prepare(t, ref, c, false)
	if _, err := ref.Run(ipt, append([]string{"-t", c.table, "-A", c.chain}, c.args...)...); err != nil {
		t.Fatalf("iptables-nft refuses a corpus rule (line %d): %v", c.line, err)
	}
	proto := ProtocolIPv4
	if c.fam == IPv6 {
		proto = ProtocolIPv6
	}
	ours, err := New(IPFamily(proto), NetNS(ref.Name), Timeout(5))
	if err != nil {
		t.Fatal(err)
	}
	ok := true
	for _, f := range listForms {
		want := ref.MustRun(t, ipt, append([]string{"-t", c.table, "-L", c.chain}, f.flags...)...)
		var got bytes.Buffer
		if err := ours.ListTable(&got, c.table, c.chain, f.opts); err != nil {
			t.Fatalf("(5) -L %v of %q: %v", f.flags, c.text, err)
		}
		if got.String() != want {
			t.Errorf("(5) -L %s of %q:\n got:\n%s\nwant:\n%s", strings.Join(f.flags, " "), c.text, got.String(), want)
			ok = false
		}
	}
	stats, err := ours.Stats(c.table, c.chain)
	if err != nil {
		t.Fatal(err)
	}
	// go-iptables splits each line of -L -n -v -x on blanks: the first
	// nine fields, then the options joined by one space; an address
	// without a mask gets its full one. A rule without a target has a
	// column fewer, so only rules with one are compared.
	out := ref.MustRun(t, ipt, "-t", c.table, "-L", c.chain, "-n", "-v", "-x")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")[2:]
	if len(lines) != len(stats) {
		t.Fatalf("(5) Stats has %d rows, iptables -L %d", len(stats), len(lines))
	}
	for i, l := range lines {
		f := strings.Fields(l)
		if stats[i][2] == "" || len(f) < 9 {
			continue
		}
		for _, j := range []int{7, 8} {
			if !strings.Contains(f[j], "/") {
				if strings.Contains(f[j], ":") {
					f[j] += "/128"
				} else {
					f[j] += "/32"
				}
			}
		}
		want := strings.Join(append(f[:9:9], strings.Join(f[9:], " ")), "|")
		if got := strings.Join(stats[i], "|"); got != want {
			t.Errorf("(5) Stats of %q:\n got %s\nwant %s", c.text, got, want)
			ok = false
		}
	}
	return ok
}

func testRejected(t *testing.T, c corpusCase) {
	ipt := iptablesCmd(c.fam)
	ours, ref := netnstest.New(t), netnstest.New(t)
	prepare(t, ours, c, true)
	prepare(t, ref, c, false)
	beforeRef := ref.MustRun(t, "nft", "list", "ruleset")
	if _, err := ref.Run(ipt, append([]string{"-t", c.table, "-A", c.chain}, c.args...)...); err == nil {
		t.Fatalf("iptables-nft accepts %q, which the corpus says it rejects", c.text)
	}
	if after := ref.MustRun(t, "nft", "list", "ruleset"); after != beforeRef {
		t.Fatalf("iptables-nft wrote something for rejected %q", c.text)
	}
	conn := openConn(t, ours)
	before := ours.MustRun(t, "nft", "list", "ruleset")
	err := writeOurs(conn, c.fam, c.table, c.chain, c.args)
	if err == nil {
		t.Fatalf("xtnl accepts %q, iptables-nft rejects it", c.text)
	}
	var se *SpecError
	if !errors.As(err, &se) && !errors.Is(err, xtnl.ErrNotExist) && !errors.Is(err, xtnl.ErrInvalid) {
		t.Errorf("rejection of %q is not a typed error: %#v", c.text, err)
	}
	if after := ours.MustRun(t, "nft", "list", "ruleset"); after != before {
		t.Fatalf("xtnl wrote something for rejected %q", c.text)
	}
}
