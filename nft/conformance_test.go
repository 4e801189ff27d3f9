package nft

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/netnstest"
)

// The conformance runner: nft 1.0.6's tests/py (*.t files) run against
// the installed nft 1.0.6 as the oracle, in twin network namespaces
// (created once per worker and reused for every file). XTNL_NFT_TESTS
// names the directory holding the family folders (CI:
// ../shared/nft-tests); the test skips when it is unset. XTNL_NFT_FILES
// restricts the run to files whose path contains one of its
// comma-separated words.
//
// For every "ok" rule line, in every table and chain the file names:
//   - compile: the rule our compiler writes lists in `nft --debug=netlink
//     list table` (expressions and text) exactly as the rule nft writes;
//   - print: our printer lists what nft wrote exactly as `nft list table`.
//
// Every "fail" line must fail for both; set, element and object lines
// must be accepted or refused by both. Cases failing today are listed in
// testdata/conformance_baseline.txt (file:line:family:chain:check). The
// test fails on a failure not listed there and on a listed case that now
// passes (a stale entry); XTNL_NFT_UPDATE_BASELINE=1 rewrites the
// entries of the files that ran. The log reports, per file and per family, the cases
// ran and matched.

const baselineFile = "testdata/conformance_baseline.txt"

type tCase struct {
	file string // family/name.t
	line int
	rule string
	ok   bool
}

type tTable struct {
	fam    string
	name   string
	chains []string
}

type tFile struct {
	path   string
	rel    string
	chains map[string]string // name → spec
	tables []tTable
	setup  []setupLine // set, element and object lines, in file order
	cases  []tCase
}

// setupLine is a set, element or object line of a *.t file as an nft
// command, with %s standing for "family table".
type setupLine struct {
	line int
	cmd  string
	ok   bool
}

func parseTFile(dir, rel string) (*tFile, error) {
	f, err := os.Open(filepath.Join(dir, rel))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tf := &tFile{path: filepath.Join(dir, rel), rel: rel, chains: map[string]string{}}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t")
		if line == "" || line[0] == '#' || line[0] == '-' {
			continue
		}
		parts := strings.Split(line, ";")
		lineOK := len(parts) < 2 || strings.TrimSpace(parts[len(parts)-1]) != "fail"
		addSetup := func(cmd string) { tf.setup = append(tf.setup, setupLine{line: n, cmd: cmd, ok: lineOK}) }
		switch line[0] {
		case ':':
			if len(parts) >= 2 {
				tf.chains[parts[0][1:]] = parts[1]
			}
		case '*':
			if len(parts) >= 3 {
				tf.tables = append(tf.tables, tTable{fam: parts[0][1:], name: parts[1], chains: strings.Split(parts[2], ",")})
			}
		case '!':
			// !name type X [. Y] [timeout T] [flags F];ok
			toks := strings.Fields(parts[0][1:])
			if len(toks) < 3 {
				continue
			}
			name, typ := toks[0], toks[2]
			i := 3
			for i+1 < len(toks) && toks[i] == "." {
				typ += " . " + toks[i+1]
				i += 2
			}
			extra := ""
			if i+1 < len(toks) && toks[i] == "timeout" {
				extra += "timeout " + toks[i+1] + ";"
				i += 2
			}
			if i+1 < len(toks) && toks[i] == "flags" {
				extra += " flags " + toks[i+1] + "; "
			}
			kw := "set"
			if strings.Contains(typ, ":") {
				kw = "map"
			}
			addSetup(fmt.Sprintf("add %s %%s %s { type %s;%s}", kw, name, typ, extra))
		case '?':
			sp := strings.IndexByte(parts[0], ' ')
			if sp < 0 {
				continue
			}
			addSetup(fmt.Sprintf("add element %%s %s { %s }", parts[0][1:sp], parts[0][sp+1:]))
		case '%':
			toks := strings.Fields(parts[0][1:])
			if len(toks) < 3 {
				continue
			}
			typ := toks[2]
			rest := toks[3:]
			if typ == "ct" && len(rest) > 0 {
				typ += " " + rest[0]
				rest = rest[1:]
			}
			addSetup(fmt.Sprintf("add %s %%s %s %s", typ, toks[0], strings.Join(rest, " ")))
		default:
			if len(parts) < 2 {
				continue
			}
			st := strings.TrimSpace(parts[1])
			if st != "ok" && st != "fail" {
				continue
			}
			tf.cases = append(tf.cases, tCase{file: rel, line: n, rule: parts[0], ok: st == "ok"})
		}
	}
	return tf, sc.Err()
}

// twin is a pair of namespaces: nft writes in oracle, we write in ours.
type twin struct {
	oracle, ours *netnstest.NS
	oc, uc       *xtnl.Conn
}

func nftIn(ns *netnstest.NS, args ...string) (string, string, int) {
	cmd := nftCmd(ns, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
	}
	return out.String(), errb.String(), code
}

// nftCmd runs nft in ns through nsenter, which costs far less than `ip
// netns exec` (no remount of /sys per run).
func nftCmd(ns *netnstest.NS, args ...string) *exec.Cmd {
	return exec.Command("nsenter", append([]string{"--net=/run/netns/" + ns.Name, "nft"}, args...)...)
}

// result of one case: which checks failed.
type caseResult struct {
	kind   string // "ok" (a rule nft accepts), "fail" (a rule nft refuses), "setup" (a set, element or object line)
	key    string // file:line:family:chain
	failed []string
	detail []string
}

func (tw *twin) reset(tb testing.TB) {
	for _, ns := range []*netnstest.NS{tw.oracle, tw.ours} {
		if _, stderr, code := nftIn(ns, "flush", "ruleset"); code != 0 {
			tb.Fatalf("flush ruleset: %s", stderr)
		}
	}
}

// setupTable creates the table and its chains with nft in both
// namespaces, then runs the file's set, element and object lines in
// order: nft writes each in both namespaces, and our compiler's version
// is evaluated by the kernel in ours as a dry run. A line where we differ
// from nft (accepting what it refuses or the reverse) is a failure of
// check "setup".
func (tw *twin) setupTable(tf *tFile, tt tTable) ([]caseResult, error) {
	var script strings.Builder
	fmt.Fprintf(&script, "add table %s %s\n", tt.fam, tt.name)
	for _, ch := range tt.chains {
		spec := tf.chains[ch]
		if spec == "" {
			fmt.Fprintf(&script, "add chain %s %s %s\n", tt.fam, tt.name, ch)
		} else {
			fmt.Fprintf(&script, "add chain %s %s %s { %s; }\n", tt.fam, tt.name, ch, spec)
		}
	}
	for _, ns := range []*netnstest.NS{tw.oracle, tw.ours} {
		cmd := nftCmd(ns, "-f", "-")
		cmd.Stdin = strings.NewReader(script.String())
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("setup of %s %s: %v: %s", tt.fam, tt.name, err, out)
		}
	}
	var res []caseResult
	for _, sl := range tf.setup {
		line := fmt.Sprintf(sl.cmd, tt.fam+" "+tt.name)
		_, nftErr, code := nftInStdin(tw.oracle, line)
		nftOK := code == 0
		ourErr := tw.checkOurs(line)
		if nftOK {
			// nft writes the line in ours too, so that a rule's listing
			// differs only by the rule
			nftInStdin(tw.ours, line)
		}
		r := caseResult{kind: "setup", key: fmt.Sprintf("%s:%d:%s:*", tf.rel, sl.line, tt.fam)}
		switch {
		case nftOK && ourErr != nil:
			r.failed = append(r.failed, "setup")
			r.detail = append(r.detail, "setup line: nft accepts, we refuse: "+ourErr.Error())
		case !nftOK && ourErr == nil:
			r.failed = append(r.failed, "setup")
			r.detail = append(r.detail, "setup line: nft refuses, we accept: "+strings.TrimSpace(nftErr))
		}
		res = append(res, r)
	}
	return res, nil
}

// checkOurs compiles a script with our compiler and has the kernel
// evaluate it in ours without keeping it (Program.Check).
func (tw *twin) checkOurs(src string) error {
	prog, err := Compile(src, Options{File: "<cmdline>", Lookup: ConnLookup(tw.uc)})
	if err != nil {
		return err
	}
	return prog.Check(tw.uc)
}

func nftInStdin(ns *netnstest.NS, script string) (string, string, int) {
	cmd := nftCmd(ns, "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
	}
	return out.String(), errb.String(), code
}

func (tw *twin) runCase(tc tCase, tt tTable, chain string) caseResult {
	res := caseResult{kind: "ok", key: fmt.Sprintf("%s:%d:%s:%s", tc.file, tc.line, tt.fam, chain)}
	cmdline := fmt.Sprintf("add rule %s %s %s %s", tt.fam, tt.name, chain, tc.rule)
	_, nftErr, code := nftIn(tw.oracle, "add", "rule", tt.fam, tt.name, chain, tc.rule)
	nftOK := code == 0
	prog, cerr := Compile(cmdline, Options{File: "<cmdline>", Lookup: ConnLookup(tw.uc)})
	var ourErr error = cerr
	if cerr == nil {
		tx := tw.uc.Begin()
		prog.AddTo(tx)
		ourErr = tx.Commit()
	}
	if !tc.ok {
		if nftOK {
			// nft accepts a line the file says fails: compare as for ok.
			tc.ok = true
		} else {
			res.kind = "fail"
			if ourErr == nil {
				res.failed = append(res.failed, "fail")
				res.detail = append(res.detail, "we accepted a rule nft refuses: "+strings.TrimSpace(nftErr))
			}
			return res
		}
	}
	if !nftOK {
		// nft refuses an ok line (this kernel lacks a feature): we must
		// refuse too.
		if ourErr == nil {
			res.failed = append(res.failed, "kernel")
			res.detail = append(res.detail, "nft and this kernel refuse it, we did not: "+strings.TrimSpace(nftErr))
		} else {
			res.failed = append(res.failed, "refused")
			res.detail = append(res.detail, "refused here (nft too): "+strings.TrimSpace(nftErr))
		}
		return res
	}
	listArgs := []string{"--debug=netlink", "list", "table", tt.fam, tt.name}
	// One run prints both the expressions (debug) and the text listing.
	wantAll, _, _ := nftIn(tw.oracle, listArgs...)
	want, wantText := splitDebug(wantAll)
	if ourErr != nil {
		res.failed = append(res.failed, "compile")
		res.detail = append(res.detail, "compile: "+ourErr.Error())
	} else {
		gotAll, _, _ := nftIn(tw.ours, listArgs...)
		got, _ := splitDebug(gotAll)
		if g, w := withoutExpiring(noHandles(gotAll), noHandles(wantAll)); g != w {
			res.failed = append(res.failed, "compile")
			res.detail = append(res.detail, "compile: listing differs:\n--- nft\n"+want+"--- ours\n"+got)
		}
	}
	fam := families[tt.fam]
	gotText, perr := ListTable(tw.oc, fam, tt.name, &PrintOptions{})
	g, w := withoutExpiring(noExpiry(gotText), noExpiry(wantText))
	if perr != nil || g != w {
		res.failed = append(res.failed, "print")
		res.detail = append(res.detail, fmt.Sprintf("print: err %v\n--- nft\n%s--- ours\n%s", perr, wantText, gotText))
	}
	return res
}

// ruleHeader is the line --debug=netlink prints above a rule's
// expressions: family, table, chain and the rule's handle.
var ruleHeader = regexp.MustCompile(`(?m)^(\S+ \S+ \S+) \d+$`)

// noHandles drops the handles from rule headers: the two namespaces
// number rules apart (a dry run or a refused batch uses up handles too);
// blurs the time an element has left (noExpiry); and sorts each set's
// element lines: the kernel dumps a hash set's
// elements in an order of its own (its hash seed differs between
// namespaces).
func noHandles(s string) string {
	s = noExpiry(ruleHeader.ReplaceAllString(s, "$1"))
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && strings.HasPrefix(lines[j], "\telement ") {
			j++
		}
		if j > i {
			sort.Strings(lines[i:j])
			i = j
		} else {
			i++
		}
	}
	return strings.Join(lines, "\n")
}

// expiry is the time an element with a timeout has left, as nft prints
// it ("expires 29s796ms") and as --debug=netlink does ("expires 29796ms").
var expiry = regexp.MustCompile(`expires [0-9][0-9dhms]*`)

// noExpiry blurs the time elements have left: the twin namespaces added
// them a few milliseconds apart, and list them a few milliseconds apart.
// That an element expires is still compared; when, to the millisecond, is
// not.
func noExpiry(s string) string { return expiry.ReplaceAllString(s, "expires N") }

// withoutExpiring drops, from two listings to be compared, the elements
// of every set that either listing shows holding an element that expires:
// its "elements = { ... }" and its --debug=netlink element lines. An
// element of a few seconds (inet/sets.t's dead::beef timeout 5s) can be
// gone from one twin's listing and not yet from the other's, and the
// listings would differ by the clock alone. The set and element lines'
// own checks still compare the elements.
func withoutExpiring(a, b string) (string, string) {
	names := map[string]bool{}
	for _, s := range []string{a, b} {
		for _, m := range expiringSet.FindAllStringSubmatch(s, -1) {
			names[m[1]] = true
		}
	}
	if len(names) == 0 {
		return a, b
	}
	strip := func(s string) string {
		var out []string
		set, inDebugSet := "", false
		for _, l := range strings.Split(s, "\n") {
			if m := debugSetHeader.FindStringSubmatch(l); m != nil {
				inDebugSet = names[m[1]]
			} else if !strings.HasPrefix(l, "\telement ") {
				inDebugSet = false
			}
			if m := textSetHeader.FindStringSubmatch(l); m != nil {
				set = m[1]
			}
			if inDebugSet && strings.HasPrefix(l, "\telement ") {
				continue
			}
			if names[set] && strings.HasPrefix(strings.TrimLeft(l, "\t "), "elements = {") {
				continue
			}
			out = append(out, l)
		}
		return strings.Join(out, "\n")
	}
	return strip(a), strip(b)
}

var (
	expiringSet    = regexp.MustCompile(`\tset (\S+) \{[^}]*elements = \{[^}]*expires`)
	debugSetHeader = regexp.MustCompile(`^\S+ \S+ @(\S+)$`)
	textSetHeader  = regexp.MustCompile(`^\tset (\S+) \{`)
)

// splitDebug splits `nft --debug=netlink list` output into its
// expression part and its text listing (which starts at "table ").
func splitDebug(s string) (debug, text string) {
	if i := strings.Index(s, "\ntable "); i >= 0 {
		return s[:i+1], s[i+1:]
	}
	if strings.HasPrefix(s, "table ") {
		return "", s
	}
	return s, ""
}

func (tw *twin) flush(tt tTable) {
	f := families[tt.fam]
	_ = tw.oc.FlushTable(&xtnl.Table{Family: f, Name: tt.name})
	_ = tw.uc.FlushTable(&xtnl.Table{Family: f, Name: tt.name})
}

func loadBaseline() map[string]bool {
	b := map[string]bool{}
	data, err := os.ReadFile(baselineFile)
	if err != nil {
		return b
	}
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && l[0] != '#' {
			b[l] = true
		}
	}
	return b
}

func TestConformance(t *testing.T) {
	dir := os.Getenv("XTNL_NFT_TESTS")
	if dir == "" {
		t.Skip("XTNL_NFT_TESTS is unset: point it at nft 1.0.6's tests/py (CI: ../shared/nft-tests)")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Fatal("nft not found: apt-get install nftables (the oracle, nft 1.0.6)")
	}
	var files []string
	for _, fam := range []string{"any", "arp", "bridge", "inet", "ip", "ip6", "netdev"} {
		m, _ := filepath.Glob(filepath.Join(dir, fam, "*.t"))
		for _, p := range m {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
	}
	if len(files) == 0 {
		t.Fatalf("no *.t files under %s", dir)
	}
	if only := os.Getenv("XTNL_NFT_FILES"); only != "" {
		var sel []string
		for _, f := range files {
			for _, o := range strings.Split(only, ",") {
				if o != "" && strings.Contains(f, o) {
					sel = append(sel, f)
					break
				}
			}
		}
		files = sel
	}
	const workers = 3
	twins := make([]*twin, workers)
	for i := range twins {
		tw := &twin{oracle: netnstest.New(t), ours: netnstest.New(t)}
		var err error
		if tw.oc, err = xtnl.Open(xtnl.WithNetNS(tw.oracle.Name)); err != nil {
			t.Fatal(err)
		}
		if tw.uc, err = xtnl.Open(xtnl.WithNetNS(tw.ours.Name)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tw.oc.Close(); tw.uc.Close() })
		twins[i] = tw
	}
	type fileResult struct {
		file    string
		results []caseResult
		err     error
	}
	jobs := make(chan string)
	out := make(chan fileResult)
	var wg sync.WaitGroup
	for _, tw := range twins {
		wg.Add(1)
		go func(tw *twin) {
			defer wg.Done()
			for rel := range jobs {
				fr := fileResult{file: rel}
				tf, err := parseTFile(dir, rel)
				if err != nil {
					fr.err = err
					out <- fr
					continue
				}
				for _, tt := range tf.tables {
					tw.reset(t)
					sres, err := tw.setupTable(tf, tt)
					if err != nil {
						// nft could not create the table or a chain here
						// (this kernel lacks the hook): every case of the
						// table is refused.
						for _, tc := range tf.cases {
							fr.results = append(fr.results, caseResult{key: fmt.Sprintf("%s:%d:%s:*", tc.file, tc.line, tt.fam), failed: []string{"refused"}, detail: []string{err.Error()}})
						}
						continue
					}
					fr.results = append(fr.results, sres...)
					for _, tc := range tf.cases {
						for _, ch := range tt.chains {
							fr.results = append(fr.results, tw.runCase(tc, tt, ch))
							tw.flush(tt)
						}
					}
				}
				out <- fr
			}
		}(tw)
	}
	go func() {
		for _, f := range files {
			jobs <- f
		}
		close(jobs)
		wg.Wait()
		close(out)
	}()
	baseline := loadBaseline()
	var all []fileResult
	for fr := range out {
		all = append(all, fr)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].file < all[j].file })
	var failing []string
	type tally struct{ rules, compiled, printed, fails, failsOK, setup, setupOK, refused int }
	famT := map[string]*tally{}
	total := &tally{}
	for _, fr := range all {
		if fr.err != nil {
			t.Errorf("%s: %v", fr.file, fr.err)
			continue
		}
		ft := &tally{}
		for _, r := range fr.results {
			checks := map[string]bool{}
			for _, f := range r.failed {
				checks[f] = true
			}
			switch {
			case checks["refused"]:
				ft.refused++
				continue
			case r.kind == "setup":
				ft.setup++
				if len(r.failed) == 0 {
					ft.setupOK++
				}
			case r.kind == "fail":
				ft.fails++
				if len(r.failed) == 0 {
					ft.failsOK++
				}
			default:
				ft.rules++
				if !checks["compile"] {
					ft.compiled++
				}
				if !checks["print"] {
					ft.printed++
				}
			}
			for i, f := range r.failed {
				key := r.key + ":" + f
				failing = append(failing, key)
				if !baseline[key] {
					t.Errorf("new failure %s\n%s", key, r.detail[i])
				}
			}
		}
		t.Logf("%-22s rules %4d compile= %4d print= %4d | fail lines %3d refused by both %3d | set/element lines %3d matched %3d | refused by this kernel %3d",
			fr.file, ft.rules, ft.compiled, ft.printed, ft.fails, ft.failsOK, ft.setup, ft.setupOK, ft.refused)
		fam := filepath.Dir(fr.file)
		if famT[fam] == nil {
			famT[fam] = &tally{}
		}
		for _, dst := range []*tally{famT[fam], total} {
			dst.rules += ft.rules
			dst.compiled += ft.compiled
			dst.printed += ft.printed
			dst.fails += ft.fails
			dst.failsOK += ft.failsOK
			dst.setup += ft.setup
			dst.setupOK += ft.setupOK
			dst.refused += ft.refused
		}
	}
	famT["TOTAL"] = total
	for _, fam := range []string{"any", "arp", "bridge", "inet", "ip", "ip6", "netdev", "TOTAL"} {
		if ft := famT[fam]; ft != nil {
			t.Logf("family %-6s rules %5d compile= %5d print= %5d | fail lines %4d refused by both %4d | set/element lines %4d matched %4d | refused by this kernel %4d",
				fam, ft.rules, ft.compiled, ft.printed, ft.fails, ft.failsOK, ft.setup, ft.setupOK, ft.refused)
		}
	}
	sort.Strings(failing)
	now := map[string]bool{}
	for _, k := range failing {
		now[k] = true
	}
	ran := map[string]bool{}
	for _, fr := range all {
		ran[fr.file] = true
	}
	if os.Getenv("XTNL_NFT_UPDATE_BASELINE") != "" {
		// Entries of files that did not run are kept, so a run restricted
		// by XTNL_NFT_FILES rewrites only its own files' entries.
		keep := append([]string(nil), failing...)
		for k := range baseline {
			if file, _, _ := strings.Cut(k, ":"); !ran[file] {
				keep = append(keep, k)
			}
		}
		sort.Strings(keep)
		data := "# Conformance cases failing today (file:line:family:chain:check); see conformance_test.go.\n" + strings.Join(keep, "\n") + "\n"
		if err := os.WriteFile(baselineFile, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d entries to %s (%d from the files that ran)", len(keep), baselineFile, len(failing))
		return
	}
	var stale []string
	for k := range baseline {
		if file, _, _ := strings.Cut(k, ":"); ran[file] && !now[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	for _, k := range stale {
		t.Errorf("stale baseline entry (the case passes now; remove it, or rerun with XTNL_NFT_UPDATE_BASELINE=1): %s", k)
	}
}
