package compat

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// TestKernelRefusedPayloads checks the payloads of extensions this test
// machine's kernel refuses (the module is absent, or a needed object is
// not there), which the differential corpus cannot compare since neither
// tool gets a rule into the kernel: the bytes are those iptables-nft
// 1.8.9 sent for the same rulespec (its NFTA_MATCH_INFO, read from its
// sendmsg with strace), on a little-endian machine.
func TestKernelRefusedPayloads(t *testing.T) {
	if hostOrder.Uint16([]byte{1, 0}) != 1 {
		t.Skip("payloads recorded on a little-endian machine")
	}
	for _, c := range []struct {
		fam  Family
		rule string
		want string
	}{
		{IPv4, `-m ipvs --vproto 6 --vaddr 1.2.3.4/16 --vport 22 --vdir ORIGINAL --vmethod GATE`,
			"01020304000000000000000000000000ffff0000000000000000000000000000001606030000003f"},
		{IPv4, `-m ipvs ! --vaddr 1.2.3.4/255.255.255.0`, "01020304000000000000000000000000ffffff000000000000000000000000000000000000000405"},
		{IPv4, `-m ipvs --ipvs`, "00000000000000000000000000000000000000000000000000000000000000000000000000000001"},
		{IPv4, `-m ipvs ! --ipvs`, "00000000000000000000000000000000000000000000000000000000000000000000000000000101"},
		{IPv4, `-m ipvs ! --vproto TCP --vport http --vdir reply`, "0000000000000000000000000000000000000000000000000000000000000000005006000000121b"},
		{IPv4, `-m ipvs ! --vmethod ipip ! --vportctl 21 --vaddr 10.0.0.1`, "0a000001000000000000000000000000ffffffffffffffffffffffffffffffff0000000200156065"},
		{IPv4, `-m ipvs --vmethod MASQ --vaddr 1.2.3.4/255.0.255.0 --vport 65536`, "01020304000000000000000000000000ffffffffffffffffffffffffffffffff000000000000002d"},
		{IPv6, `-m ipvs --vaddr 2001:db8::1`, "20010db8000000000000000000000001ffffffffffffffffffffffffffffffff0000000000000005"},
		{IPv6, `-m ipvs ! --vaddr 2001:db8::/64`, "20010db8000000000000000000000000ffffffffffffffff00000000000000000000000000000405"},
		{IPv6, `-m ipvs --vproto 6 --vaddr 2001:db8::/64 --vport 22 --vdir ORIGINAL --vmethod GATE`, "20010db8000000000000000000000000ffffffffffffffff0000000000000000001606030000003f"},
		{IPv6, `-m ipvs --vaddr 2001:db8::1/ffff:ffff:0::`, "20010db8000000000000000000000001ffffffff0000000000000000000000000000000000000005"},
		// No such accounting object: the kernel refuses it.
		{IPv4, `-m nfacct --nfacct-name abcdefghijklmnopqrstuvwxyz0123456789`, "6162636465666768696a6b6c6d6e6f707172737475767778797a3031323334000000000000000000"},
	} {
		args, err := splitArgs(c.rule)
		if err != nil {
			t.Fatal(err)
		}
		var b builder
		specs, err := b.parse(-1, c.fam, "filter", "INPUT", args)
		if err != nil {
			t.Errorf("%s: %v", c.rule, err)
			continue
		}
		m := specs[0].Matches[len(specs[0].Matches)-1]
		if got := hex.EncodeToString(m.Info[:m.Ext.Size]); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.rule, got, c.want)
		}
	}

	// How -S and -L print such payloads, in the extensions' own formats.
	for _, c := range []struct {
		fam                  Family
		rule, save, list, ln string
	}{
		{IPv4, `-m ipvs --vproto tcp --vaddr 1.2.3.4/16 --vport http --vdir REPLY --vmethod MASQ ! --vportctl 21`,
			` -m ipvs --vproto 6 --vaddr 1.2.3.4/16 --vport 80 --vdir REPLY --vmethod MASQ ! --vportctl 21`,
			` vproto 6 vaddr 1.2.3.4/16 vport 80 vdir REPLY vmethod MASQ ! vportctl 21`, ""},
		{IPv4, `-m ipvs ! --ipvs`, ` -m ipvs ! --ipvs`, ` ! ipvs`, ""},
		{IPv4, `-m ipvs --ipvs ! --vaddr 0.0.0.0/0`, ` -m ipvs ! --vaddr 0.0.0.0/0`, ` ! vaddr 0.0.0.0/0`, ` ! vaddr anywhere`},
		{IPv6, `-m ipvs ! --vaddr 2001:db8::1/ffff:ffff:0:: --vmethod ipip`, ` -m ipvs ! --vaddr 2001:db8::1/32 --vmethod IPIP`,
			` ! vaddr 2001:db8::1/32 vmethod IPIP`, ""},
		{IPv6, `-m ipvs --vaddr 2001:db8::1/ffff::ffff`, ` -m ipvs --vaddr 2001:db8::1`, ` vaddr 2001:db8::1`, ""},
	} {
		args, _ := splitArgs(c.rule)
		var b builder
		specs, err := b.parse(-1, c.fam, "filter", "INPUT", args)
		if err != nil {
			t.Errorf("%s: %v", c.rule, err)
			continue
		}
		s := specs[0]
		if got := s.Body(); got != c.save {
			t.Errorf("-S of %s:\n got %q\nwant %q", c.rule, got, c.save)
		}
		if c.ln == "" {
			c.ln = c.list
		}
		for _, numeric := range []bool{true, false} {
			var sb strings.Builder
			s.listOptions(&sb, numeric)
			want := c.list
			if !numeric {
				want = c.ln
			}
			if sb.String() != want {
				t.Errorf("-L (numeric %v) of %s:\n got %q\nwant %q", numeric, c.rule, sb.String(), want)
			}
		}
	}
}

// TestNfacctNewline: a name with a newline is refused at parse time (a
// corpus line cannot hold one).
func TestNfacctNewline(t *testing.T) {
	var b builder
	_, err := b.parse(-1, IPv4, "filter", "INPUT", []string{"-m", "nfacct", "--nfacct-name", "a\nb"})
	var se *SpecError
	if !errors.As(err, &se) || se.Msg != "Newlines not allowed in --nfacct-name" {
		t.Errorf("got %v", err)
	}
}
