package compat

import (
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"github.com/xtnl/xtnl/internal/ipttest"
)

// Running one case of an iptables extension test file: the rule goes into
// each of its chains with iptables-nft in one namespace (ref) and with
// compat's Append in the other (ours), both emptied first; then both
// namespaces are compared (writes) and compat reads and lists what
// iptables-nft wrote (reads, listings).

// extRunner runs files in a pair of namespaces, replacing them when a
// call into compat hangs (its goroutine may still be at work in them).
type extRunner struct {
	ours, ref *extSide
	poisoned  bool
}

func newExtRunner() (*extRunner, error) {
	ours, err := openExtSide()
	if err != nil {
		return nil, err
	}
	ref, err := openExtSide()
	if err != nil {
		ours.close()
		return nil, err
	}
	return &extRunner{ours: ours, ref: ref}, nil
}

func (r *extRunner) close() error {
	return errors.Join(r.ours.close(), r.ref.close())
}

// renew replaces both namespaces.
func (r *extRunner) renew() error {
	r.close()
	n, err := newExtRunner()
	if err != nil {
		return err
	}
	*r = *n
	return nil
}

// tools names the iptables-nft commands of a family.
type extTools struct{ ipt, save string }

func toolsOf(fam ipttest.Family) extTools {
	if fam == ipttest.IPv6 {
		return extTools{"ip6tables-nft", "ip6tables-nft-save"}
	}
	return extTools{"iptables-nft", "iptables-nft-save"}
}

// runFile runs every case of a file in each of its families.
func (r *extRunner) runFile(f *ipttest.File) *extFileResult {
	res := &extFileResult{file: f}
	for _, fam := range f.Families {
		// setup holds the file's iptables commands met so far: emptying
		// the namespaces before each case undoes them, so each case
		// replays them (iptables-test.py runs them once, the rules
		// staying in place).
		var setup []string
		for _, st := range f.Steps {
			if st.Command != "" {
				cmd, replay := externalCommand(st.Command)
				if replay {
					setup = append(setup, cmd)
					continue
				}
				res.notes = append(res.notes, r.runOnce(st.Line, cmd)...)
				continue
			}
			if r.poisoned {
				if err := r.renew(); err != nil {
					o := newExtOutcome(extCaseID{f.Name, st.Line, fam}, st.Case.Rule)
					o.harness = "replacing the namespaces: " + err.Error()
					res.outcomes = append(res.outcomes, o)
					return res
				}
			}
			res.outcomes = append(res.outcomes, r.runCase(f.Name, fam, st.Case, setup))
		}
	}
	return res
}

// externalCommand turns a file's '@' or '%' line into shell text, as
// iptables-test.py runs it (iptables and ip6tables as their nf_tables
// variant). replay is true for iptables commands: their effect is in the
// ruleset, which each case starts without.
func externalCommand(line string) (cmd string, replay bool) {
	for _, tool := range []string{"iptables", "ip6tables"} {
		if strings.HasPrefix(line, tool+" ") {
			return tool + "-nft" + line[len(tool):], true
		}
	}
	return line, false
}

// runOnce runs a non-iptables external command (nfct, nfacct) in both
// namespaces; a tool that is not installed is noted, not fatal: the
// cases that need one are commented out in the files.
func (r *extRunner) runOnce(line int, cmd string) []string {
	tool := strings.Fields(cmd)[0]
	if _, err := exec.LookPath(tool); err != nil {
		return []string{fmt.Sprintf("line %d: `%s` not run: %s is not installed", line, cmd, tool)}
	}
	var notes []string
	for _, side := range []*extSide{r.ref, r.ours} {
		var s shellScript
		s.section("cmd", cmd+" 2>&1")
		out, err := side.run(&s)
		if err == nil && out.rc("cmd") != 0 {
			err = fmt.Errorf("exit %d: %s", out.rc("cmd"), truncate(out.text("cmd"), 200))
		}
		if err != nil {
			notes = append(notes, fmt.Sprintf("line %d: `%s` failed: %v", line, cmd, err))
		}
	}
	return notes
}

// The sections of the reference script after the appends: what the
// checks compare, each an iptables-nft or nft command.
func refReads(t extTools, table string) [][2]string {
	return [][2]string{
		{"save", t.save},
		{"S", t.ipt + " -t " + table + " -S"},
		{"nft", "nft --debug=netlink list ruleset"},
		{"nvx", t.ipt + " -t " + table + " -L -n -v -x"},
		{"lines", t.ipt + " -t " + table + " -L -n --line-numbers"},
		{"names", t.ipt + " -t " + table + " -L"},
		{"Sv", t.ipt + " -t " + table + " -S -v"},
	}
}

// runCase runs one rule line in one family.
func (r *extRunner) runCase(file string, fam ipttest.Family, c *ipttest.Case, setup []string) *extOutcome {
	o := newExtOutcome(extCaseID{file, c.Line, fam}, c.Rule)
	tools := toolsOf(fam)
	table := c.Table
	if table == "" {
		table = "filter"
	}
	for _, side := range []*extSide{r.ours, r.ref} {
		if err := side.reset(); err != nil {
			o.harness = err.Error()
			r.poisoned = true
			return o
		}
	}

	// iptables-nft: the rule in each chain, as iptables-test.py writes
	// the command ("iptables -A CHAIN -t TABLE RULE"), then, if any
	// chain took it, everything the checks compare.
	var s shellScript
	s.line("ok=0")
	for _, cmd := range setup {
		s.line(cmd + " >/dev/null 2>&1")
	}
	for i, ch := range c.Chains {
		tflag := ""
		if c.Table != "" {
			tflag = " -t " + c.Table
		}
		s.section(appendSection(i), fmt.Sprintf("%s -A %s%s %s 2>&1", tools.ipt, ch, tflag, c.Rule))
		s.line(`[ "$rc" -eq 0 ] && ok=1`)
	}
	s.line(`if [ "$ok" -eq 1 ]; then`)
	for _, rd := range refReads(tools, table) {
		s.section(rd[0], rd[1]+" 2>/dev/null")
	}
	s.line("fi")
	ref, err := r.ref.run(&s)
	if err != nil {
		o.harness = "iptables-nft: " + err.Error()
		r.poisoned = true
		return o
	}

	// xtnl: the same, through compat.
	if len(setup) > 0 {
		var s shellScript
		for _, cmd := range setup {
			s.line(cmd + " >/dev/null 2>&1")
		}
		if _, err := r.ours.run(&s); err != nil {
			o.harness = "setup: " + err.Error()
			r.poisoned = true
			return o
		}
	}
	args, err := splitArgs(c.Rule)
	if err != nil {
		o.harness = fmt.Sprintf("cannot split %q as the shell would: %v", c.Rule, err)
		return o
	}
	ours := make([]callResult, len(c.Chains))
	for i, ch := range c.Chains {
		ours[i] = guard(func() error { return r.ours.ipt[fam].Append(table, ch, args...) })
		o.note(ours[i])
		if ours[i].timedOut {
			r.poisoned = true
		}
	}

	refAccepted, bothAccepted := r.checkDecision(o, c, ref, ours)
	if bothAccepted {
		r.checkWrites(o, tools, ref)
	}
	if refAccepted {
		r.checkReads(o, fam, table, ref)
	}
	o.expectation = checkExpectation(c, ref)
	return o
}

func appendSection(i int) string { return "append" + strconv.Itoa(i) }

// note keeps compat's panics and errors for the report.
func (o *extOutcome) note(r callResult) {
	if r.panicked != "" {
		o.panics = append(o.panics, r.panicked)
	}
	if r.err != nil {
		o.oursErrs = append(o.oursErrs, r.err.Error())
	}
}

// Exit status classes: iptables exits 2 for a bad rulespec, 1 or 4 for
// the rest (no such chain or target, the kernel refused).
func exitClass(status int) string {
	switch status {
	case 0:
		return "accepts"
	case 2:
		return "refuses (2, bad rulespec)"
	}
	return "refuses (1/4, not found or kernel)"
}

// oursStatus is the exit status iptables would have had for compat's
// answer, -1 for a panic or a hang.
func oursStatus(r callResult) int {
	if r.failed() {
		return -1
	}
	if r.err == nil {
		return 0
	}
	var e *Error
	if errors.As(r.err, &e) {
		return e.ExitStatus()
	}
	return 1
}

// checkDecision compares, chain by chain, whether each tool took the
// rule. Where both refused everything, the rulesets must still be alike
// (nothing left behind by one only).
func (r *extRunner) checkDecision(o *extOutcome, c *ipttest.Case, ref scriptOutput, ours []callResult) (refAccepted, bothAccepted bool) {
	var diffs []string
	oursAccepted := false
	for i, ch := range c.Chains {
		refRC := ref.rc(appendSection(i))
		ourRC := oursStatus(ours[i])
		refAccepted = refAccepted || refRC == 0
		oursAccepted = oursAccepted || ourRC == 0
		if ourRC == -1 || exitClass(ourRC) != exitClass(refRC) {
			ourSide := exitClass(ourRC)
			if ourRC == -1 {
				ourSide = ours[i].describe()
			} else if ourRC != 0 {
				ourSide += ": " + truncate(ours[i].err.Error(), 200)
			}
			refSide := exitClass(refRC)
			if refRC != 0 {
				refSide += fmt.Sprintf(" (exit %d): %s", refRC, truncate(ref.text(appendSection(i)), 200))
			}
			diffs = append(diffs, fmt.Sprintf("%s: xtnl %s\n  iptables-nft %s", ch, ourSide, refSide))
		}
	}
	if len(diffs) == 0 && !refAccepted {
		// Both refused in every chain: nothing may have been written.
		if d := r.compareRaw(); d != "" {
			diffs = append(diffs, "both refuse, but the rulesets differ:\n"+d)
		}
	}
	o.record(chkDecision, strings.Join(diffs, "\n"))
	return refAccepted, len(diffs) == 0 && refAccepted
}

// compareRaw compares the two rulesets' netlink bytes.
func (r *extRunner) compareRaw() string {
	var ours, ref string
	res := guard(func() (err error) {
		if ours, err = rawRuleset(r.ours.conn); err != nil {
			return err
		}
		ref, err = rawRuleset(r.ref.conn)
		return err
	})
	if res.failed() || res.err != nil {
		return "raw listing: " + res.describe()
	}
	return textDiff(ours, ref)
}

// checkWrites compares what the two tools wrote, where both accepted.
func (r *extRunner) checkWrites(o *extOutcome, tools extTools, ref scriptOutput) {
	var s shellScript
	s.section("save", tools.save+" 2>/dev/null")
	s.section("nft", "nft --debug=netlink list ruleset 2>/dev/null")
	ours, err := r.ours.run(&s)
	if err != nil {
		o.harness = "reading xtnl's namespace: " + err.Error()
		return
	}
	o.record(chkWriteSave, textDiff(withoutComments(sectionText(ours, "save")), withoutComments(sectionText(ref, "save"))))
	o.record(chkWriteNft, textDiff(normalizeNft(sectionText(ours, "nft")), normalizeNft(sectionText(ref, "nft"))))
	o.record(chkWriteRaw, r.compareRaw())
}

// sectionText is a section's output, with its exit status when not 0.
func sectionText(out scriptOutput, name string) string {
	text := out.text(name)
	if rc := out.rc(name); rc != 0 {
		text += fmt.Sprintf("\n[exit %d]", rc)
	}
	return text
}

// checkReads has compat read and list what iptables-nft wrote.
func (r *extRunner) checkReads(o *extOutcome, fam ipttest.Family, table string, ref scriptOutput) {
	ipt := r.ref.ipt[fam]
	read := func(fn func(w *strings.Builder) error) string {
		var w strings.Builder
		res := guard(func() error { return fn(&w) })
		o.note(res)
		if res.timedOut {
			r.poisoned = true
		}
		if res.failed() || res.err != nil {
			// First, so that the diff shows it.
			return "[" + res.describe() + "]\n" + strings.TrimRight(w.String(), "\n")
		}
		return strings.TrimRight(w.String(), "\n")
	}
	lines := func(ls []string, err error, w *strings.Builder) error {
		w.WriteString(strings.Join(ls, "\n"))
		return err
	}
	o.record(chkReadSave, textDiff(
		withoutComments(read(func(w *strings.Builder) error { return ipt.Save(w, "") })),
		withoutComments(sectionText(ref, "save"))))
	o.record(chkReadS, textDiff(
		read(func(w *strings.Builder) error { ls, err := ipt.List(table, ""); return lines(ls, err, w) }),
		sectionText(ref, "S")))
	for _, f := range []struct {
		check   extCheck
		section string
		opts    ListOptions
	}{
		{chkListNVX, "nvx", ListOptions{Numeric: true, Verbose: true, Exact: true}},
		{chkListLines, "lines", ListOptions{Numeric: true, LineNumbers: true}},
		{chkListNames, "names", ListOptions{}},
	} {
		o.record(f.check, textDiff(
			read(func(w *strings.Builder) error { return ipt.ListTable(w, table, "", f.opts) }),
			sectionText(ref, f.section)))
	}
	o.record(chkListSV, textDiff(
		read(func(w *strings.Builder) error { ls, err := ipt.ListWithCounters(table, ""); return lines(ls, err, w) }),
		sectionText(ref, "Sv")))
}

// checkExpectation says where iptables-nft 1.8.9 parts from the file's
// expectation: an answer of its own, or "" when it meets it.
func checkExpectation(c *ipttest.Case, ref scriptOutput) string {
	save := strings.Split(ref.text("save"), "\n")
	var out []string
	for i, ch := range c.Chains {
		rc := ref.rc(appendSection(i))
		want := "-A " + ch + " " + c.Saved
		found := false
		for _, l := range save {
			found = found || l == want
		}
		switch {
		case c.Expect == ipttest.Fail && rc == 0:
			out = append(out, fmt.Sprintf("%s: expected to fail, iptables-nft accepts it", ch))
		case c.Expect != ipttest.Fail && rc != 0:
			out = append(out, fmt.Sprintf("%s: expected %s, iptables-nft refuses it (exit %d): %s", ch, c.Expect, rc, truncate(ref.text(appendSection(i)), 160)))
		case c.Expect == ipttest.OK && !found:
			out = append(out, fmt.Sprintf("%s: expected `%s`, iptables-nft-save prints `%s`", ch, truncate(want, 200), truncate(lastRuleOf(save, ch), 200)))
		case c.Expect == ipttest.NoMatch && found:
			out = append(out, fmt.Sprintf("%s: expected not to be printed as `%s`, iptables-nft-save prints just that", ch, truncate(want, 200)))
		}
	}
	return strings.Join(out, "; ")
}

// lastRuleOf is the last rule of a chain in iptables-save output: the
// case's own, appended last.
func lastRuleOf(save []string, chain string) string {
	last := "(nothing)"
	for _, l := range save {
		if strings.HasPrefix(l, "-A "+chain+" ") {
			last = l
		}
	}
	return last
}

// withoutComments drops iptables-save's comment lines (they carry the
// time).
func withoutComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// nftRuleHeader is the line opening a rule in nft --debug=netlink
// output: "ip filter INPUT 4", with the rule's handle (and position).
var nftRuleHeader = regexp.MustCompile(`^((?:ip|ip6|inet|arp|bridge|netdev) \S+ \S+)(?: \d+)+$`)

// normalizeNft drops rule handles from nft --debug=netlink output: they
// count the namespace's history, not what the rule is.
func normalizeNft(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = nftRuleHeader.ReplaceAllString(l, "$1")
	}
	return strings.Join(lines, "\n")
}

// textDiff is "" for equal texts, else where they part: the first
// differing line of each (around the first differing byte) and how many
// lines differ.
func textDiff(ours, ref string) string {
	if ours == ref {
		return ""
	}
	a, b := strings.Split(ours, "\n"), strings.Split(ref, "\n")
	first, differing := -1, 0
	for i := 0; i < max(len(a), len(b)); i++ {
		var la, lb string
		if i < len(a) {
			la = a[i]
		}
		if i < len(b) {
			lb = b[i]
		}
		if la != lb || i >= len(a) || i >= len(b) {
			differing++
			if first < 0 {
				first = i
			}
		}
	}
	var la, lb string = "(end)", "(end)"
	if first < len(a) {
		la = a[first]
	}
	if first < len(b) {
		lb = b[first]
	}
	la, lb = around(la, lb)
	return fmt.Sprintf("line %d of %d/%d (%d lines differ):\n  xtnl:         %s\n  iptables-nft: %s", first+1, len(a), len(b), differing, la, lb)
}

// around cuts two long lines to a window around where they first
// differ, keeping the start of the line (what the line is about: a
// chain, a rule's table and chain).
func around(a, b string) (string, string) {
	const head, before, width = 24, 60, 220
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	cut := func(s string) string {
		start := max(0, i-before)
		if start <= head {
			start = 0
		}
		end := min(len(s), start+width)
		out := s[start:end]
		if start > 0 {
			out = s[:head] + "…" + out
		}
		if end < len(s) {
			out += "…"
		}
		return out
	}
	return cut(a), cut(b)
}
