package nft

import (
	"errors"
	"testing"
)

// Transport-header syntax (sctp chunks, flag comparisons, merged
// payloads, icmp dependencies): what must compile, and bad input that
// must be refused with a positioned error, never a panic.

func TestTransportCompiles(t *testing.T) {
	for _, r := range []string{
		"sctp chunk data exists",
		"sctp chunk init-ack num-outbound-streams 3",
		"sctp chunk asconf seqno 12345",
		"tcp flags fin,syn / fin,syn",
		"tcp flags != syn / fin,syn",
		"tcp flags ! fin,rst",
		"tcp sport 1024 tcp dport 22 tcp sequence 0",
		"icmp id 1 icmp sequence 2",
		"icmp type echo-reply icmp id 1",
		"ip6 nexthdr icmpv6 icmpv6 type echo-request",
		"dccp type { request, response }",
		"comp flags 0x33-0x45",
	} {
		if _, err := Compile("add rule inet t c "+r, Options{}); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
}

func TestTransportRefuses(t *testing.T) {
	for _, tc := range []struct {
		rule string
		col  int
	}{
		{"sctp chunk bogus exists", 28},
		{"tcp flags ! syn / fin", 38},
		{"tcp flags & syn ! syn", 17},
		{"icmp type 2 icmp mtu 5", 29},
		{"meta mark ! 3", 17},
	} {
		_, err := Compile("add rule ip t c "+tc.rule, Options{})
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: want *Error, got %v", tc.rule, err)
			continue
		}
		if e.Col != tc.col {
			t.Errorf("%s: error at column %d, want %d: %v", tc.rule, e.Col, tc.col, err)
		}
	}
}

// FuzzTransport feeds variations of transport-header rules to the
// compiler: it must return a program or an error, never panic.
func FuzzTransport(f *testing.F) {
	for _, s := range []string{
		"add rule inet t c sctp chunk init flags 23",
		"add rule inet t c tcp flags & (fin | syn) == { fin, syn }",
		"add rule inet t c tcp flags syn,ack / syn,ack,fin",
		"add rule ip t c icmp type { echo-reply, echo-request } icmp id 1 icmp sequence 2",
		"add rule ip6 t c icmpv6 mtu 33-45",
		"add rule bridge t c icmpv6 type echo-request",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_, _ = Compile(src, Options{})
	})
}
