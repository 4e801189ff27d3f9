// Command bench measures xtnl against the other ways of changing the
// firewall from Go (go-iptables, iptables-nft-restore, nft -f, knftables)
// and against the kernel's own cost (the floor: pre-encoded messages sent as
// one batch on a bare netlink socket), on the workloads of the Performance
// issue; on the load workload, xtnl's nft compiler too, against nft -f and
// the floor of the messages it writes. Every run happens in a fresh network
// namespace and a fresh child process; each cell is the median of -n runs.
// It prints one markdown table of medians and ratios, and the machine it
// ran on.
//
//	cd bench && go run . [-n 5] [-quick]   # as root
//
// It is its own module so that the peers' dependencies never enter xtnl's
// go.mod.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/xtnl/xtnl/netnstest"
)

// job is one workload at the sizes it runs at.
type job struct {
	work    string
	sizes   []int
	preload bool // BENCH is filled with size rules (by iptables-nft-restore) before the run
	// kpPreload: table nat holds kube-proxy's full sync of size services
	// (kpPreload, the floor's batch) before the run.
	kpPreload bool
}

func plan(quick bool) []job {
	loads := []int{1_000, 10_000, 100_000}
	kp := []int{1_000, 10_000}
	if quick {
		loads = []int{1_000, 10_000}
		kp = []int{1_000}
	}
	return []job{
		{work: workAppend, sizes: []int{100, 1_000, 10_000}, preload: true},
		{work: workExists, sizes: []int{10_000}, preload: true},
		{work: workList, sizes: []int{10_000}, preload: true},
		{work: workLoad, sizes: loads},
		{work: workConcurrent, sizes: []int{10_000}, preload: true},
		{work: workKPFull, sizes: kp},
		{work: workKPResync, sizes: kp, kpPreload: true},
		{work: workKPSave, sizes: kp, kpPreload: true},
		{work: workKPList, sizes: kp, kpPreload: true},
		{work: workKPExists, sizes: kp, kpPreload: true},
	}
}

// selected reports whether -only picks a workload ("kubeproxy" picks
// every kube-proxy one).
func selected(only []string, work string) bool {
	return len(only) == 0 || slices.Contains(only, work) || isKPWork(work) && slices.Contains(only, "kubeproxy")
}

// variants lists a workload's measurements in the order of the table.
func variants(work string) []string {
	switch work {
	case workExists:
		return []string{varFirst, varAgain}
	case workList:
		return []string{varFirst, varAgain, varChanged}
	}
	return []string{varSingleton}
}

func sizeName(n int) string {
	switch {
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// rowTitle names a row of the table.
func rowTitle(work, variant string, size int) string {
	n := sizeName(size)
	switch work {
	case workAppend:
		return "append 1 rule (own commit), chain of " + n
	case workExists:
		if variant == varFirst {
			return "Exists, chain of " + n + ": first call"
		}
		return "Exists, chain of " + n + ": repeated"
	case workList:
		switch variant {
		case varFirst:
			return "List, chain of " + n + ": first read"
		case varAgain:
			return "List, chain of " + n + ": unchanged since last read"
		}
		return "List, chain of " + n + ": after another process changed it"
	case workLoad:
		return "load " + n + " rules atomically"
	case workConcurrent:
		return fmt.Sprintf("%d goroutines append 1 rule each, chain of %s (until all return)", concurrentN, n)
	case workKPFull:
		return "kube-proxy full sync, " + n + " services"
	case workKPResync:
		return "kube-proxy partial re-sync (1% of services), " + n + " services"
	case workKPSave:
		return "kube-proxy Save of nat, " + n + " services"
	case workKPList:
		return "kube-proxy ListTable of nat (-nvL), " + n + " services"
	case workKPExists:
		return "kube-proxy Exists after own Append, " + n + " services"
	}
	return work + " " + variant + " " + n
}

func main() {
	var (
		child   = flag.String("child", "", "internal: run one workload in this process (already inside its namespace)")
		peerArg = flag.String("peer", "", "internal: the peer of -child")
		size    = flag.Int("size", 0, "internal: the size of -child")
		n       = flag.Int("n", 5, "runs per cell (the table shows medians)")
		quick   = flag.Bool("quick", false, "short run for CI: 1 run per cell unless -n is given, no 100k load")
		only    = flag.String("only", "", "comma-separated workloads to run (append,exists,list,load,concurrent, kp-full,kp-resync,kp-save,kp-list,kp-exists or kubeproxy for all five); all by default")
		peerSel = flag.String("peers", "", "comma-separated peers to run; all by default")
		verbose = flag.Bool("v", false, "print every run's measurements on standard error")
		kpText  = flag.String("print-kubeproxy", "", "print the kube-proxy workloads' restore input of -size services (full or resync) and exit")
	)
	flag.Parse()
	if *kpText != "" {
		if *kpText != "full" && *kpText != "resync" || *size < 1 {
			fmt.Fprintln(os.Stderr, "bench: -print-kubeproxy full|resync -size N")
			os.Exit(2)
		}
		os.Stdout.Write(kpBuild(*size, *kpText == "full").text())
		return
	}
	if *child != "" {
		if err := childMain(*child, *peerArg, *size); err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		return
	}
	nSet := false
	flag.Visit(func(f *flag.Flag) { nSet = nSet || f.Name == "n" })
	if *quick && !nSet {
		*n = 1
	}
	if err := run(*n, *quick, split(*only), split(*peerSel), *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// samples holds measurements: row title → peer → values (seconds, or
// KiB for peak RSS).
type samples map[string]map[string][]float64

func (s samples) add(row, peer string, secs float64) {
	if s[row] == nil {
		s[row] = map[string][]float64{}
	}
	s[row][peer] = append(s[row][peer], secs)
}

func run(n int, quick bool, only, peerNames []string, verbose bool) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root (it creates network namespaces)")
	}
	if n < 1 {
		return fmt.Errorf("-n %d: need at least one run", n)
	}
	for _, tool := range []string{"ip", "iptables-nft", "iptables-nft-restore", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found (apt-get install -y iptables nftables iproute2): %w", tool, err)
		}
	}
	for _, name := range peerNames {
		if peerByName(name) == nil {
			return fmt.Errorf("unknown peer %q", name)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("own executable: %w", err)
	}
	var jobs []job
	for _, j := range plan(quick) {
		if selected(only, j.work) {
			jobs = append(jobs, j)
		}
	}
	if len(jobs) == 0 {
		return fmt.Errorf("-only %v selects no workload", only)
	}
	var cols []*peer
	for _, p := range peers {
		if len(peerNames) == 0 || slices.Contains(peerNames, p.name) {
			cols = append(cols, p)
		}
	}
	var rows, kpRows []string
	for _, j := range jobs {
		for _, size := range j.sizes {
			for _, v := range variants(j.work) {
				if isKPWork(j.work) {
					kpRows = append(kpRows, rowTitle(j.work, v, size))
				} else {
					rows = append(rows, rowTitle(j.work, v, size))
				}
			}
		}
	}

	began := time.Now()
	// rss: peak RSS as wait4 tells it (the child and what it ran);
	// childRSS: the child's own report (rssSelf, rssChildren, and the
	// floor's kpDumpWhole, kpDumpChains), by row and "peer/key".
	got, rss, childRSS := samples{}, samples{}, samples{}
	skipped := map[string]map[string]bool{}
	var notes []string
	for rep := range n {
		for _, j := range jobs {
			for _, size := range j.sizes {
				// Rotate the peers' order from one repetition to the next,
				// so slow drift on a shared machine favours no one.
				for k := range cols {
					p := cols[(k+rep)%len(cols)]
					if p.work[j.work] == nil {
						continue
					}
					row := rowTitle(j.work, variants(j.work)[0], size)
					if p.skips(j.work, size) {
						if skipped[row] == nil {
							skipped[row] = map[string]bool{}
						}
						if !skipped[row][p.name] && !slices.Contains(notes, p.skipNote) {
							notes = append(notes, p.skipNote)
						}
						skipped[row][p.name] = true
						continue
					}
					res, maxrss, err := runOnce(self, j, size, p, nil)
					if err != nil {
						return err
					}
					for v, secs := range res {
						if strings.HasPrefix(v, "rss.") || strings.HasPrefix(v, "dump.") {
							childRSS.add(row, p.name+"/"+v, secs)
							continue
						}
						got.add(rowTitle(j.work, v, size), p.name, secs)
					}
					rss.add(row, p.name, float64(maxrss))
					if verbose {
						fmt.Fprintf(os.Stderr, "run %d/%d %s %d %s: %v, peak RSS %d KiB\n", rep+1, n, j.work, size, p.name, res, maxrss)
					}
				}
			}
		}
		fmt.Fprintf(os.Stderr, "bench: repetition %d/%d done after %s\n", rep+1, n, time.Since(began).Round(time.Second))
	}
	took := time.Since(began)
	if len(rows) > 0 {
		printTable(os.Stdout, rows, cols, got, nil)
		printFootnote(os.Stdout, n, took)
		printTargets(os.Stdout, got, rss)
	}
	if len(kpRows) > 0 {
		if len(rows) > 0 {
			fmt.Fprintln(os.Stdout, "\nkube-proxy's table nat (S services, 3 endpoints each):")
			fmt.Fprintln(os.Stdout)
		}
		printTable(os.Stdout, kpRows, cols, got, skipped)
		if len(rows) == 0 {
			printFootnote(os.Stdout, n, took)
		}
		printKPNotes(os.Stdout, notes)
		printKPDumps(os.Stdout, kpRows, childRSS)
		printKPRSS(os.Stdout, jobs, cols, childRSS)
	}
	fmt.Fprintf(os.Stdout, "\nMachine: %s.\n", machine())
	return nil
}

// runOnce makes a fresh namespace, preloads it, runs the peer's workload
// in a child process inside it, and deletes it. It returns the child's
// measurements and its peak RSS in KiB (`ip netns exec` execs the child in
// place, so the process measured is the child itself). inspect, when not
// nil, sees the namespace after the run, before it is torn down.
func runOnce(self string, j job, size int, p *peer, inspect func(ns *netnstest.NS) error) (map[string]float64, int64, error) {
	ns, err := netnstest.Create("")
	if err != nil {
		return nil, 0, fmt.Errorf("create namespace: %w", err)
	}
	defer func() {
		// Tear the ruleset down now, synchronously, rather than leaving a
		// 100k-rule table to the kernel's namespace clean-up, which would
		// run in the background during the next measurement.
		_, _ = ns.Run("nft", "flush", "ruleset")
		if err := ns.Delete(); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
	}()
	if j.preload {
		if _, err := ns.RunInput(saveText(size), "iptables-nft-restore"); err != nil {
			return nil, 0, fmt.Errorf("preload %d rules: %w", size, err)
		}
	}
	if j.kpPreload {
		if err := preloadKP(self, ns, size); err != nil {
			return nil, 0, fmt.Errorf("preload kube-proxy's %d services: %w", size, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns.Name, self,
		"-child", j.work, "-peer", p.name, "-size", strconv.Itoa(size))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, 0, fmt.Errorf("%s %s %d: %w: %s", p.name, j.work, size, err, bytes.TrimSpace(errb.Bytes()))
	}
	var res map[string]float64
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, 0, fmt.Errorf("%s %s %d: child output %q: %w", p.name, j.work, size, out.String(), err)
	}
	var maxrss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxrss = ru.Maxrss
	}
	if inspect != nil {
		if err := inspect(ns); err != nil {
			return nil, 0, fmt.Errorf("%s %s %d: %w", p.name, j.work, size, err)
		}
	}
	return res, maxrss, nil
}

// preloadKP loads kube-proxy's full sync of size services into ns, in a
// process of its own (the bench's own memory stays small: every child's
// peak RSS as wait4 reports it starts from it, see childMain).
func preloadKP(self string, ns *netnstest.NS, size int) error {
	cmd := exec.Command("ip", "netns", "exec", ns.Name, self,
		"-child", workKPPreload, "-peer", floorPeer.name, "-size", strconv.Itoa(size))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func fmtDur(secs float64) string {
	switch {
	case secs >= 1:
		return fmt.Sprintf("%.2f s", secs)
	case secs >= 0.1:
		return fmt.Sprintf("%.0f ms", secs*1e3)
	case secs >= 0.01:
		return fmt.Sprintf("%.1f ms", secs*1e3)
	case secs >= 0.001:
		return fmt.Sprintf("%.2f ms", secs*1e3)
	}
	return fmt.Sprintf("%.3f ms", secs*1e3)
}

func fmtRatio(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f×", r)
	case r >= 10:
		return fmt.Sprintf("%.1f×", r)
	case r >= 0.1:
		return fmt.Sprintf("%.2f×", r)
	}
	return fmt.Sprintf("%.2g×", r)
}

// printTable writes the medians, each peer's ratio to the floor of its
// row, and xtnl's speed-up over every other peer (peer time / xtnl time).
// A peer with nothing in any of the rows has no column; one skipped at a
// row's size (skipped: row → peer) shows "-".
func printTable(w io.Writer, rows []string, all []*peer, got samples, skipped map[string]map[string]bool) {
	var cols []*peer
	for _, p := range all {
		for _, row := range rows {
			if len(got[row][p.name]) > 0 || skipped[row][p.name] {
				cols = append(cols, p)
				break
			}
		}
	}
	fmt.Fprint(w, "| work |")
	for _, p := range cols {
		fmt.Fprintf(w, " %s |", p.name)
	}
	fmt.Fprintln(w, " xtnl is faster than |")
	fmt.Fprint(w, "|---|")
	for range cols {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w, "---|")
	for _, row := range rows {
		med := map[string]float64{}
		for name, xs := range got[row] {
			med[name] = median(xs)
		}
		floor, hasFloor := med[floorPeer.name]
		fmt.Fprintf(w, "| %s |", row)
		for _, p := range cols {
			m, ok := med[p.name]
			switch {
			case !ok && skipped[row][p.name]:
				fmt.Fprint(w, " - |")
			case !ok:
				fmt.Fprint(w, " |")
			case hasFloor && p != floorPeer:
				fmt.Fprintf(w, " %s (%s floor%s) |", fmtDur(m), fmtRatio(m/floor), otherRatios(p, m, med))
			case otherRatios(p, m, med) != "":
				fmt.Fprintf(w, " %s (%s) |", fmtDur(m), strings.TrimPrefix(otherRatios(p, m, med), ", "))
			default:
				fmt.Fprintf(w, " %s |", fmtDur(m))
			}
		}
		var vs []string
		if x, ok := med[xtnlPeer.name]; ok {
			for _, p := range cols {
				if m, ok := med[p.name]; ok && p != xtnlPeer && !p.noSpeedup {
					vs = append(vs, p.name+" "+fmtRatio(m/x))
				}
			}
		}
		fmt.Fprintf(w, " %s |\n", strings.Join(vs, ", "))
	}
}

// otherRatios is the part of a cell of peer p (median m) that gives its
// ratios to its own floor and to the peer it replaces, where the row has
// them: ", 1.05× nft floor, 0.40× nft -f".
func otherRatios(p *peer, m float64, med map[string]float64) string {
	var s string
	for _, name := range []string{p.ownFloor, p.versus} {
		if o, ok := med[name]; ok && name != "" && o > 0 {
			s += ", " + fmtRatio(m/o) + " " + name
		}
	}
	return s
}

func printFootnote(w io.Writer, n int, took time.Duration) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Medians of %d run(s) per cell, each in a fresh network namespace and a fresh process; (N× floor) is the cell's median over the floor's on the same row (the cells of xtnl nft and xtnl nft apply also give it over nft floor's, the kernel floor of the messages they write, and xtnl nft's over nft -f's); \"xtnl is faster than\" is the peer's median over xtnl's (below 1× xtnl is slower). Whole run: %s.\n",
		n, took.Round(time.Second))
}
