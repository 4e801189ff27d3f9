package compat

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xtnl/xtnl/internal/ipttest"
	"github.com/xtnl/xtnl/internal/nsthread"
)

// TestIptablesConformance replays iptables' own extension tests (the *.t
// files of iptables' source tree, read as iptables-test.py reads them:
// libipt_ files in IPv4, libip6t_ in IPv6, libxt_ in both) against xtnl,
// with iptables-nft 1.8.9 as the oracle, not the files' expectations
// (where those two part is reported, as information). Each rule line goes,
// in each of its chains and families, into one namespace through
// iptables-nft and into another through compat's Append; then decisions,
// writes (iptables-nft-save, nft --debug=netlink, netlink bytes), reads
// and iptables' listing forms are compared (see extCheck).
//
// The files are not part of the repository: XTNL_IPTABLES_TESTS names
// their directory (a relative path is taken from the working directory,
// else from the module's root); without it the test is skipped. Other
// knobs:
//
//	XTNL_IPTABLES_TESTS_FILES    glob of the base names to run ("libxt_tcp.t")
//	XTNL_IPTABLES_TESTS_WORKERS  namespace pairs run in parallel (default 3)
//	XTNL_IPTABLES_TESTS_REPORT   file to write the full report to
//	XTNL_IPTABLES_TESTS_UPDATE=1 rewrite testdata/ipttests_baseline.txt
//
// The baseline lists the disagreements known today (mostly extensions
// compat does not have yet): the test fails on any disagreement it does
// not list, and on any entry it lists that now agrees or no longer exists
// (a stale entry), so that the list only ever shrinks on purpose.
func TestIptablesConformance(t *testing.T) {
	dir := os.Getenv("XTNL_IPTABLES_TESTS")
	if dir == "" {
		t.Skip("iptables' extension tests not run: set XTNL_IPTABLES_TESTS to the directory of their *.t files (CI: ../shared/iptables-tests)")
	}
	dir = resolveTestsDir(t, dir)
	if os.Geteuid() != 0 {
		t.Skip("iptables' extension tests need root (network namespaces)")
	}
	needExtTools(t)
	pattern := os.Getenv("XTNL_IPTABLES_TESTS_FILES")
	files, err := ipttest.LoadDir(dir, pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no iptables test files in %s (matching %q)", dir, pattern)
	}
	const baselinePath = "testdata/ipttests_baseline.txt"
	baseline, err := readExtBaseline(baselinePath)
	if err != nil {
		t.Fatal(err)
	}
	updating := os.Getenv("XTNL_IPTABLES_TESTS_UPDATE") == "1"
	home, err := nsthread.Process()
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	results, err := runExtFiles(files, extWorkers(t))
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if err := threadsAt(home); err != nil {
		t.Errorf("after the run: %v", err)
	}

	var report strings.Builder
	total := newExtTally()
	byFamily := map[ipttest.Family]*extTally{ipttest.IPv4: newExtTally(), ipttest.IPv6: newExtTally()}
	for _, r := range results {
		tally := newExtTally()
		for _, o := range r.outcomes {
			tally.add(o)
			total.add(o)
			byFamily[o.id.fam].add(o)
		}
		t.Run(r.file.Name, func(t *testing.T) {
			report.WriteString(judgeExtFile(t, r, tally, baseline, updating))
		})
	}
	if pattern == "" {
		for _, e := range baseline.filesOtherThan(results) {
			baselineError(t, updating, "stale baseline entry: %s (no such file among the tests)", e)
		}
	}
	summary := fmt.Sprintf("%sTOTAL %d files: %s\n  iptables  (IPv4): %s\n  ip6tables (IPv6): %s\nby check: %s\nelapsed %v with %d workers\n%s",
		notRun(dir), len(results), total, byFamily[ipttest.IPv4], byFamily[ipttest.IPv6], checkTally(results),
		elapsed.Round(time.Second), extWorkers(t), categoryReport(results))
	t.Log("\n" + summary)
	report.WriteString(summary)
	report.WriteString(expectationReport(results))
	if path := os.Getenv("XTNL_IPTABLES_TESTS_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(report.String()), 0o644); err != nil {
			t.Errorf("write report: %v", err)
		}
	}
	if updating {
		if err := writeExtBaseline(baselinePath, baseline, results, pattern != ""); err != nil {
			t.Fatal(err)
		}
		t.Logf("baseline %s rewritten", baselinePath)
	}
}

// notRun says which of the directory's files the runner leaves out:
// ebtables' and arptables' (compat speaks for iptables and ip6tables).
func notRun(dir string) string {
	names, _ := filepath.Glob(filepath.Join(dir, "*.t"))
	var out []string
	for _, n := range names {
		if len(ipttest.FamiliesOf(filepath.Base(n))) == 0 {
			out = append(out, filepath.Base(n))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return fmt.Sprintf("not run: %d ebtables and arptables files (%s, ...)\n", len(out), out[0])
}

// baselineError fails the test on a disagreement with the baseline, or
// only logs it while the baseline is being rewritten.
func baselineError(t *testing.T, updating bool, format string, args ...any) {
	t.Helper()
	if updating {
		t.Logf(format, args...)
		return
	}
	t.Errorf(format, args...)
}

// threadsAt checks that the process and every thread of it are in the
// network namespace home: the runner enters namespaces only through
// nsthread, which brings each thread back.
func threadsAt(home nsthread.ID) error {
	if id, err := nsthread.Process(); err != nil || id != home {
		return fmt.Errorf("the process (its main thread) is in %v (%v), not %v", id, err, home)
	}
	tasks, err := filepath.Glob("/proc/self/task/*")
	if err != nil {
		return err
	}
	for _, task := range tasks {
		if id, err := nsthread.OfPath(task + "/ns/net"); err == nil && id != home {
			return fmt.Errorf("thread %s is left in %v, not %v", filepath.Base(task), id, home)
		}
	}
	return nil
}

// resolveTestsDir finds the tests' directory: as given, or relative to
// the module's root (CI gives a path relative to the repository, while
// go test runs in the package's directory).
func resolveTestsDir(t *testing.T, dir string) string {
	t.Helper()
	if st, err := os.Stat(dir); err == nil && st.IsDir() || filepath.IsAbs(dir) {
		return dir
	}
	if st, err := os.Stat(filepath.Join("..", dir)); err == nil && st.IsDir() {
		return filepath.Join("..", dir)
	}
	t.Fatalf("XTNL_IPTABLES_TESTS=%s: no such directory, from here or from the module's root", dir)
	return ""
}

// needExtTools fails the test, naming the Debian package, when a tool the
// oracle needs is missing.
func needExtTools(t *testing.T) {
	t.Helper()
	for tool, pkg := range map[string]string{
		"iptables-nft": "iptables", "ip6tables-nft": "iptables",
		"iptables-nft-save": "iptables", "ip6tables-nft-save": "iptables",
		"nft": "nftables", "sh": "dash",
	} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: apt-get install -y %s", tool, pkg)
		}
	}
}

// extWorkers is the number of namespace pairs run in parallel. Most of a
// case's time is spent waiting for iptables-nft processes, so a few more
// than the CPUs keep them busy.
func extWorkers(t *testing.T) int {
	s := os.Getenv("XTNL_IPTABLES_TESTS_WORKERS")
	if s == "" {
		return 3
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("XTNL_IPTABLES_TESTS_WORKERS=%q: want a positive number", s)
	}
	return n
}

// runExtFiles runs the files on workers namespace pairs, largest files
// first so that no worker is left with a long one at the end. Results
// come back in the files' order.
func runExtFiles(files []*ipttest.File, workers int) ([]*extFileResult, error) {
	runners := make([]*extRunner, workers)
	for i := range runners {
		r, err := newExtRunner()
		if err != nil {
			for _, r := range runners[:i] {
				r.close()
			}
			return nil, fmt.Errorf("namespaces: %w", err)
		}
		runners[i] = r
	}
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	size := func(f *ipttest.File) int { return len(f.Cases()) * len(f.Families) }
	sort.SliceStable(order, func(i, j int) bool { return size(files[order[i]]) > size(files[order[j]]) })
	queue := make(chan int)
	results := make([]*extFileResult, len(files))
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				start := time.Now()
				results[i] = r.runFile(files[i])
				results[i].elapsed = time.Since(start)
			}
		}()
	}
	for _, i := range order {
		queue <- i
	}
	close(queue)
	wg.Wait()
	var errs []string
	for _, r := range runners {
		if err := r.close(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return results, fmt.Errorf("deleting namespaces: %s", strings.Join(errs, "; "))
	}
	return results, nil
}

// judgeExtFile logs a file's tally and disagreements, fails the test on
// those the baseline does not list and on the entries it lists for the
// file that now agree or name no case (stale), and returns the file's part
// of the report.
func judgeExtFile(t *testing.T, r *extFileResult, tally *extTally, baseline extBaseline, updating bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (%v)\n", r.file.Name, tally, r.elapsed.Round(time.Millisecond))
	for _, n := range r.notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	ran := map[extCaseID]bool{}
	var stale []string
	for _, o := range r.outcomes {
		ran[o.id] = true
		if o.harness != "" {
			t.Errorf("%s `%s`: runner: %s", o.id, truncate(o.rule, 160), o.harness)
			fmt.Fprintf(&b, "%s RUNNER %s\n", o.id, o.harness)
		}
		for _, p := range o.panics {
			fmt.Fprintf(&b, "%s PANIC in compat on `%s`: %s\n", o.id, o.rule, p)
		}
		b.WriteString(o.describe())
		for _, c := range extChecks {
			_, bad := o.diffs[c]
			known := baseline.has(c, o.id)
			switch {
			case bad && !known:
				baselineError(t, updating, "new disagreement (not in the baseline): %s %s `%s`\n%s",
					o.id, c, truncate(o.rule, 160), o.diffs[c])
			case !bad && known && o.harness == "":
				stale = append(stale, fmt.Sprintf("%s %s", c, o.id))
			}
		}
	}
	for _, e := range baseline.entriesOf(r.file) {
		if !ran[e.id] {
			stale = append(stale, fmt.Sprintf("%s %s (no such case)", e.check, e.id))
		}
	}
	if len(stale) > 0 {
		sort.Strings(stale)
		baselineError(t, updating, "stale baseline entries, they now agree: drop them from testdata/ipttests_baseline.txt (or rewrite it with XTNL_IPTABLES_TESTS_UPDATE=1):\n  %s",
			strings.Join(stale, "\n  "))
		fmt.Fprintf(&b, "  stale baseline entries: %s\n", strings.Join(stale, ", "))
	}
	t.Log("\n" + b.String())
	return b.String()
}

// expectationReport lists where iptables-nft 1.8.9 parts from the files'
// expectations (written for 1.8.11): information, not failures.
func expectationReport(results []*extFileResult) string {
	var b strings.Builder
	n := 0
	for _, r := range results {
		for _, o := range r.outcomes {
			if o.expectation != "" {
				n++
				fmt.Fprintf(&b, "  %s `%s`: %s\n", o.id, truncate(o.rule, 120), o.expectation)
			}
		}
	}
	return fmt.Sprintf("iptables-nft 1.8.9 against the files' expectations: %d cases differ\n%s", n, b.String())
}
