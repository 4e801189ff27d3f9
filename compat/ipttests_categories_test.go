package compat

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Why cases disagree, in a few words each, so that the report says what
// to work on ("xtnl lacks match dccp: 58 cases") rather than listing
// 1,700 diffs: a case falls in one category per failed group of checks,
// named from compat's own error where it gave one.

// Compat's errors that name what it lacks. They are iptables' own words,
// which compat reproduces for what it does not know.
var (
	lacksMatch  = regexp.MustCompile("Couldn't load match `([^']+)'")
	lacksTarget = regexp.MustCompile(`Chain '([^']+)' does not exist`)
	lacksOption = regexp.MustCompile(`unknown option "(-[^"]+)"`)
	cannotRead  = regexp.MustCompile(`(match|target) (\S+) revision (\d+) is not supported by xtnl`)
)

// categories are the reasons a case disagrees, one per failed group of
// checks (none for a case that agrees throughout).
func (o *extOutcome) categories() []string {
	var out []string
	if o.harness != "" {
		out = append(out, "runner or iptables-nft failed")
	}
	if len(o.panics) > 0 {
		out = append(out, "compat panics")
	}
	if _, bad := o.diffs[chkDecision]; bad {
		out = append(out, o.decisionCategory())
	}
	for _, g := range []struct {
		name   string
		checks []extCheck
		reads  bool // compat reads iptables-nft's rules in these checks
	}{
		{"writes differ", []extCheck{chkWriteSave, chkWriteNft, chkWriteRaw}, false},
		{"reads differ", []extCheck{chkReadSave, chkReadS}, true},
		{"-L forms differ", []extCheck{chkListNVX, chkListLines, chkListNames, chkListSV}, true},
	} {
		failed := false
		for _, c := range g.checks {
			_, bad := o.diffs[c]
			failed = failed || bad
		}
		if !failed {
			continue
		}
		if m := o.firstErr(cannotRead); m != nil && g.reads {
			out = append(out, fmt.Sprintf("xtnl cannot read %s %s (revision %s)", m[1], m[2], m[3]))
			continue
		}
		out = append(out, g.name+" for "+extensionsOf(o.rule))
	}
	return dedupe(out)
}

// decisionCategory names a failed decision: what compat lacks, when its
// refusal says so, else which way the two tools part.
func (o *extOutcome) decisionCategory() string {
	if m := o.firstErr(lacksMatch); m != nil {
		return "xtnl lacks match " + m[1]
	}
	if m := o.firstErr(lacksTarget); m != nil {
		return "xtnl lacks target " + m[1]
	}
	if m := o.firstErr(lacksOption); m != nil {
		if ext := extensionOf(o.rule, m[1]); ext != "" {
			return fmt.Sprintf("xtnl lacks option %s (of %s)", m[1], ext)
		}
		return "xtnl lacks option " + m[1]
	}
	d := o.diffs[chkDecision]
	switch {
	case strings.Contains(d, "both refuse"):
		return "both refuse, but the rulesets differ"
	case strings.Contains(d, "xtnl accepts"):
		return "xtnl accepts what iptables-nft refuses"
	case strings.Contains(d, "iptables-nft accepts"):
		return "xtnl refuses what iptables-nft accepts"
	}
	return "both refuse, with different exit statuses"
}

// firstErr matches compat's errors of the case against re.
func (o *extOutcome) firstErr(re *regexp.Regexp) []string {
	for _, e := range o.oursErrs {
		if m := re.FindStringSubmatch(e); m != nil {
			return m
		}
	}
	return nil
}

// extensionOf is the match or target an option of a rule belongs to: the
// last -m or -j before it ("" when the option comes first, or is not in
// the rule as such).
func extensionOf(rule, option string) string {
	fields := strings.Fields(rule)
	ext := ""
	for i, f := range fields {
		switch {
		case f == option:
			return ext
		case (f == "-m" || f == "--match" || f == "-j" || f == "--jump") && i+1 < len(fields):
			ext = fields[i+1]
		}
	}
	return ""
}

// extensionsOf names the matches and targets a rule loads ("tcp+LOG"),
// or says it loads none.
func extensionsOf(rule string) string {
	fields := strings.Fields(rule)
	var exts []string
	for i, f := range fields[:max(len(fields)-1, 0)] {
		if f == "-m" || f == "--match" || f == "-j" || f == "--jump" {
			exts = append(exts, fields[i+1])
		}
	}
	if len(exts) == 0 {
		return "no extension"
	}
	return strings.Join(dedupe(exts), "+")
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// categoryReport counts the cases of each category, most first, with a
// few of their ids.
func categoryReport(results []*extFileResult) string {
	cases := map[string][]string{}
	for _, r := range results {
		for _, o := range r.outcomes {
			for _, c := range o.categories() {
				cases[c] = append(cases[c], o.id.String())
			}
		}
	}
	names := make([]string, 0, len(cases))
	for c := range cases {
		names = append(names, c)
	}
	sort.Slice(names, func(i, j int) bool {
		if len(cases[names[i]]) != len(cases[names[j]]) {
			return len(cases[names[i]]) > len(cases[names[j]])
		}
		return names[i] < names[j]
	})
	var b strings.Builder
	fmt.Fprintf(&b, "failing categories (%d):\n", len(names))
	for _, c := range names {
		ids := cases[c]
		more := ""
		if len(ids) > 3 {
			ids, more = ids[:3], ", …"
		}
		fmt.Fprintf(&b, "  %4d  %s  [%s%s]\n", len(cases[c]), c, strings.Join(ids, ", "), more)
	}
	return b.String()
}
