package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/netnstest"
	"github.com/xtnl/xtnl/nft"
	"golang.org/x/sys/unix"
)

// TestXtnlNftWritesNftsRules: the xtnl nft peer, its Apply alone and the
// floor of its messages, fed the script the nft -f peer feeds nft, leave
// in the kernel exactly what nft 1.0.6 leaves, attribute for attribute
// (table, chains, and every rule's expressions), handles aside: so the
// load row compares the same work.
func TestXtnlNftWritesNftsRules(t *testing.T) {
	exe := self(t)
	const n = 300 // rules whose addresses and ports span more than one byte
	kernelState := func(p *peer) []string {
		t.Helper()
		var got []string
		_, _, err := runOnce(exe, job{work: workLoad}, n, p, func(ns *netnstest.NS) error {
			var err error
			got, err = dumpFilter(ns)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := kernelState(nftPeer)
	if len(want) != 1+4+n {
		t.Fatalf("nft -f left %d objects, want the table, 4 chains and %d rules", len(want), n)
	}
	for _, p := range []*peer{xtnlNftPeer, xtnlNftApplyPeer, nftFloorPeer} {
		got := kernelState(p)
		if len(got) != len(want) {
			t.Errorf("%s left %d objects, nft -f %d", p.name, len(got), len(want))
		}
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Errorf("%s: object %d differs from nft -f's:\n got %s\nwant %s", p.name, i, got[i], want[i])
				break
			}
		}
	}
}

// dumpFilter dumps ip table filter, its chains and its rules from ns, each
// object as the hex of its attributes in the kernel's order, handles and
// positions left out (they number objects, and may differ between two
// writers of the same ruleset).
func dumpFilter(ns *netnstest.NS) ([]string, error) {
	f, err := os.Open("/run/netns/" + ns.Name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := dialRawIn(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	defer c.close()
	var out []string
	for _, d := range []struct {
		get, obj  uint16
		tableAttr uint16
		drop      []uint16
	}{
		{unix.NFT_MSG_GETTABLE, unix.NFT_MSG_NEWTABLE, unix.NFTA_TABLE_NAME, []uint16{nftaTableHandle}},
		{unix.NFT_MSG_GETCHAIN, unix.NFT_MSG_NEWCHAIN, unix.NFTA_CHAIN_TABLE, []uint16{unix.NFTA_CHAIN_HANDLE}},
		{unix.NFT_MSG_GETRULE, unix.NFT_MSG_NEWRULE, unix.NFTA_RULE_TABLE, []uint16{unix.NFTA_RULE_HANDLE, unix.NFTA_RULE_POSITION}},
	} {
		c.seq++
		seq := c.seq
		var e enc
		s := e.begin(nftType(d.get), unix.NLM_F_REQUEST|unix.NLM_F_DUMP, seq, unix.NFPROTO_IPV4, 0)
		if d.get != unix.NFT_MSG_GETTABLE {
			e.str(d.tableAttr, benchTable)
		}
		e.end(s)
		var objs []string
		err := c.dump(e.b, seq, "dump", func(typ uint16, data []byte) error {
			if typ != nftType(d.obj) {
				return nil
			}
			if len(data) < nfnlHdrLen {
				return errors.New("netlink: truncated message")
			}
			o := fmt.Sprintf("family %d:", data[0])
			for a := data[nfnlHdrLen:]; len(a) >= 4; {
				l := int(binary.NativeEndian.Uint16(a))
				if l < 4 || l > len(a) {
					return errors.New("netlink: truncated attribute")
				}
				if !slices.Contains(d.drop, binary.NativeEndian.Uint16(a[2:])&^unix.NLA_F_NESTED) {
					o += fmt.Sprintf(" %x", a[:l])
				}
				a = a[min((l+3)&^3, len(a)):]
			}
			objs = append(objs, o)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if d.get != unix.NFT_MSG_GETRULE {
			// Tables and chains come in the kernel's hash order: sort
			// them; rules come in their chain's order, which counts.
			slices.Sort(objs)
		}
		out = append(out, objs...)
	}
	return out, nil
}

const nftaTableHandle = 4 // NFTA_TABLE_HANDLE (x/sys/unix lacks it)

// BenchmarkNftLoadParts splits the xtnl nft peer's load of the bench's nft
// script (sizes 10k and 100k) into its parts, in one process, each after
// a GC: nft.Compile, Program.AddTo (the messages copied into an xtnl.Tx)
// and Tx.Commit (the send and the kernel's answer), reported as ms per
// part. Run with -benchtime 1x: each iteration loads into a fresh
// namespace.
func BenchmarkNftLoadParts(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root (network namespaces)")
	}
	for _, n := range []int{10_000, 100_000} {
		b.Run(sizeName(n), func(b *testing.B) {
			script := string(nftScript(n))
			var parts [3]time.Duration
			for b.Loop() {
				b.StopTimer()
				ns := netnstest.New(b)
				c, err := xtnl.Open(xtnl.WithNetNS(ns.Name))
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				b.StartTimer()
				t0 := time.Now()
				prog, err := nft.Compile(script, nft.Options{File: "/dev/stdin", Lookup: nft.ConnLookup(c)})
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				b.StopTimer()
				runtime.GC()
				b.StartTimer()
				t2 := time.Now()
				tx := c.Begin()
				prog.AddTo(tx)
				t3 := time.Now()
				err = tx.Commit()
				t4 := time.Now()
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				parts[0] += t1.Sub(t0)
				parts[1] += t3.Sub(t2)
				parts[2] += t4.Sub(t3)
				c.Close()
				_, _ = ns.Run("nft", "flush", "ruleset")
				b.StartTimer()
			}
			for i, name := range []string{"compile-ms", "addto-ms", "commit-ms"} {
				b.ReportMetric(float64(parts[i].Milliseconds())/float64(b.N), name)
			}
		})
	}
}
