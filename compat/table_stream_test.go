package compat

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/internal/nsthread"
)

// manyChainsText is iptables-restore input for table nat with chains
// enough to be dumped on two sockets (twoSocketChains) and in many blocks
// (blockChains), some empty, one long enough to fill several batches
// (batchBytes), and jumps between them.
func manyChainsText(chains int) string {
	var b strings.Builder
	b.WriteString("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n")
	for i := range chains {
		fmt.Fprintf(&b, ":C%05d - [0:0]\n", i)
	}
	for i := range 3000 {
		fmt.Fprintf(&b, "-A PREROUTING -d 10.%d.%d.1/32 -p tcp -m comment --comment \"svc %d\" -m tcp --dport %d -j C%05d\n", i/250, i%250, i, 1000+i, i%chains)
	}
	for i := range chains {
		for j := range i % 4 { // 0 to 3 rules
			fmt.Fprintf(&b, "-A C%05d -s 10.244.%d.%d/32 -p tcp -m statistic --mode random --probability %.11f -j DNAT --to-destination 10.244.%d.%d:%d\n", i, i/250, i%250, []float64{0.5, 0.25, 0.125}[j], i/250, i%250, 8000+j)
		}
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// TestStreamManyChainsAgainstIptablesNft: Save and ListTable of a table
// of 1500 chains (two sockets, blocks taken in turn) print exactly what
// iptables-nft-save and iptables-nft -L print of the same table.
func TestStreamManyChainsAgainstIptablesNft(t *testing.T) {
	p := newPair(t, ProtocolIPv4)
	home, err := nsthread.Process()
	if err != nil {
		t.Fatal(err)
	}
	text := manyChainsText(1500)
	if out, err := p.ref.RunInput([]byte(text), "iptables-nft-restore"); err != nil {
		t.Fatalf("iptables-nft-restore: %v\n%s", err, out)
	}
	ipt, err := New(NetNS(p.ref.Name))
	if err != nil {
		t.Fatal(err)
	}
	var ours bytes.Buffer
	if err := ipt.Save(&ours, "nat"); err != nil {
		t.Fatal(err)
	}
	want := p.ref.MustRun(t, "iptables-nft-save", "-t", "nat")
	if a, b := stripComments(ours.String()), stripComments(want); a != b {
		t.Fatalf("Save differs from iptables-nft-save:\n%s", firstDiff(a, b))
	}
	for _, form := range []struct {
		opts ListOptions
		args []string
	}{
		{ListOptions{Numeric: true, Verbose: true}, []string{"-t", "nat", "-nvL"}},
		{ListOptions{Numeric: true, LineNumbers: true}, []string{"-t", "nat", "-nL", "--line-numbers"}},
	} {
		ours.Reset()
		if err := ipt.ListTable(&ours, "nat", "", form.opts); err != nil {
			t.Fatal(err)
		}
		if want := p.ref.MustRun(t, "iptables-nft", form.args...); ours.String() != want {
			t.Fatalf("ListTable %v differs from iptables-nft %v:\n%s", form.opts, form.args, firstDiff(ours.String(), want))
		}
	}
	// The second socket was made in the namespace on a thread of its
	// own, which went back: no thread of this process is left there.
	if err := threadsAt(home); err != nil {
		t.Fatal(err)
	}
}

// TestStreamManyChainsFake: the same read over the fake kernel, whose
// sibling connection reaches the same in-memory ruleset: Save gives back
// what Restore wrote.
func TestStreamManyChainsFake(t *testing.T) {
	ipt, err := New(WithConn(xtnl.OpenFake()))
	if err != nil {
		t.Fatal(err)
	}
	text := manyChainsText(700)
	if err := ipt.Restore(strings.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	var ours bytes.Buffer
	if err := ipt.Save(&ours, "nat"); err != nil {
		t.Fatal(err)
	}
	if got := stripComments(ours.String()); got != text {
		t.Fatalf("Save of the fake:\n%s", firstDiff(got, text))
	}
}

// firstDiff shows the first line at which a and b differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n ours: %q\n want: %q", i+1, x, y)
		}
	}
	return "(equal)"
}
