package compat

import (
	"reflect"
	"testing"
)

// eachNetdbLine splits as the C library reads netdb files: fields apart
// by blanks or tabs, "#" to the end of a line a comment, blank lines
// skipped, a last line without its newline kept.
func TestEachNetdbLine(t *testing.T) {
	text := "# comment\n\ntcp\t6\tTCP\t\t# transmission control\n  udp 17 UDP\r\n\t \nicmp 1 ICMP"
	var got [][]string
	eachNetdbLine(text, func(f []string) { got = append(got, append([]string(nil), f...)) })
	want := [][]string{{"tcp", "6", "TCP"}, {"udp", "17", "UDP"}, {"icmp", "1", "ICMP"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// The loaded tables agree with the system's files as getent reads them:
// first entry wins, aliases count, names and ports go both ways.
func TestNetdbTables(t *testing.T) {
	if n, ok := protoByName("tcp"); !ok || n != 6 {
		t.Errorf("protoByName(tcp) = %d, %v", n, ok)
	}
	if n, ok := protoByName("IPv6-ICMP"); !ok || n != 58 { // an alias
		t.Errorf("protoByName(IPv6-ICMP) = %d, %v", n, ok)
	}
	if s, ok := protoName(17); !ok || s != "udp" {
		t.Errorf("protoName(17) = %q, %v", s, ok)
	}
	if p, ok := serviceByName("www", "tcp"); !ok || p != 80 { // an alias
		t.Errorf("serviceByName(www, tcp) = %d, %v", p, ok)
	}
	if s, ok := serviceName(22, "tcp"); !ok || s != "ssh" {
		t.Errorf("serviceName(22, tcp) = %q, %v", s, ok)
	}
	if _, ok := serviceByName("6", "tcp"); ok {
		t.Error("a port number was taken for a service name")
	}
}
