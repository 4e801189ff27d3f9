package main

import (
	"fmt"
	"io"
)

// printTargets checks the measured medians against the targets of the
// Performance issue, each as a ratio measured in this very run.
func printTargets(w io.Writer, got, rss samples) {
	med := func(s samples, row, peer string) (float64, bool) {
		xs := s[row][peer]
		if len(xs) == 0 {
			return 0, false
		}
		return median(xs), true
	}
	ratio := func(rowA, peerA, rowB, peerB string) (float64, bool) {
		a, okA := med(got, rowA, peerA)
		b, okB := med(got, rowB, peerB)
		return a / b, okA && okB && b > 0
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	x, g, f := xtnlPeer.name, goiptablesPeer.name, floorPeer.name
	var lines []string
	// atMost/atLeast report one target; a target whose cells did not run
	// is left out.
	atMost := func(what string, r float64, ok bool, limit float64) {
		if ok {
			lines = append(lines, fmt.Sprintf("%s: %s (target ≤ %s): %s", what, fmtRatio(r), fmtRatio(limit), verdict(r <= limit)))
		}
	}
	atLeast := func(what string, r float64, ok bool, limit float64) {
		if ok {
			lines = append(lines, fmt.Sprintf("%s: %s (target ≥ %s): %s", what, fmtRatio(r), fmtRatio(limit), verdict(r >= limit)))
		}
	}

	for _, n := range []int{100, 1_000, 10_000} {
		row := rowTitle(workAppend, varSingleton, n)
		r, ok := ratio(row, x, row, f)
		atMost("compat Append, chain of "+sizeName(n)+", over the floor", r, ok, 1.2)
	}
	conc := rowTitle(workConcurrent, varSingleton, 10_000)
	r, ok := ratio(conc, x, rowTitle(workAppend, varSingleton, 10_000), f)
	atMost(fmt.Sprintf("%d concurrent compat Appends into a 10k chain, over one floor append into it", concurrentN), r, ok, 5)
	for _, v := range []string{varFirst, varAgain} {
		row := rowTitle(workExists, v, 10_000)
		r, ok := ratio(row, g, row, x)
		atLeast(row+", go-iptables over compat", r, ok, 1000)
	}
	row := rowTitle(workList, varAgain, 10_000)
	r, ok = ratio(row, g, row, x)
	atLeast(row+", go-iptables over compat", r, ok, 30)
	row = rowTitle(workList, varChanged, 10_000)
	r, ok = ratio(row, x, row, f)
	atMost(row+", compat over the raw dump", r, ok, 1.5)
	for _, n := range []int{10_000, 100_000} {
		row := rowTitle(workLoad, varSingleton, n)
		r, ok := ratio(row, x, row, f)
		atMost("compat Restore of "+sizeName(n)+" rules over the floor", r, ok, 1.15)
	}
	small, okS := med(got, rowTitle(workLoad, varSingleton, 1_000), x)
	big, okB := med(got, rowTitle(workLoad, varSingleton, 100_000), x)
	atMost("compat Restore per-rule cost, 100k over 1k", (big/100_000)/(small/1_000), okS && okB && small > 0, 1.5)
	if kib, ok := med(rss, rowTitle(workLoad, varSingleton, 100_000), x); ok {
		mib := kib / 1024
		lines = append(lines, fmt.Sprintf("peak RSS of the process running compat Restore of 100k rules: %.0f MiB (target ≤ 100 MiB): %s", mib, verdict(mib <= 100)))
	}
	// xtnl's nft package: compile and load of nft -f's script.
	xn, xnf, nf := xtnlNftPeer.name, nftFloorPeer.name, nftPeer.name
	row = rowTitle(workLoad, varSingleton, 100_000)
	r, ok = ratio(row, xn, row, nf)
	atMost("xtnl nft compile and load of 100k rules (nft -f's script) over nft -f", r, ok, 0.5)
	r, ok = ratio(row, xn, row, xnf)
	atMost("xtnl nft compile and load of 100k rules over the kernel floor of its messages (nft floor)", r, ok, 1.2)
	if kib, ok := med(rss, row, xn); ok {
		l := fmt.Sprintf("peak RSS of the process running xtnl nft's compile and load of 100k rules: %.0f MiB", kib/1024)
		if nk, ok := med(rss, row, nf); ok {
			l += fmt.Sprintf(" (nft -f's: %.0f MiB)", nk/1024)
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Targets of the Performance issue, from this run's medians:")
	fmt.Fprintln(w)
	for _, l := range lines {
		fmt.Fprintln(w, "- "+l)
	}
}
