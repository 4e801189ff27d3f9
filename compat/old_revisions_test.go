package compat

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/netnstest"
)

// TestOlderRevisions: rules holding a match of a revision other than
// the one iptables-nft 1.8.9 sends (written by an older iptables, or
// another tool) are read and printed as iptables-nft prints them (-S,
// -L -n, -L), checked against it: each rule is written raw into a
// namespace, then listed by both.
func TestOlderRevisions(t *testing.T) {
	needTools(t)
	pad := func(h string, size int) string { return h + strings.Repeat("00", XTAlign(size)-len(h)/2) }
	for _, c := range []struct {
		fam  Family
		name string
		rev  uint32
		info string
	}{
		{IPv4, "cgroup", 0, pad("01000000", 8)},
		{IPv4, "cgroup", 0, pad("2a00000001000000", 8)},
		{IPv6, "cgroup", 1, pad("00010001"+pad("", 4096)+"07000000", 4112)},
		{IPv4, "cgroup", 1, pad("01000100"+hex.EncodeToString([]byte("/")), 4112)},
		{IPv4, "bpf", 0, pad("0200000006000000010000000600000000000000", 528)},
		{IPv6, "nfacct", 0, pad(hex.EncodeToString([]byte("acct")), 40)},
	} {
		info, err := hex.DecodeString(c.info)
		if err != nil {
			t.Fatal(err)
		}
		ns := netnstest.New(t)
		if c.name == "nfacct" {
			if _, err := ns.Run("nfacct", "add", "acct"); err != nil {
				t.Skip("nfacct not installed")
			}
		}
		conn := openConn(t, ns)
		tx := conn.Begin()
		ensureBuiltin(tx, c.fam, "filter", "INPUT")
		tx.AppendRawRule(&xtnl.RawRule{Family: c.fam.xtnlFamily(), Table: "filter", Chain: "INPUT",
			Exprs: expr.AppendMatch(nil, c.name, c.rev, info)})
		if err := tx.Commit(); err != nil {
			t.Errorf("%s rev %d %s: the kernel refuses it: %v", c.name, c.rev, c.info[:16], err)
			continue
		}
		ipt := iptablesCmd(c.fam)
		proto := ProtocolIPv4
		if c.fam == IPv6 {
			proto = ProtocolIPv6
		}
		ours, err := New(IPFamily(proto), WithConn(conn))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			args []string
			ours func() (string, error)
		}{
			{[]string{"-S", "INPUT"}, func() (string, error) {
				ls, err := ours.List("filter", "INPUT")
				return strings.Join(ls, "\n"), err
			}},
			{[]string{"-L", "INPUT", "-n"}, func() (string, error) {
				var sb strings.Builder
				err := ours.ListTable(&sb, "filter", "INPUT", ListOptions{Numeric: true})
				return sb.String(), err
			}},
			{[]string{"-L", "INPUT"}, func() (string, error) {
				var sb strings.Builder
				err := ours.ListTable(&sb, "filter", "INPUT", ListOptions{})
				return sb.String(), err
			}},
		} {
			want, _ := ns.Run(ipt, f.args...)
			got, err := f.ours()
			if err != nil {
				t.Errorf("%s rev %d: %v", c.name, c.rev, err)
				continue
			}
			if strings.TrimRight(got, "\n") != strings.TrimRight(want, "\n") {
				t.Errorf("%s rev %d, %s %v:\n got %q\nwant %q", c.name, c.rev, ipt, f.args, got, want)
			}
		}
	}
}
