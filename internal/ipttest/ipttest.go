// Package ipttest reads the unit test files of iptables' extensions (the
// *.t files next to each extension in iptables' source tree), as
// iptables-test.py reads them, so that a Go test can replay them against
// another implementation. It holds no test data of its own: the files are
// read from wherever the caller keeps them.
//
// A file is a sequence of lines:
//
//	# comment
//	:INPUT,FORWARD          the chains the following rules go to
//	*nat                    the table the following rules go to
//	@cmd args / %cmd args   an external command, run as is at that point
//	RULE;SAVED;RESULT[;VARIANT[;ALT]]
//
// RULE is shell text (iptables-test.py hands it to the shell). SAVED is
// how iptables-save should print the rule ("=" for RULE itself); RESULT
// is OK (accepted and printed as SAVED), FAIL (refused) or NOMATCH
// (accepted, printed otherwise). VARIANT scopes RESULT to "NFT" or
// "LEGACY"; the other variant gets ALT, or the opposite of RESULT.
package ipttest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Family is an IP family a file's rules run in: 4 (iptables) or 6
// (ip6tables).
type Family int

// The families.
const (
	IPv4 Family = 4
	IPv6 Family = 6
)

// Expectations for the nf_tables variant (iptables-nft), after VARIANT and
// ALT are applied.
const (
	OK      = "OK"      // accepted, and iptables-save prints Saved
	Fail    = "FAIL"    // refused
	NoMatch = "NOMATCH" // accepted, and iptables-save does not print Saved
)

// File is one parsed test file.
type File struct {
	Name     string   // base name, "libxt_tcp.t"
	Families []Family // the families iptables-test.py runs it for
	Steps    []Step   // in file order
}

// Step is a rule to test or an external command to run, in file order:
// commands set up (or tear down) what later rules need.
type Step struct {
	Line int // 1-based
	// Command is an external command line ("iptables -I INPUT ...",
	// "nfacct add test"), without its '@' or '%'; empty for a rule.
	Command string
	Case    *Case
}

// Case is one rule line. iptables-test.py appends it to each chain of
// Chains in turn.
type Case struct {
	Line   int
	Table  string   // "" until the file names one: iptables' default, filter
	Chains []string // from the last ':' line
	Rule   string   // shell text, as in the file
	Saved  string   // the rule as iptables-save should print it (after "-A CHAIN ")
	Expect string   // OK, FAIL or NOMATCH, for iptables-nft
	// Variant is the file's VARIANT field when it has one (Expect is
	// already resolved for the nf_tables variant).
	Variant string
}

// FamiliesOf returns the families iptables-test.py runs a file for, from
// its name: libipt_ IPv4, libip6t_ IPv6, libxt_ both, libarpt_ and libebt_
// none (arptables and ebtables are not iptables), anything else IPv4.
func FamiliesOf(name string) []Family {
	switch {
	case strings.Contains(name, "libipt_"):
		return []Family{IPv4}
	case strings.Contains(name, "libip6t_"):
		return []Family{IPv6}
	case strings.Contains(name, "libxt_"):
		return []Family{IPv4, IPv6}
	case strings.Contains(name, "libarpt_"), strings.Contains(name, "libebt_"):
		return nil
	}
	return []Family{IPv4}
}

// LoadDir parses every *.t file of dir that iptables or ip6tables runs
// (FamiliesOf not empty) whose base name matches the glob pattern ("" for
// all), sorted by name.
func LoadDir(dir, pattern string) ([]*File, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.t"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var files []*File
	for _, path := range names {
		base := filepath.Base(path)
		if len(FamiliesOf(base)) == 0 {
			continue
		}
		if pattern != "" {
			ok, err := filepath.Match(pattern, base)
			if err != nil {
				return nil, fmt.Errorf("file pattern %q: %w", pattern, err)
			}
			if !ok {
				continue
			}
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		tf, err := Parse(base, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		files = append(files, tf)
	}
	return files, nil
}

// Parse reads one test file; name is its base name (it decides the
// families).
func Parse(name string, r io.Reader) (*File, error) {
	f := &File{Name: name, Families: FamiliesOf(name)}
	var table string
	var chains []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r\n")
		// As iptables-test.py: a comment starts the line; a blank line
		// may hold spaces.
		if strings.TrimSpace(line) == "" || line[0] == '#' {
			continue
		}
		switch line[0] {
		case ':':
			chains = strings.Split(strings.TrimRightFunc(line[1:], isSpace), ",")
			continue
		case '*':
			table = strings.TrimRightFunc(line[1:], isSpace)
			continue
		case '@', '%':
			f.Steps = append(f.Steps, Step{Line: n, Command: strings.TrimRightFunc(line[1:], isSpace)})
			continue
		}
		if len(chains) == 0 {
			return nil, fmt.Errorf("%s:%d: a rule before any ':' chain line", name, n)
		}
		c, err := parseCase(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		c.Line, c.Table, c.Chains = n, table, chains
		f.Steps = append(f.Steps, Step{Line: n, Case: c})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' }

// parseCase splits RULE;SAVED;RESULT[;VARIANT[;ALT]] and resolves the
// expectation for the nf_tables variant as iptables-test.py's variant_res
// does.
func parseCase(line string) (*Case, error) {
	item := strings.Split(line, ";")
	if len(item) < 3 {
		return nil, fmt.Errorf("want RULE;SAVED;RESULT, got %q", line)
	}
	c := &Case{Rule: item[0], Saved: item[1], Expect: strings.TrimRightFunc(item[2], isSpace)}
	if c.Saved == "=" {
		c.Saved = c.Rule
	}
	if len(item) > 3 {
		c.Variant = strings.TrimRightFunc(item[3], isSpace)
		switch c.Variant {
		case "NFT":
		case "LEGACY":
			if len(item) > 4 {
				c.Expect = strings.TrimRightFunc(item[4], isSpace)
			} else {
				c.Expect = inverse(c.Expect)
			}
		default:
			return nil, fmt.Errorf("unknown variant %q", c.Variant)
		}
	}
	switch c.Expect {
	case OK, Fail, NoMatch:
	default:
		// iptables-test.py treats any other word as "loaded, not
		// printed as SAVED" (run_test fails a found rule unless OK).
		c.Expect = NoMatch
	}
	return c, nil
}

// inverse is the result for the variant a result is not scoped to.
func inverse(res string) string {
	switch res {
	case OK:
		return Fail
	case Fail, NoMatch:
		return OK
	}
	return res
}

// Cases returns the file's rule lines.
func (f *File) Cases() []*Case {
	var out []*Case
	for _, s := range f.Steps {
		if s.Case != nil {
			out = append(out, s.Case)
		}
	}
	return out
}
