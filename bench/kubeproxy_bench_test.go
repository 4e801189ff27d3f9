package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/compat"
	"github.com/xtnl/xtnl/netnstest"
)

// BenchmarkKPParts runs xtnl's side of the kube-proxy rows in one process,
// each iteration in a fresh namespace, so that a CPU profile of one row is
// a `-cpuprofile` away: full (the full sync), resync (the partial re-sync
// after a full sync), save and list (table nat after a full sync). Run
// with -benchtime 1x or a small count; -bench 'KPParts/save-10k' picks one.
func BenchmarkKPParts(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root (network namespaces)")
	}
	for _, size := range []int{1_000, 10_000} {
		full := kpBuild(size, true).text()
		resync := kpBuild(size, false).text()
		for _, work := range []string{"full", "resync", "save", "list"} {
			b.Run(work+"-"+sizeName(size), func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					ns := netnstest.New(b)
					c, err := xtnl.Open(xtnl.WithNetNS(ns.Name))
					if err != nil {
						b.Fatal(err)
					}
					ipt, err := compat.New(compat.WithConn(c))
					if err != nil {
						b.Fatal(err)
					}
					if work != "full" {
						if err := ipt.Restore(bytes.NewReader(full), compat.NoFlush(), compat.RestoreCounters()); err != nil {
							b.Fatal(err)
						}
						// A fresh process's connection: nothing cached.
						c.Close()
						if c, err = xtnl.Open(xtnl.WithNetNS(ns.Name)); err != nil {
							b.Fatal(err)
						}
						if ipt, err = compat.New(compat.WithConn(c)); err != nil {
							b.Fatal(err)
						}
					}
					runtime.GC()
					b.StartTimer()
					// The label lets `go tool pprof -tagfocus row=WORK` keep only
					// the timed call out of a profile that holds the set-up too.
					pprof.Do(context.Background(), pprof.Labels("row", work), func(context.Context) {
						switch work {
						case "full":
							err = ipt.Restore(bytes.NewReader(full), compat.NoFlush(), compat.RestoreCounters())
						case "resync":
							err = ipt.Restore(bytes.NewReader(resync), compat.NoFlush(), compat.RestoreCounters())
						case "save":
							err = ipt.Save(io.Discard, kpTable)
						case "list":
							err = ipt.ListTable(io.Discard, kpTable, "", compat.ListOptions{Numeric: true, Verbose: true})
						}
					})
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					c.Close()
					b.StartTimer()
				}
			})
		}
	}

}
