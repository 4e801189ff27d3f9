package nft

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// Ether type dependencies merged with ethernet header matches, and
// printed back without them (what nft 1.0.6 writes and lists, checked
// against it by hand: see etherdep.go).

// exprShape describes a rule's expressions compactly: loads as
// base+offset/len, others by name.
func exprShape(exprs []kExpr) string {
	var out []string
	for _, e := range exprs {
		switch {
		case e.name == "payload" && e.a.has(unix.NFTA_PAYLOAD_DREG):
			out = append(out, fmt.Sprintf("@%s+%d/%d", rawBaseName(int(e.a.u32(unix.NFTA_PAYLOAD_BASE))),
				e.a.u32(unix.NFTA_PAYLOAD_OFFSET), e.a.u32(unix.NFTA_PAYLOAD_LEN)))
		case e.name == "meta" && e.a.has(unix.NFTA_META_DREG):
			out = append(out, (&metaExpr{key: e.a.u32(unix.NFTA_META_KEY)}).text())
		case e.name == "cmp":
		default:
			out = append(out, e.name)
		}
	}
	return strings.Join(out, " ")
}

func TestEtherTypeDependencyMerge(t *testing.T) {
	for _, c := range []struct {
		fam, rule, shape, text string
	}{
		{"inet", "tcp dport 22 iiftype ether ip daddr 1.2.3.4 ether saddr 00:0f:54:0c:11:04 accept",
			"meta l4proto @th+2/2 meta iiftype @ll+6/8 @nh+16/4 immediate",
			"tcp dport 22 ether saddr 00:0f:54:0c:11:04 ip daddr 1.2.3.4 accept"},
		{"inet", "ether saddr 00:0f:54:0c:11:04 counter ip daddr 1.2.3.4",
			"meta iiftype counter @ll+6/8 @nh+16/4", ""},
		{"inet", "ip daddr 1.2.3.4 ether saddr 00:0f:54:0c:11:04",
			"meta nfproto @nh+16/4 meta iiftype @ll+6/6", "ip daddr 1.2.3.4 ether saddr 00:0f:54:0c:11:04"},
		{"netdev", "meta iiftype ether ip daddr 1.2.3.4", "meta iiftype @ll+12/2 @nh+16/4", "ip daddr 1.2.3.4"},
		{"bridge", "vlan id 2 ether saddr 00:01:02:03:04:06", "@ll+6/8 @ll+14/2 bitwise",
			"ether saddr 00:01:02:03:04:06 vlan id 2"},
		{"bridge", "ether saddr 00:0f:54:0c:11:04 arp htype 1", "@ll+6/8 @nh+0/2",
			"ether saddr 00:0f:54:0c:11:04 arp htype 1"},
		{"bridge", "ether saddr 00:0f:54:0c:11:04 ip daddr 1.2.3.4", "@ll+6/6 meta protocol @nh+16/4",
			"ether saddr 00:0f:54:0c:11:04 ip daddr 1.2.3.4"},
		{"bridge", "ether saddr 00:0f:54:0c:11:04 icmp type echo-request", "@ll+6/8 meta l4proto @th+0/1",
			"ether saddr 00:0f:54:0c:11:04 icmp type echo-request"},
		{"bridge", "tcp sport 1 counter tcp dport 2", "meta l4proto @th+0/4 counter", ""},
		{"bridge", "ether saddr 00:0f:54:0c:11:04 meta mark set 1 vlan id 2", "immediate meta @ll+6/8 @ll+14/2 bitwise", ""},
		{"bridge", "ether saddr 00:0f:54:0c:11:04 vlan id set 2", "@ll+6/8 @ll+14/2 bitwise payload", ""},
	} {
		p := mustCompile(t, fmt.Sprintf("add rule %s t c %s", c.fam, c.rule), Options{})
		m := p.Messages[len(p.Messages)-1]
		exprs := ruleExprs(m)
		if got := exprShape(exprs); got != c.shape {
			t.Errorf("%s %q:\n got %s\nwant %s", c.fam, c.rule, got, c.shape)
		}
		if c.text == "" {
			continue
		}
		fam := map[string]xtnl.Family{"inet": xtnl.FamilyInet, "netdev": xtnl.FamilyNetdev, "bridge": xtnl.FamilyBridge}[c.fam]
		got := ruleText(&kTable{fam: fam, name: "t"}, &kChain{name: "c"}, &kRule{exprs: exprs}, &PrintOptions{})
		if got != c.text {
			t.Errorf("%s %q prints %q, want %q", c.fam, c.rule, got, c.text)
		}
	}
}

func TestRawPayloadSet(t *testing.T) {
	p := mustCompile(t, "add rule arp t c @nh,144,48 set 0x112233445566 @nh,3,3 set 5", Options{})
	if got := exprShape(ruleExprs(p.Messages[len(p.Messages)-1])); got != "immediate payload @nh+0/1 bitwise payload" {
		t.Errorf("raw payload set: %s", got)
	}
}
