package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xtnl/xtnl/compat"
)

// warnOut is where iptables' warnings go (its stderr).
var warnOut io.Writer = io.Discard

func warn(s string) { io.WriteString(warnOut, s) }

// runIptables is iptables (or ip6tables): args[0] is the program's name
// as messages show it.
func runIptables(prog string, fam compat.Family, netns string, args []string, stdout, stderr io.Writer) int {
	warnOut = stderr
	c, err := parseIptables(args, fam)
	if err == nil {
		switch {
		case c.help:
			io.WriteString(stdout, iptablesHelp(prog, fam))
			return 0
		case c.version != "":
			if strings.HasPrefix(c.version, "Not") {
				fmt.Fprintln(stdout, c.version)
			} else {
				fmt.Fprintf(stdout, "%s %s\n", prog, c.version)
			}
			return 0
		}
		err = c.execute(fam, netns, stdout)
	}
	return report(stderr, prog, err)
}

// report prints err as iptables does and returns the exit status.
func report(stderr io.Writer, prog string, err error) int {
	if err == nil {
		return 0
	}
	var xe *exitError
	if errors.As(err, &xe) {
		switch {
		case xe.plain && xe.msg != "":
			fmt.Fprintln(stderr, xe.msg)
		case !xe.plain:
			fmt.Fprintf(stderr, "%s v1.8.9 (nf_tables): %s\n", prog, xe.msg)
		}
		if xe.tryHelp {
			fmt.Fprintf(stderr, "Try `%s -h' or '%s --help' for more information.\n", prog, prog)
		}
		if xe.upgrade {
			fmt.Fprintf(stderr, "Perhaps %s or your kernel needs to be upgraded.\n", prog)
		}
		return xe.status
	}
	var se *compat.SpecError
	if errors.As(err, &se) && strings.HasPrefix(se.Msg, "bad argument `") {
		fmt.Fprintf(stderr, "B%s\nTry `%s -h' or '%s --help' for more information.\n", se.Msg[1:], prog, prog)
		return 2
	}
	var e *compat.Error
	if !errors.As(err, &e) {
		if errors.As(err, &se) {
			return report(stderr, prog, paramProblem("%s", se.Msg))
		}
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	msg := e.Error()
	if rest, ok := strings.CutPrefix(msg, "iptables"); ok {
		msg = prog + rest
	}
	fmt.Fprintln(stderr, msg)
	if e.ExitStatus() == 2 {
		fmt.Fprintf(stderr, "Try `%s -h' or '%s --help' for more information.\n", prog, prog)
	}
	return e.ExitStatus()
}

func (c *command) execute(fam compat.Family, netns string, stdout io.Writer) error {
	if !isTable(c.table) {
		return &exitError{status: 3, msg: fmt.Sprintf("table '%s' does not exist", c.table), upgrade: true}
	}
	ipt, err := newIPT(protocolOf(fam), netns)
	if err != nil {
		return err
	}
	defer ipt.Close()
	t, chain, verbose := c.table, c.chain, c.options&optVerbose != 0
	printSpecs := func() {
		if verbose {
			for _, s := range c.specs {
				fmt.Fprintln(stdout, s.PrintRule())
			}
		}
	}
	switch c.cmd {
	case cmdAppend:
		printSpecs()
		return ipt.Append(t, chain, c.rulespec...)
	case cmdInsert:
		printSpecs()
		return ipt.Insert(t, chain, c.rulenum, c.rulespec...)
	case cmdReplace:
		printSpecs()
		return ipt.Replace(t, chain, c.rulenum, c.rulespec...)
	case cmdDelete:
		if err := ipt.Delete(t, chain, c.rulespec...); err != nil {
			return err
		}
		printSpecs()
		return nil
	case cmdDeleteNum:
		return ipt.DeleteById(t, chain, c.rulenum)
	case cmdCheck:
		if s := c.specs; len(s) > 0 && s[0].Target == nil && s[0].Verdict != "" && !slices.Contains([]string{"ACCEPT", "DROP", "RETURN"}, s[0].Verdict) {
			if ok, err := ipt.ChainExists(t, s[0].Verdict); err == nil && !ok {
				return paramProblem("Chain '%s' does not exist", s[0].Verdict)
			}
		}
		ok, err := ipt.Exists(t, chain, c.rulespec...)
		if err != nil {
			return err
		}
		if !ok {
			return compat.ErrorNotFound("Bad rule (does a matching rule exist in that chain?).")
		}
		printSpecs()
		return nil
	case cmdList, cmdList | cmdZero, cmdList | cmdZeroNum:
		if err := c.list(ipt, stdout); err != nil {
			return err
		}
		return c.zero(ipt, stdout)
	case cmdListRules, cmdListRules | cmdZero, cmdListRules | cmdZeroNum:
		if err := c.listRules(ipt, stdout); err != nil {
			return err
		}
		return c.zero(ipt, stdout)
	case cmdFlush:
		if chain != "" {
			if ok, err := ipt.ChainExists(t, chain); err != nil {
				return err
			} else if !ok {
				return compat.ErrorNotFound("No chain/target/match by that name.")
			}
		}
		if err := c.eachChain(ipt, stdout, "Flushing"); err != nil {
			return err
		}
		if chain == "" {
			return ipt.FlushTable(t)
		}
		return ipt.ClearChain(t, chain)
	case cmdZero, cmdZeroNum:
		if chain != "" {
			if ok, err := ipt.ChainExists(t, chain); err != nil {
				return err
			} else if !ok {
				return compat.ErrorNotFound("No chain/target/match by that name.")
			}
		}
		return c.zero(ipt, stdout)
	case cmdNewChain:
		return ipt.NewChain(t, chain)
	case cmdDeleteChain:
		if chain == "" {
			if verbose {
				names, err := ipt.ListChains(t)
				if err != nil {
					return err
				}
				for _, n := range names {
					if !compat.IsBuiltinChain(t, n) {
						fmt.Fprintf(stdout, "Deleting chain `%s'\n", n)
					}
				}
			}
			return ipt.DeleteUserChains(t)
		}
		if verbose {
			fmt.Fprintf(stdout, "Deleting chain `%s'\n", chain)
		}
		return ipt.DeleteChain(t, chain)
	case cmdRenameChain:
		return ipt.RenameChain(t, chain, c.newname)
	case cmdSetPolicy:
		return ipt.ChangePolicy(t, chain, c.policy)
	}
	return &exitError{status: 2, plain: true, tryHelp: true}
}

// eachChain prints iptables -v's "Flushing chain `X'" lines.
func (c *command) eachChain(ipt *compat.IPTables, stdout io.Writer, verb string) error {
	if c.options&optVerbose == 0 {
		return nil
	}
	if c.chain != "" {
		fmt.Fprintf(stdout, "%s chain `%s'\n", verb, c.chain)
		return nil
	}
	names, err := ipt.ListChains(c.table)
	if err != nil {
		return err
	}
	for _, n := range names {
		fmt.Fprintf(stdout, "%s chain `%s'\n", verb, n)
	}
	return nil
}

// zero is -Z (alone or after -L/-S).
func (c *command) zero(ipt *compat.IPTables, stdout io.Writer) error {
	if c.cmd&(cmdZero|cmdZeroNum) == 0 {
		return nil
	}
	if c.cmd&cmdZero != 0 {
		if err := c.eachChain(ipt, stdout, "Zeroing"); err != nil {
			return err
		}
	}
	return ipt.ZeroCounters(c.table, c.chain)
}

// list is -L: the whole table, a chain, or (with a rule number) one rule
// line without the chain's header.
func (c *command) list(ipt *compat.IPTables, stdout io.Writer) error {
	o := compat.ListOptions{
		Verbose:     c.options&optVerbose != 0,
		Numeric:     c.options&optNumeric != 0,
		Exact:       c.options&optExact != 0,
		LineNumbers: c.options&optLineNumbers != 0,
	}
	if c.chain != "" {
		if ok, err := ipt.ChainExists(c.table, c.chain); err != nil {
			return err
		} else if !ok {
			return &exitError{status: 1, msg: fmt.Sprintf("chain `%s' in table `%s' is incompatible, use 'nft' tool.", c.chain, c.table)}
		}
	}
	if c.rulenum == 0 {
		return ipt.ListTable(stdout, c.table, c.chain, o)
	}
	var buf bytes.Buffer
	if err := ipt.ListTable(&buf, c.table, c.chain, o); err != nil {
		return err
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	if n := 1 + c.rulenum; n < len(lines) && lines[n] != "" {
		io.WriteString(stdout, lines[n])
	}
	return nil
}

// listRules is -S.
func (c *command) listRules(ipt *compat.IPTables, stdout io.Writer) error {
	if c.chain != "" {
		if ok, err := ipt.ChainExists(c.table, c.chain); err != nil {
			return err
		} else if !ok {
			return &exitError{status: 1, msg: fmt.Sprintf("chain `%s' in table `%s' is incompatible, use 'nft' tool.", c.chain, c.table)}
		}
	}
	var lines []string
	var err error
	if c.options&optVerbose != 0 {
		lines, err = ipt.ListWithCounters(c.table, c.chain)
	} else {
		lines, err = ipt.List(c.table, c.chain)
	}
	if err != nil {
		return err
	}
	if c.rulenum > 0 {
		if c.rulenum >= len(lines) {
			return nil
		}
		lines = lines[c.rulenum : c.rulenum+1]
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	return nil
}

func isTable(name string) bool {
	for _, t := range compat.TableNames {
		if t == name {
			return true
		}
	}
	return false
}

func protocolOf(fam compat.Family) compat.Protocol {
	if fam == compat.IPv6 {
		return compat.ProtocolIPv6
	}
	return compat.ProtocolIPv4
}
