package ipttest

import (
	"reflect"
	"strings"
	"testing"
)

// A made-up file exercising every kind of line.
const sample = `:INPUT,FORWARD
# a comment
-p tcp -m foo --bar 1;=;OK
-m foo --bar 2;-m foo --bar 0x2;OK

*nat
:PREROUTING
%iptables -I PREROUTING -j ACCEPT
-m foo;;FAIL
-m foo --baz;=;OK;LEGACY;NOMATCH
-m foo --qux;=;FAIL;LEGACY
-m foo --quux;=;OK;NFT
-m foo --odd;=;OK;LEGACY;=
@iptables -D PREROUTING -j ACCEPT
`

func TestParse(t *testing.T) {
	f, err := Parse("libxt_foo.t", strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Families, []Family{IPv4, IPv6}) {
		t.Errorf("families %v", f.Families)
	}
	type row struct {
		line           int
		cmd            string
		table, chains  string
		rule, saved, e string
	}
	want := []row{
		{line: 3, chains: "INPUT,FORWARD", rule: "-p tcp -m foo --bar 1", saved: "-p tcp -m foo --bar 1", e: OK},
		{line: 4, chains: "INPUT,FORWARD", rule: "-m foo --bar 2", saved: "-m foo --bar 0x2", e: OK},
		{line: 8, cmd: "iptables -I PREROUTING -j ACCEPT"},
		{line: 9, table: "nat", chains: "PREROUTING", rule: "-m foo", e: Fail},
		{line: 10, table: "nat", chains: "PREROUTING", rule: "-m foo --baz", saved: "-m foo --baz", e: NoMatch},
		{line: 11, table: "nat", chains: "PREROUTING", rule: "-m foo --qux", saved: "-m foo --qux", e: OK},
		{line: 12, table: "nat", chains: "PREROUTING", rule: "-m foo --quux", saved: "-m foo --quux", e: OK},
		{line: 13, table: "nat", chains: "PREROUTING", rule: "-m foo --odd", saved: "-m foo --odd", e: NoMatch},
		{line: 14, cmd: "iptables -D PREROUTING -j ACCEPT"},
	}
	var got []row
	for _, s := range f.Steps {
		r := row{line: s.Line, cmd: s.Command}
		if c := s.Case; c != nil {
			r.table, r.chains, r.rule, r.saved, r.e = c.Table, strings.Join(c.Chains, ","), c.Rule, c.Saved, c.Expect
		}
		got = append(got, r)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("steps:\n got %+v\nwant %+v", got, want)
	}
	if n := len(f.Cases()); n != 7 {
		t.Errorf("%d cases, want 7", n)
	}
}

func TestParseErrors(t *testing.T) {
	for _, text := range []string{
		"-m foo;=;OK\n",              // no chain yet
		":INPUT\n-m foo;OK\n",        // two fields
		":INPUT\n-m foo;=;OK;BOTH\n", // unknown variant
	} {
		if _, err := Parse("libxt_foo.t", strings.NewReader(text)); err == nil {
			t.Errorf("%q parsed", text)
		}
	}
}

func TestFamiliesOf(t *testing.T) {
	for name, want := range map[string][]Family{
		"libipt_ttl.t":   {IPv4},
		"libip6t_hl.t":   {IPv6},
		"libxt_tcp.t":    {IPv4, IPv6},
		"iptables.t":     {IPv4},
		"libebt_arp.t":   nil,
		"libarpt_MARK.t": nil,
	} {
		if got := FamiliesOf(name); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}
