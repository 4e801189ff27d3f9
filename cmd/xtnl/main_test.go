package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xtnl/xtnl/netnstest"
)

// xtnl restore, placed after --netns, restores into that namespace and
// names the line at fault.

func TestRestoreCommand(t *testing.T) {
	ns := netnstest.New(t)
	in := "*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n-A INPUT -p tcp -m tcp --dport 80 -j X\n-A X -j ACCEPT\nCOMMIT\n"
	var out bytes.Buffer
	if code := run([]string{"xtnl", "--netns", ns.Name, "restore"}, strings.NewReader(in), &out, &out); code != 0 {
		t.Fatalf("restore: %d %s", code, out.String())
	}
	got := ns.MustRun(t, "iptables-nft", "-S")
	want := "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N X\n-A INPUT -p tcp -m tcp --dport 80 -j X\n-A X -j ACCEPT\n"
	if got != want {
		t.Fatalf("after restore:\n%s", got)
	}
	bad := "*filter\n-A INPUT --nope\nCOMMIT\n"
	out.Reset()
	if code := run([]string{"xtnl", "--netns", ns.Name, "restore"}, strings.NewReader(bad), &out, &out); code != 2 || !strings.Contains(out.String(), "line: 2") {
		t.Fatalf("bad restore: %d %s", code, out.String())
	}
}
