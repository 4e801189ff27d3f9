package compat

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xtnl/xtnl/internal/ipttest"
)

// What the extension-test runner records and reports: per case, which
// checks applied and how each that failed failed; per file and in total,
// how many agreed; and the baseline, the committed list of the cases that
// disagree today, so that a new disagreement fails the test and one that
// went away is pointed out.

// extCheck names one comparison of a case, as the baseline spells it.
type extCheck string

// The checks, in report order.
const (
	// Both tools accept the rule in every chain, or both refuse it with
	// an exit status of the same class (2: bad rulespec; 1 or 4: the
	// rest), leaving the ruleset alike.
	chkDecision extCheck = "decision"
	// Where both accept: what each wrote, printed by iptables-nft-save,
	// by `nft --debug=netlink list ruleset`, and as raw netlink bytes.
	chkWriteSave extCheck = "write.save"
	chkWriteNft  extCheck = "write.nft"
	chkWriteRaw  extCheck = "write.raw"
	// Where iptables-nft accepts: compat's Save and List on iptables-nft's
	// namespace against iptables-nft-save and iptables-nft -S there.
	chkReadSave extCheck = "read.save"
	chkReadS    extCheck = "read.S"
	// Issue #22's listing forms, on iptables-nft's namespace, against
	// compat's ListTable and ListWithCounters.
	chkListNVX   extCheck = "list.nvx"
	chkListLines extCheck = "list.lines"
	chkListNames extCheck = "list.names"
	chkListSV    extCheck = "list.Sv"
)

var extChecks = []extCheck{chkDecision, chkWriteSave, chkWriteNft, chkWriteRaw, chkReadSave, chkReadS, chkListNVX, chkListLines, chkListNames, chkListSV}

// extGroup is a column of the report: a case passes it when every check
// of the group that applied to it agreed.
type extGroup struct {
	title  string
	checks []extCheck
}

var extGroups = []extGroup{
	{"decisions", []extCheck{chkDecision}},
	{"writes", []extCheck{chkWriteSave, chkWriteNft, chkWriteRaw}},
	{"reads", []extCheck{chkReadSave, chkReadS}},
	{"-L -n -v -x", []extCheck{chkListNVX}},
	{"-L -n --line-numbers", []extCheck{chkListLines}},
	{"-L", []extCheck{chkListNames}},
	{"-S -v", []extCheck{chkListSV}},
}

// extCaseID names a case: a line of a file, in one family.
type extCaseID struct {
	file string
	line int
	fam  ipttest.Family
}

func (id extCaseID) String() string { return fmt.Sprintf("%s:%d/%d", id.file, id.line, id.fam) }

// extOutcome is what one case came to.
type extOutcome struct {
	id   extCaseID
	rule string
	// applied holds the checks that were made; diffs those that failed,
	// each with what differed.
	applied map[extCheck]bool
	diffs   map[extCheck]string
	// expectation says where iptables-nft 1.8.9 disagrees with the
	// file's expectation (information: the oracle is iptables-nft).
	expectation string
	// panics are compat panics met in the case, oursErrs compat's errors
	// (refusals, failed reads): what the failure categories are named
	// from.
	panics   []string
	oursErrs []string
	// harness is a failure of the runner or of iptables-nft itself (a
	// script that timed out, a namespace that could not be reset).
	harness string
}

func newExtOutcome(id extCaseID, rule string) *extOutcome {
	return &extOutcome{id: id, rule: rule, applied: map[extCheck]bool{}, diffs: map[extCheck]string{}}
}

// record notes that check was made, and failed if diff is not "".
func (o *extOutcome) record(check extCheck, diff string) {
	o.applied[check] = true
	if diff != "" {
		o.diffs[check] = diff
	}
}

// passes reports whether the case passes a group; ok is false when no
// check of the group applied.
func (o *extOutcome) passes(g extGroup) (pass, ok bool) {
	pass = true
	for _, c := range g.checks {
		if o.applied[c] {
			ok = true
			if _, bad := o.diffs[c]; bad {
				pass = false
			}
		}
	}
	return pass, ok
}

// extFileResult is one file's outcomes.
type extFileResult struct {
	file     *ipttest.File
	outcomes []*extOutcome
	notes    []string // file-level: external commands that failed, ...
	elapsed  time.Duration
}

// agrees reports whether every check made on a case agreed, and nothing
// went wrong on the way.
func (o *extOutcome) agrees() bool {
	return len(o.diffs) == 0 && o.harness == "" && len(o.panics) == 0
}

// extTally counts the cases run and those that agreed throughout
// (matched), and, per group, the cases that passed and those checked.
type extTally struct {
	cases, matched int
	pass, tested   []int
}

func newExtTally() *extTally {
	return &extTally{pass: make([]int, len(extGroups)), tested: make([]int, len(extGroups))}
}

func (t *extTally) add(o *extOutcome) {
	t.cases++
	if o.agrees() {
		t.matched++
	}
	for i, g := range extGroups {
		if pass, ok := o.passes(g); ok {
			t.tested[i]++
			if pass {
				t.pass[i]++
			}
		}
	}
}

func (t *extTally) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cases %d, matched %d", t.cases, t.matched)
	for i, g := range extGroups {
		fmt.Fprintf(&b, ", %s %d/%d", g.title, t.pass[i], t.tested[i])
	}
	return b.String()
}

// checkTally counts one check across cases.
func checkTally(results []*extFileResult) string {
	var b strings.Builder
	for _, c := range extChecks {
		var pass, tested int
		for _, r := range results {
			for _, o := range r.outcomes {
				if o.applied[c] {
					tested++
					if _, bad := o.diffs[c]; !bad {
						pass++
					}
				}
			}
		}
		fmt.Fprintf(&b, " %s %d/%d", c, pass, tested)
	}
	return strings.TrimSpace(b.String())
}

// describe is an outcome's disagreements, one block per failed check.
func (o *extOutcome) describe() string {
	var b strings.Builder
	for _, c := range extChecks {
		if d, bad := o.diffs[c]; bad {
			fmt.Fprintf(&b, "%s %s `%s`\n    %s\n", o.id, c, truncate(o.rule, 160), strings.ReplaceAll(d, "\n", "\n    "))
		}
	}
	return b.String()
}

// extBaseline is the set of (check, case) disagreements known today. A
// case is keyed by file and line; family 0 stands for every family the
// file runs in.
type extBaseline map[extCheck]map[extCaseID]bool

// baselineHeader opens the baseline file; the rest is data.
const baselineHeader = `# Known disagreements of xtnl with iptables-nft 1.8.9 on iptables' own
# extension tests (TestIptablesExtensionTests): "CHECK FILE LINE[/FAMILY]...",
# a LINE alone meaning every family the file runs in. Data about xtnl's own
# failures, not a copy of the tests. Regenerate with
# XTNL_IPTABLES_TESTS_UPDATE=1; a fixed case is reported, to be dropped here.
`

// has reports whether the baseline lists a failed check of a case.
func (b extBaseline) has(c extCheck, id extCaseID) bool {
	m := b[c]
	if m[id] {
		return true
	}
	id.fam = 0
	return m[id]
}

func (b extBaseline) add(c extCheck, id extCaseID) {
	if b[c] == nil {
		b[c] = map[extCaseID]bool{}
	}
	b[c][id] = true
}

// readExtBaseline reads a baseline file; a missing file is an empty
// baseline.
func readExtBaseline(path string) (extBaseline, error) {
	b := extBaseline{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	n := 0
	for sc.Scan() {
		n++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) < 3 {
			return nil, fmt.Errorf("%s:%d: want CHECK FILE LINE...", path, n)
		}
		check, file := extCheck(fields[0]), fields[1]
		for _, e := range fields[2:] {
			line, fam, _ := strings.Cut(e, "/")
			id := extCaseID{file: file}
			if id.line, err = strconv.Atoi(line); err != nil {
				return nil, fmt.Errorf("%s:%d: line %q", path, n, e)
			}
			if fam != "" {
				f, err := strconv.Atoi(fam)
				if err != nil || (f != 4 && f != 6) {
					return nil, fmt.Errorf("%s:%d: family in %q", path, n, e)
				}
				id.fam = ipttest.Family(f)
			}
			b.add(check, id)
		}
	}
	return b, sc.Err()
}

// writeExtBaseline writes the disagreements of the files that ran and,
// with keepOthers (a run of some files only), the old baseline's entries
// for the files that did not run.
func writeExtBaseline(path string, old extBaseline, results []*extFileResult, keepOthers bool) error {
	ran := map[string]*extFileResult{}
	for _, r := range results {
		ran[r.file.Name] = r
	}
	// entries[check][file] = "12", "15/6", ...
	entries := map[extCheck]map[string][]string{}
	put := func(c extCheck, file, e string) {
		if entries[c] == nil {
			entries[c] = map[string][]string{}
		}
		entries[c][file] = append(entries[c][file], e)
	}
	for c, ids := range old {
		for id := range ids {
			if keepOthers && ran[id.file] == nil {
				put(c, id.file, baselineEntry(id))
			}
		}
	}
	for _, r := range results {
		failed := map[extCheck]map[int][]ipttest.Family{}
		for _, o := range r.outcomes {
			for c := range o.diffs {
				if failed[c] == nil {
					failed[c] = map[int][]ipttest.Family{}
				}
				failed[c][o.id.line] = append(failed[c][o.id.line], o.id.fam)
			}
		}
		for c, lines := range failed {
			for line, fams := range lines {
				if len(fams) == len(r.file.Families) {
					put(c, r.file.Name, strconv.Itoa(line))
					continue
				}
				for _, f := range fams {
					put(c, r.file.Name, baselineEntry(extCaseID{line: line, fam: f}))
				}
			}
		}
	}
	var b strings.Builder
	b.WriteString(baselineHeader)
	for _, c := range extChecks {
		files := make([]string, 0, len(entries[c]))
		for f := range entries[c] {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files {
			es := entries[c][f]
			sort.Slice(es, func(i, j int) bool { return entryLess(es[i], es[j]) })
			fmt.Fprintf(&b, "%s %s %s\n", c, f, strings.Join(es, " "))
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func baselineEntry(id extCaseID) string {
	if id.fam == 0 {
		return strconv.Itoa(id.line)
	}
	return fmt.Sprintf("%d/%d", id.line, id.fam)
}

// entryLess orders baseline entries by line, then family.
func entryLess(a, b string) bool {
	la, fa, _ := strings.Cut(a, "/")
	lb, fb, _ := strings.Cut(b, "/")
	na, _ := strconv.Atoi(la)
	nb, _ := strconv.Atoi(lb)
	if na != nb {
		return na < nb
	}
	return fa < fb
}

// extBaselineEntry is one (check, case) of the baseline, in one family.
type extBaselineEntry struct {
	check extCheck
	id    extCaseID
}

// entriesOf lists the baseline's entries for a file, an entry for every
// family standing for one entry per family the file runs in.
func (b extBaseline) entriesOf(f *ipttest.File) []extBaselineEntry {
	var out []extBaselineEntry
	for _, c := range extChecks {
		for id := range b[c] {
			if id.file != f.Name {
				continue
			}
			if id.fam != 0 {
				out = append(out, extBaselineEntry{c, id})
				continue
			}
			for _, fam := range f.Families {
				id.fam = fam
				out = append(out, extBaselineEntry{c, id})
			}
		}
	}
	return out
}

// filesOtherThan lists, as "CHECK FILE:LINE", the baseline's entries for
// files that did not run.
func (b extBaseline) filesOtherThan(results []*extFileResult) []string {
	ran := map[string]bool{}
	for _, r := range results {
		ran[r.file.Name] = true
	}
	var out []string
	for _, c := range extChecks {
		for id := range b[c] {
			if !ran[id.file] {
				out = append(out, fmt.Sprintf("%s %s:%s", c, id.file, baselineEntry(id)))
			}
		}
	}
	sort.Strings(out)
	return out
}
