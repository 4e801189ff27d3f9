package compat

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestRestoreNoFlushAssumedChains: a --noflush re-sync of a table that
// exists (its chains not read first: restore's first attempt) leaves what
// iptables-nft-restore --noflush leaves, and a re-sync the kernel refuses
// (a jump to a chain that is nowhere) fails as iptables-nft-restore's does
// and changes nothing.
func TestRestoreNoFlushAssumedChains(t *testing.T) {
	p := newPair(t, ProtocolIPv4)
	base := manyChainsText(300)
	if out, err := p.ref.RunInput([]byte(base), "iptables-nft-restore"); err != nil {
		t.Fatalf("iptables-nft-restore: %v\n%s", err, out)
	}
	if err := p.ipt.Restore(strings.NewReader(base)); err != nil {
		t.Fatal(err)
	}
	stale := "*nat\n:STALE - [0:0]\n-A C00004 -j STALE\nCOMMIT\n"
	if out, err := p.ref.RunInput([]byte(stale), "iptables-nft-restore", "--noflush"); err != nil {
		t.Fatalf("iptables-nft-restore --noflush: %v\n%s", err, out)
	}
	if err := p.ipt.Restore(strings.NewReader(stale), NoFlush()); err != nil {
		t.Fatal(err)
	}
	// Re-declared chains (flushed, refilled), new chains, jumps to
	// chains only named, stale chains declared then deleted.
	var b strings.Builder
	b.WriteString("*nat\n:C00001 - [0:0]\n:C00002 - [0:0]\n:NEW1 - [0:0]\n:C00004 - [0:0]\n:STALE - [0:0]\n")
	b.WriteString("-A C00001 -j C00005\n-A C00002 -p tcp -j DNAT --to-destination 10.1.1.1:80\n")
	b.WriteString("-A NEW1 -j C00009\n-A PREROUTING -j NEW1\n-A C00003 -j RETURN\n-X STALE\n")
	for i := 0; i < 300; i += 9 {
		fmt.Fprintf(&b, "-A OUTPUT -d 10.9.%d.1/32 -j C%05d\n", i/250, i)
	}
	b.WriteString("COMMIT\n")
	resync := b.String()
	if out, err := p.ref.RunInput([]byte(resync), "iptables-nft-restore", "--noflush"); err != nil {
		t.Fatalf("iptables-nft-restore --noflush: %v\n%s", err, out)
	}
	if err := p.ipt.Restore(strings.NewReader(resync), NoFlush()); err != nil {
		t.Fatal(err)
	}
	a, w := p.ours.MustRun(t, "iptables-nft-save", "-t", "nat"), p.ref.MustRun(t, "iptables-nft-save", "-t", "nat")
	if stripComments(a) != stripComments(w) {
		t.Fatalf("after the re-sync:\n%s", firstDiff(stripComments(a), stripComments(w)))
	}

	// Refused: a jump to a chain that is nowhere, after a declaration.
	bad := "*nat\n:C00001 - [0:0]\n-A C00001 -j NOWHERE\nCOMMIT\n"
	_, refErr := p.ref.RunInput([]byte(bad), "iptables-nft-restore", "--noflush")
	err := p.ipt.Restore(strings.NewReader(bad), NoFlush())
	var e *Error
	if refErr == nil || !errors.As(err, &e) || !strings.Contains(err.Error(), "Chain 'NOWHERE' does not exist") || !strings.Contains(refErr.Error(), "Chain 'NOWHERE' does not exist") {
		t.Fatalf("jump to a missing chain: xtnl %v, iptables-nft-restore %v", err, refErr)
	}
	if a2 := p.ours.MustRun(t, "iptables-nft-save", "-t", "nat"); stripComments(a2) != stripComments(a) {
		t.Fatalf("a refused re-sync changed the table:\n%s", firstDiff(stripComments(a2), stripComments(a)))
	}
}
