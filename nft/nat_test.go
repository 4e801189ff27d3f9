package nft

import (
	"errors"
	"testing"
)

// The nat, reject, tproxy, dup and fwd statements compile what nft
// accepts and refuse what it refuses, with the error where nft puts it.
func TestNATFamilyStatements(t *testing.T) {
	for _, c := range []struct {
		rule string
		col  int // column of the error; 0: compiles
	}{
		{"add rule ip t c reject with icmp host-unreachable", 0},
		{"add rule inet t c meta nfproto ipv6 reject with icmpx admin-prohibited", 0},
		{"add rule netdev t c reject with tcp reset", 0},
		{"add rule ip t c reject with icmpv6 no-route", 17},
		{"add rule ip t c reject with icmp bogus", 34},
		{"add rule inet t c meta l4proto udp reject with tcp reset", 36},
		{"add rule ip t c meta l4proto 6 tproxy to 192.0.2.1:50080", 0},
		{"add rule inet t c meta l4proto 6 tproxy to 192.0.2.1", 34},
		{"add rule ip t c tproxy to :80", 17},
		{"add rule ip t c dup to 192.168.2.1 device \"lo\"", 0},
		{"add rule netdev t c fwd ip to 192.168.2.200 device \"lo\"", 0},
		{"add rule netdev t c dup to \"lo\" device \"lo\"", 21},
		{"add rule ip t c tcp dport 1 dnat to 10.0.0.0/24:80-90", 0},
		{"add rule ip t c dnat ip to ip saddr . tcp dport map { 192.168.1.2 . 80 : 10.141.10.0/24 . 8888-8999 }", 0},
		{"add rule ip t c snat ip to ip saddr map { 10.141.11.4 : 192.168.2.3 . 80 }", 17},
		{"add rule ip t c redirect to :1234", 17},
	} {
		_, err := Compile(c.rule, Options{File: "x"})
		var e *Error
		switch {
		case c.col == 0 && err != nil:
			t.Errorf("%s: %v", c.rule, err)
		case c.col != 0 && !errors.As(err, &e):
			t.Errorf("%s: want an *Error, got %v", c.rule, err)
		case c.col != 0 && e.Col != c.col:
			t.Errorf("%s: error at column %d, want %d: %v", c.rule, e.Col, c.col, err)
		}
	}
}

func TestPrefixBounds(t *testing.T) {
	lo, hi := prefixBounds([]byte{10, 141, 10, 7}, 20)
	if string(lo) != string([]byte{10, 141, 0, 0}) || string(hi) != string([]byte{10, 141, 15, 255}) {
		t.Fatalf("10.141.10.7/20 is %v-%v", lo, hi)
	}
	if n := rangePrefix(lo, hi); n != 20 {
		t.Fatalf("rangePrefix = %d, want 20", n)
	}
	if n := rangePrefix([]byte{1, 2, 3, 4}, []byte{1, 2, 3, 9}); n != -1 {
		t.Fatalf("a range that is no prefix gave /%d", n)
	}
}
