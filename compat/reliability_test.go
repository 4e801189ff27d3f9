package compat

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/netnstest"
	"golang.org/x/sys/unix"
)

// othersRuleset is what other tools wrote before us: an nft table of
// their own and rules in the iptables tables.
const othersRuleset = `table inet agent {
	set blocked { type ipv4_addr; elements = { 192.0.2.1 } }
	chain in {
		type filter hook input priority 10; policy accept;
		ip saddr @blocked counter drop
		tcp dport 9999 meta mark set 0x7 accept
	}
}
`

// setupOthers writes othersRuleset and some iptables-nft rules and chains
// into ns.
func setupOthers(t *testing.T, ns *netnstest.NS) {
	t.Helper()
	if _, err := ns.RunInput([]byte(othersRuleset), "nft", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-N", "OTHER"},
		{"-A", "OTHER", "-s", "198.51.100.0/24", "-j", "DROP"},
		{"-A", "INPUT", "-j", "OTHER"},
		{"-A", "FORWARD", "-i", "eth9", "-m", "comment", "--comment", "other agent", "-j", "ACCEPT"},
		{"-t", "nat", "-A", "POSTROUTING", "-o", "eth9", "-j", "MASQUERADE"},
		{"-t", "mangle", "-A", "PREROUTING", "-j", "MARK", "--set-mark", "3"},
	} {
		ns.MustRun(t, "iptables-nft", args...)
	}
}

// bigRestore returns restore input declaring chain FOO in filter and n
// rules for it; line bad (1-based, counted in the whole input) is
// replaced by badLine. lineOfRule(i) is the line of rule i.
func bigRestore(n, badRule int, badLine string) (input string, line int) {
	var b strings.Builder
	b.WriteString("# generated\n*filter\n:INPUT ACCEPT [0:0]\n:FOO - [0:0]\n")
	const header = 4
	for i := range n {
		if i == badRule {
			b.WriteString(badLine + "\n")
			line = header + i + 1
			continue
		}
		fmt.Fprintf(&b, "-A FOO -s 10.%d.%d.%d/32 -p tcp --dport %d -j ACCEPT\n", i>>16&255, i>>8&255, i&255, 1+i%65535)
	}
	b.WriteString("-A INPUT -j FOO\nCOMMIT\n")
	return b.String(), line
}

var refLineRE = regexp.MustCompile(`line (\d+) failed|Error occurred at line: (\d+)`)

// TestRestoreAtomicWithOneBadLine: a 10k-line restore with one bad line
// (refused by the parser, or by the kernel) at a random place changes
// nothing, in NoFlush mode or not, and names the line, as
// iptables-nft-restore does for the same input.
func TestRestoreAtomicWithOneBadLine(t *testing.T) {
	needTools(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	const n = 10_000
	cases := []struct {
		name, bad string
		kernel    bool
	}{
		{"parse error", "-A FOO -p tcp --dport 65536 -j ACCEPT", false},
		{"unknown option", "-A FOO --frobnicate -j ACCEPT", false},
		{"kernel refusal", "-X NOPE", true},
		// iptables-nft-restore: "line N failed: No chain/target/match
		// by that name."
		{"flush of a missing chain", "-F NOPE", true},
	}
	ours, ref := netnstest.New(t), netnstest.New(t)
	setupOthers(t, ours)
	setupOthers(t, ref)
	ipt, err := New(NetNS(ours.Name))
	if err != nil {
		t.Fatal(err)
	}
	before := ours.MustRun(t, "nft", "list", "ruleset")
	for _, c := range cases {
		for _, noflush := range []bool{false, true} {
			badRule := rng.IntN(n)
			input, line := bigRestore(n, badRule, c.bad)
			var opts []RestoreOption
			refArgs := []string{}
			if noflush {
				opts = append(opts, NoFlush())
				refArgs = append(refArgs, "--noflush")
			}
			what := fmt.Sprintf("%s at line %d (noflush %v)", c.name, line, noflush)
			err := ipt.Restore(strings.NewReader(input), opts...)
			if err == nil {
				t.Fatalf("%s: restore succeeded", what)
			}
			var re *RestoreError
			var ce *Error
			if !errors.As(err, &re) || !errors.As(err, &ce) {
				t.Fatalf("%s: error is not an *Error wrapping a *RestoreError: %T %v", what, err, err)
			}
			if re.Line != line {
				t.Errorf("%s: error names line %d: %v", what, re.Line, err)
			}
			if n := strconv.Itoa(line); !strings.Contains(err.Error(), "line: "+n) && !strings.Contains(err.Error(), "line "+n+" failed") {
				t.Errorf("%s: message does not name the line: %v", what, err)
			}
			if c.kernel && !errors.Is(err, xtnl.ErrNotExist) {
				t.Errorf("%s: kernel refusal lost its sentinel: %v", what, err)
			}
			if after := ours.MustRun(t, "nft", "list", "ruleset"); after != before {
				t.Fatalf("%s: a failed restore changed the ruleset", what)
			}
			// The oracle: iptables-nft-restore refuses the same input at
			// the same line.
			out, rerr := ref.RunInput([]byte(input), "iptables-nft-restore", refArgs...)
			if rerr == nil {
				t.Fatalf("%s: iptables-nft-restore accepts the input", what)
			}
			m := refLineRE.FindStringSubmatch(rerr.Error() + out)
			if m == nil {
				t.Fatalf("%s: iptables-nft-restore names no line: %v", what, rerr)
			}
			if refLine := m[1] + m[2]; refLine != strconv.Itoa(line) {
				t.Errorf("%s: iptables-nft-restore names line %s, we name %d", what, refLine, re.Line)
			}
		}
	}
}

// unknownAttr adds attribute typ (value 0xdeadbeef) inside the
// NFTA_EXPR_DATA of an encoded expression element.
func unknownAttr(t *testing.T, elem []byte, typ uint16) []byte {
	t.Helper()
	var out []byte
	for b := elem; len(b) >= 4; {
		l := int(b[0]) | int(b[1])<<8
		at := uint16(b[2]) | uint16(b[3])<<8
		payload := b[4:l]
		if at&^unix.NLA_F_NESTED == unix.NFTA_EXPR_DATA {
			payload = append(bytes.Clone(payload), nlAttr(typ, []byte{0xde, 0xad, 0xbe, 0xef})...)
		}
		out = append(out, nlAttr(at, payload)...)
		al := (l + 3) &^ 3
		if al > len(b) {
			al = len(b)
		}
		b = b[al:]
	}
	return out
}

func nlAttr(typ uint16, payload []byte) []byte {
	l := 4 + len(payload)
	b := []byte{byte(l), byte(l >> 8), byte(typ), byte(typ >> 8)}
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// TestUnfamiliarExpressionsAreNotIptables: a rule whose expressions carry
// an attribute we do not know (a newer kernel, another tool), or an
// expression we do not know, is never read as the iptables rule it
// resembles: it is kept raw and reported as ErrNotIptables.
func TestUnfamiliarExpressionsAreNotIptables(t *testing.T) {
	specs, err := Parse(IPv4, "filter", "INPUT", []string{"-s", "10.0.0.0/8", "-p", "tcp", "--dport", "22", "-m", "comment", "--comment", "x", "-j", "ACCEPT"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := specs[0].Rule()
	if err != nil {
		t.Fatal(err)
	}
	fam := byte(r.Family)
	var elems [][]byte
	for _, e := range r.Exprs {
		b, err := expr.Marshal(fam, e)
		if err != nil {
			t.Fatal(err)
		}
		elems = append(elems, b)
	}
	list := func(elems [][]byte) []byte {
		var out []byte
		for _, e := range elems {
			out = append(out, nlAttr(unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, e)...)
		}
		return out
	}
	decode := func(b []byte) ([]expr.Expr, *Spec, error) {
		exprs, err := expr.UnmarshalList(fam, b)
		if err != nil {
			t.Fatalf("UnmarshalList: %v", err)
		}
		s, err := Decode(IPv4, &xtnl.Rule{Family: r.Family, Table: "filter", Chain: "INPUT", Handle: 3, Exprs: exprs})
		return exprs, s, err
	}
	_, s, err := decode(list(elems))
	if err != nil {
		t.Fatalf("the unaltered rule does not decode: %v", err)
	}
	want := s.String()
	unknownExpr := nlAttr(unix.NFTA_EXPR_NAME, []byte("frobnicate\x00"))
	unknownExpr = append(unknownExpr, nlAttr(unix.NLA_F_NESTED|unix.NFTA_EXPR_DATA, nlAttr(1, []byte{0, 0, 0, 1}))...)
	for i := range elems {
		variants := map[string][][]byte{}
		alt := append([][]byte(nil), elems...)
		alt[i] = unknownAttr(t, elems[i], 29)
		variants["unknown attribute"] = alt
		ins := append(append(append([][]byte(nil), elems[:i]...), unknownExpr), elems[i:]...)
		variants["unknown expression"] = ins
		for name, v := range variants {
			exprs, s, err := decode(list(v))
			if len(exprs) != len(v) {
				t.Fatalf("%s at %d: %d expressions decoded from %d", name, i, len(exprs), len(v))
			}
			if err == nil {
				t.Errorf("%s at expression %d (%s): read as %q (unaltered: %q), want ErrNotIptables",
					name, i, expr.Format(fam, r.Exprs[i]), s.String(), want)
				continue
			}
			if !errors.Is(err, ErrNotIptables) {
				t.Errorf("%s at %d: %v does not match ErrNotIptables", name, i, err)
			}
			var ne *NotIptablesError
			if !errors.As(err, &ne) || ne.Handle != 3 {
				t.Errorf("%s at %d: error does not name the rule's handle: %v", name, i, err)
			}
		}
	}
}
