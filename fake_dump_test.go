package xtnl

import (
	"regexp"
	"strings"
	"testing"
)

// nftRuleHeader is the first line of a rule in nft --debug=netlink's
// output: family, table, chain, handle and, but for a chain's first rule,
// position.
var nftRuleHeader = regexp.MustCompile(`^(ip|ip6|inet|arp|bridge|netdev) \S+ \S+ \d+( \d+)?$`)

// nftDebugRules keeps the rule blocks of `nft --debug=netlink list
// ruleset`: a header, its indented lines and the empty line that may end
// them; the rest (sets' debugging, the listing) is left out.
func nftDebugRules(out string) string {
	var sb strings.Builder
	in := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case nftRuleHeader.MatchString(line):
			in = true
		case in && strings.HasPrefix(line, "  "):
		case in && line == "":
			sb.WriteString("\n")
			in = false
			continue
		default:
			in = false
		}
		if in {
			sb.WriteString(line + "\n")
		}
	}
	return sb.String()
}

// TestFakeDumpMatchesNft runs the shared suite's scenarios on a kernel
// and on the fake, and compares nft's own --debug=netlink listing of the
// kernel's ruleset with the fake's Dump.
func TestFakeDumpMatchesNft(t *testing.T) {
	needTool(t, "nft")
	for _, sc := range fakeScenarios {
		if sc.name == "LargeTransaction" {
			continue // thousands of rules: the other scenarios say as much
		}
		t.Run(sc.name, func(t *testing.T) {
			c, ns := newTestConn(t)
			sc.run(&suiteBackend{t: t, c: c, peer: func() *Conn {
				p, err := Open(WithNetNS(ns.Name))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { p.Close() })
				return p
			}})
			want := nftDebugRules(ns.MustRun(t, "nft", "--debug=netlink", "list", "ruleset"))

			fb := fakeBackend(t)
			sc.run(fb)
			fb.c.mu.Lock()
			tr, _ := fb.c.newT()
			fb.c.mu.Unlock()
			got := tr.(fakeTransport).s.Kernel().Dump()
			if got != want {
				t.Errorf("fake's Dump:\n%s\nnft --debug=netlink list ruleset:\n%s", got, want)
			}
		})
	}
}
