package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Summary is what a run found; it is printed as markdown and kept as
// summary.json in the work directory.
type Summary struct {
	Version          string
	Packages         []*PackageSummary
	GoIPTables, XTNL Counts
	Differences      []Difference
	Regressions      int // shim-only failures not excepted
	// Retried are the specs that failed only through the shim in a first
	// run, whose packages ran again (both sides); the figures are the
	// second run's for those packages.
	Retried            []string
	RulesetsDiffer     int
	Broken             int
	HostRulesetChanged bool
	GoModDiff          []string
	BuildSeconds       float64
	RunSeconds         float64
	TotalSeconds       float64
	Command            string
	OK                 bool
}

// PackageSummary is one package's two runs.
type PackageSummary struct {
	Package               string
	GoIPTables, XTNL      Counts
	Seconds               [2]float64
	Ruleset               string // "equal", "equal up to order", "DIFFER"
	RulesetLines          [2]int // normalised, go-iptables and xtnl
	RulesetDiff           []string
	Notes                 []string // broken runs, stray processes, nft errors, failed suite nodes
	goIPTables, xtnl      *result
	differences, excepted int
}

// Difference is a spec whose outcome is not the same in both runs.
type Difference struct {
	Package, Spec    string
	GoIPTables, XTNL string
	Kind             string // regression, excepted, improvement, other
	Why              string // for excepted
	Where, Message   string // the failure on the side that failed
}

var (
	reHandle  = regexp.MustCompile(`\s*# handle \d+`)
	reCounter = regexp.MustCompile(`counter packets \d+ bytes \d+`)
	reExpires = regexp.MustCompile(` expires \S+`)
	reQuota   = regexp.MustCompile(` used \d+ \S+`)
)

// normalise drops what differs from run to run in `nft list ruleset`:
// handles, counter values, timeouts left, quota used.
func normalise(ruleset string) string {
	var out []string
	for _, l := range strings.Split(ruleset, "\n") {
		l = reHandle.ReplaceAllString(l, "")
		l = reCounter.ReplaceAllString(l, "counter")
		l = reExpires.ReplaceAllString(l, "")
		l = reQuota.ReplaceAllString(l, "")
		l = strings.TrimRight(l, " \t")
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// canonical orders a normalised ruleset's tables, and the chains, sets and
// other objects in each table, by their headers; the order of lines inside
// an object (rules in a chain) stays.
func canonical(norm string) string {
	lines := strings.Split(norm, "\n")
	var tables []string
	for i := 0; i < len(lines); {
		if !strings.HasPrefix(lines[i], "table ") {
			tables = append(tables, lines[i])
			i++
			continue
		}
		head := lines[i]
		i++
		var objs []string
		var cur []string
		for ; i < len(lines) && lines[i] != "}"; i++ {
			l := lines[i]
			if strings.HasPrefix(l, "\t") && !strings.HasPrefix(l, "\t\t") && strings.HasSuffix(l, "{") {
				cur = []string{l}
				continue
			}
			if l == "\t}" && cur != nil {
				objs = append(objs, strings.Join(append(cur, l), "\n"))
				cur = nil
				continue
			}
			if cur != nil {
				cur = append(cur, l)
			} else {
				objs = append(objs, l)
			}
		}
		if cur != nil {
			objs = append(objs, strings.Join(cur, "\n"))
		}
		i++ // the table's "}"
		sort.Strings(objs)
		tables = append(tables, head+"\n"+strings.Join(objs, "\n")+"\n}")
	}
	sort.Strings(tables)
	return strings.Join(tables, "\n")
}

// lineDiff lists the lines only in a ("-") or only in b ("+"), in order,
// from a longest common subsequence.
func lineDiff(a, b string) []string {
	x, y := lines(a), lines(b)
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			out = append(out, "+"+y[j])
			j++
		default:
			out = append(out, "-"+x[i])
			i++
		}
	}
	return out
}

func lines(s string) []string {
	if s = strings.TrimRight(s, "\n"); s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func exceptionFor(pkg, key string) (string, bool) {
	for _, e := range exceptions {
		if e.pkg == pkg && e.spec == key {
			return e.why, true
		}
	}
	return "", false
}

func summarise(cfg *config, variants []*variant, results []*result) *Summary {
	sum := &Summary{Version: cfg.version}
	byPkg := map[string]*PackageSummary{}
	for _, r := range results {
		ps := byPkg[r.pkg]
		if ps == nil {
			ps = &PackageSummary{Package: r.pkg}
			byPkg[r.pkg] = ps
			sum.Packages = append(sum.Packages, ps)
		}
		if r.variant.shim {
			ps.xtnl = r
		} else {
			ps.goIPTables = r
		}
	}
	order := map[string]int{}
	for i, pkg := range cfg.pkgs {
		order[pkg] = i
	}
	sort.SliceStable(sum.Packages, func(i, j int) bool { return order[sum.Packages[i].Package] < order[sum.Packages[j].Package] })
	for _, ps := range sum.Packages {
		a, b := ps.goIPTables, ps.xtnl
		ps.GoIPTables, ps.XTNL = count(a.specs), count(b.specs)
		ps.Seconds = [2]float64{a.dur.Seconds(), b.dur.Seconds()}
		sum.GoIPTables.add(ps.GoIPTables)
		sum.XTNL.add(ps.XTNL)
		for _, r := range []*result{a, b} {
			if r.err != nil {
				sum.Broken++
				ps.Notes = append(ps.Notes, fmt.Sprintf("%s run broken: %v", r.variant.name, r.err))
			}
			if len(r.strays) > 0 {
				ps.Notes = append(ps.Notes, fmt.Sprintf("%s run left processes %v in its namespace (killed)", r.variant.name, r.strays))
			}
			if r.nftErr != "" && !strings.HasPrefix(r.nftErr, "# Warning") {
				ps.Notes = append(ps.Notes, fmt.Sprintf("%s: nft list ruleset said: %s", r.variant.name, r.nftErr))
			}
			for _, s := range r.suite {
				ps.Notes = append(ps.Notes, fmt.Sprintf("%s: %s failed at %s: %s", r.variant.name, s.key, s.where, s.message))
			}
			ps.Notes = append(ps.Notes, fmt.Sprintf("%s log: %s", r.variant.name, r.log))
		}

		// Specs, matched by their texts.
		sa, sb := map[string]spec{}, map[string]spec{}
		for _, s := range a.specs {
			sa[s.key] = s
		}
		for _, s := range b.specs {
			sb[s.key] = s
		}
		keys := map[string]bool{}
		for k := range sa {
			keys[k] = true
		}
		for k := range sb {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			x, okx := sa[k]
			y, oky := sb[k]
			ox, oy := "missing", "missing"
			if okx {
				ox = x.outcome
			}
			if oky {
				oy = y.outcome
			}
			if ox == oy {
				continue
			}
			d := Difference{Package: ps.Package, Spec: k, GoIPTables: ox, XTNL: oy}
			switch {
			case ox == "passed":
				if why, ok := exceptionFor(ps.Package, k); ok && oy == "failed" {
					d.Kind, d.Why = "excepted", why
					ps.excepted++
				} else {
					d.Kind = "regression"
					sum.Regressions++
				}
				d.Where, d.Message = y.where, y.message
			case oy == "passed":
				d.Kind = "improvement"
				d.Where, d.Message = x.where, x.message
			default:
				d.Kind = "other"
				d.Where, d.Message = y.where+x.where, y.message+x.message
			}
			ps.differences++
			sum.Differences = append(sum.Differences, d)
		}

		// The rulesets left in the runs' namespaces.
		// nft prints its warnings (a table iptables-nft manages) on
		// standard error: they are part of what is compared.
		na, nb := normalise(a.nftErr+"\n"+a.ruleset), normalise(b.nftErr+"\n"+b.ruleset)
		ps.RulesetLines = [2]int{len(lines(na)), len(lines(nb))}
		switch {
		case na == nb:
			ps.Ruleset = "equal"
		case canonical(na) == canonical(nb):
			ps.Ruleset = "equal up to order"
		default:
			ps.Ruleset = "DIFFER"
			ps.RulesetDiff = lineDiff(na, nb)
			sum.RulesetsDiffer++
		}
	}
	sum.OK = sum.Regressions == 0 && sum.RulesetsDiffer == 0 && sum.Broken == 0
	return sum
}

func (s *Summary) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("\n## CNI plugins %s: go-iptables v0.8.0 (iptables-nft) vs xtnl's drop-in\n\n", s.Version)
	p("| package | specs | go-iptables pass / fail / skip | xtnl pass / fail / skip | outcomes differ | outer ruleset (lines) | seconds go-iptables / xtnl |\n")
	p("|---|---:|---|---|---:|---|---|\n")
	diffs := 0
	for _, ps := range s.Packages {
		specs := fmt.Sprint(ps.GoIPTables.Specs)
		if ps.XTNL.Specs != ps.GoIPTables.Specs {
			specs += fmt.Sprintf(" / %d", ps.XTNL.Specs)
		}
		dcell := fmt.Sprint(ps.differences)
		if ps.excepted > 0 {
			dcell += fmt.Sprintf(" (%d excepted)", ps.excepted)
		}
		diffs += ps.differences
		rl := fmt.Sprint(ps.RulesetLines[0])
		if ps.RulesetLines[1] != ps.RulesetLines[0] {
			rl += fmt.Sprintf(" / %d", ps.RulesetLines[1])
		}
		p("| %s | %s | %d / %d / %d | %d / %d / %d | %s | %s (%s) | %.0f / %.0f |\n", ps.Package, specs,
			ps.GoIPTables.Passed, ps.GoIPTables.Failed, ps.GoIPTables.Skipped,
			ps.XTNL.Passed, ps.XTNL.Failed, ps.XTNL.Skipped, dcell, ps.Ruleset, rl,
			ps.Seconds[0], ps.Seconds[1])
	}
	specs := fmt.Sprint(s.GoIPTables.Specs)
	if s.XTNL.Specs != s.GoIPTables.Specs {
		specs += fmt.Sprintf(" / %d", s.XTNL.Specs)
	}
	rs := "all equal"
	if s.RulesetsDiffer > 0 {
		rs = fmt.Sprintf("%d DIFFER", s.RulesetsDiffer)
	}
	p("| **total** | %s | %d / %d / %d | %d / %d / %d | %d | %s | |\n\n", specs,
		s.GoIPTables.Passed, s.GoIPTables.Failed, s.GoIPTables.Skipped,
		s.XTNL.Passed, s.XTNL.Failed, s.XTNL.Skipped, diffs, rs)

	if len(s.Differences) > 0 {
		p("### Specs whose outcome differs\n\n")
		for _, d := range s.Differences {
			p("- **%s** %s — %s: go-iptables %s, xtnl %s\n", d.Kind, d.Package, d.Spec, d.GoIPTables, d.XTNL)
			if d.Why != "" {
				p("  - why: %s\n", d.Why)
			}
			if d.Where != "" {
				p("  - at %s: %s\n", d.Where, d.Message)
			}
		}
		p("\n")
	}
	for _, ps := range s.Packages {
		if ps.Ruleset == "DIFFER" {
			p("### Outer ruleset of %s differs (- go-iptables, + xtnl)\n\n```\n%s\n```\n\n", ps.Package, strings.Join(ps.RulesetDiff, "\n"))
		}
	}
	var notes []string
	for _, ps := range s.Packages {
		for _, n := range ps.Notes {
			if !strings.Contains(n, " log: ") {
				notes = append(notes, ps.Package+": "+n)
			}
		}
	}
	if s.HostRulesetChanged {
		notes = append(notes, "the ruleset of the namespace cni-dropin ran in changed during the runs (other processes on the host may have changed it)")
	}
	if len(notes) > 0 {
		p("### Notes\n\n")
		for _, n := range notes {
			p("- %s\n", n)
		}
		p("\n")
	}
	if len(s.Retried) > 0 {
		p("### Run again\n\nThese specs failed only through the shim in a first run; their packages ran again, both sides, and the figures above are the second run's:\n\n")
		for _, r := range s.Retried {
			p("- %s\n", r)
		}
		p("\n")
	}
	if len(s.GoModDiff) > 0 {
		p("xtnl copy's go.mod, against the module's: `%s`\n\n", strings.Join(s.GoModDiff, "`, `"))
	}
	p("Build %s, runs %s, total %s. ", dur(s.BuildSeconds), dur(s.RunSeconds), dur(s.TotalSeconds))
	if s.OK {
		p("OK: no spec fails only on xtnl (the excepted aside), outer rulesets equal.\n")
	} else {
		p("FAILED: %d shim-only failures, %d outer rulesets differ, %d runs broken.\n", s.Regressions, s.RulesetsDiffer, s.Broken)
	}
	return b.String()
}

func dur(sec float64) string {
	return (time.Duration(sec) * time.Second).Round(time.Second).String()
}
