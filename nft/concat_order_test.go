package nft

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// ruleExprNames lists the expressions of the program's last rule.
func ruleExprNames(t *testing.T, p *Program) string {
	t.Helper()
	for i := len(p.Messages) - 1; i >= 0; i-- {
		if p.Messages[i].Type == unix.NFT_MSG_NEWRULE {
			var names []string
			for _, e := range ruleExprs(p.Messages[i]) {
				names = append(names, e.name)
			}
			return strings.Join(names, " ")
		}
	}
	t.Fatal("no rule")
	return ""
}

// Host-endian parts of a key looked up in an interval set are converted
// to network order right after they are loaded, as nft does.
func TestIntervalKeysConverted(t *testing.T) {
	lk := fakeLookup{sets: map[string]SetDesc{
		"m":  {Flags: setInterval, KeyType: typeMark, KeyLen: 4},
		"h":  {KeyType: typeMark, KeyLen: 4},
		"mc": {Flags: setInterval | setConcat, KeyType: typeMark<<typeBits | typeIPAddr, KeyLen: 8},
	}}
	for _, c := range []struct{ rule, want string }{
		{"meta mark . tcp dport { 0xa-0x14 . 80-90 }", "meta cmp meta byteorder payload lookup"},
		{"meta mark . tcp dport { 0xa . 80 }", "meta cmp meta payload lookup"},
		{"meta l4proto . th dport { tcp . 22-23 }", "meta byteorder payload lookup"},
		{"meta mark @m", "meta byteorder lookup"},
		{"meta mark @h", "meta lookup"},
		{"meta mark . ip saddr @mc", "meta cmp meta byteorder payload lookup"},
		{"tcp option maxseg size set rt mtu", "rt byteorder exthdr"},
	} {
		p := mustCompile(t, "add rule inet t c "+c.rule, Options{Lookup: lk})
		if got := ruleExprNames(t, p); got != c.want {
			t.Errorf("%s: expressions %q, want %q", c.rule, got, c.want)
		}
	}
}

// A concatenation's element in an interval set holds its host-endian
// part (the mark) in network order.
func TestIntervalConcatElementOrder(t *testing.T) {
	p := mustCompile(t, "add rule inet t c meta mark . tcp dport { 0xa-0x14 . 80-90 }", Options{})
	msg := p.Messages[1]
	if msg.Type != unix.NFT_MSG_NEWSETELEM {
		t.Fatalf("message 1 is %s", msg.Op)
	}
	if !strings.Contains(string(msg.Attrs), "\x00\x00\x00\x0a\x00\x50\x00\x00") {
		t.Errorf("element key not in network order: % x", msg.Attrs)
	}
}
