package compat

import (
	"bytes"
	"strings"
	"testing"
)

// The kernel here has no LED module and no LSM to map a SECMARK context,
// so it refuses both targets and the differential corpus can only see
// both tools refuse them. These check the payloads iptables-nft 1.8.9
// sends for them (taken from `iptables-nft -vvv`) and the -S and -L
// forms of its extensions, read back from those payloads.
func TestLEDAndSECMARKPayloads(t *testing.T) {
	led := make([]byte, 40)
	copy(led, "netfilter-foo")
	led[27] = 1
	copy(led[28:], []byte{0xff, 0xff, 0xff, 0xff})
	secmark := make([]byte, 264)
	secmark[0] = 1
	copy(secmark[1:], "abc")
	for _, tc := range []struct {
		table string
		rule  []string
		info  []byte
		save  string
		list  string
	}{
		{"filter", []string{"-j", "LED", "--led-trigger-id", "foo", "--led-delay", "inf", "--led-always-blink"}, led,
			`-A INPUT -j LED --led-trigger-id "foo" --led-delay -1 --led-always-blink`,
			` led-trigger-id:"foo" led-delay:inf led-always-blink`},
		{"filter", []string{"-j", "LED", "--led-trigger-id", `a"b\c`, "--led-delay", "42"}, nil,
			`-A INPUT -j LED --led-trigger-id "a\"b\\c" --led-delay 42`,
			` led-trigger-id:"a\"b\\c" led-delay:42ms`},
		{"security", []string{"-j", "SECMARK", "--selctx", "abc"}, secmark,
			`-A INPUT -j SECMARK --selctx abc`,
			` SECMARK selctx abc`},
	} {
		specs, err := Parse(IPv4, tc.table, "INPUT", tc.rule)
		if err != nil {
			t.Fatalf("%q: %v", tc.rule, err)
		}
		s := specs[0]
		if tc.info != nil && !bytes.Equal(s.Target.Info, tc.info) {
			t.Errorf("%q: payload\n% x, want\n% x", tc.rule, s.Target.Info, tc.info)
		}
		r, err := s.Rule()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(IPv4, r)
		if err != nil {
			t.Fatalf("%q: decode: %v", tc.rule, err)
		}
		if got := back.String(); got != tc.save {
			t.Errorf("%q: -S %s, want %s", tc.rule, got, tc.save)
		}
		var b strings.Builder
		back.listOptions(&b, true)
		if got := b.String(); got != tc.list {
			t.Errorf("%q: -L %q, want %q", tc.rule, got, tc.list)
		}
	}
	for _, bad := range [][]string{
		{"-j", "LED"},
		{"-j", "LED", "--led-trigger-id", "0123456789abcdefg"},
		{"-j", "LED", "--led-trigger-id", "a", "--led-delay", "4294967296"},
		{"-j", "LED", "--led-trigger-id", "a", "--led-delay", "-1"},
		{"-j", "SECMARK"},
		{"-j", "SECMARK", "--selctx", "a", "--selctx", "b"},
	} {
		if _, err := Parse(IPv4, "filter", "INPUT", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
