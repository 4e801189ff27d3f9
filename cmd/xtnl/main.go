// Command xtnl speaks iptables' command line, iptables-save and
// iptables-restore, without running any of them: it talks netlink to
// nf_tables directly, writing exactly what iptables-nft 1.8.9 writes.
//
//	xtnl [--netns NAME|PATH] [-4|-6] [-t TABLE] COMMAND [CHAIN] [RULESPEC]
//	xtnl save [--netns NS] [-4|-6] [-t TABLE] [-c]
//	xtnl restore [--netns NS] [-4|-6] [--noflush] [-c] [FILE]
//	xtnl demo
//
// Exit statuses are iptables': 0 success, 1 rule or chain not found (and
// -C finding no rule), 2 bad usage, 4 the kernel refused the change.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/xtnl/xtnl/compat"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// invocation is a parsed command line.
type invocation struct {
	netns   string
	proto   compat.Protocol
	table   string
	command string
	cmdArgs []string // positional arguments of the command (chain, number)
	rest    []string // the rulespec
	list    compat.ListOptions
	prog    string
}

var commands = map[string]string{
	"-A": "-A", "--append": "-A", "-I": "-I", "--insert": "-I", "-R": "-R", "--replace": "-R",
	"-D": "-D", "--delete": "-D", "-C": "-C", "--check": "-C", "-L": "-L", "--list": "-L",
	"-S": "-S", "--list-rules": "-S", "-F": "-F", "--flush": "-F", "-Z": "-Z", "--zero": "-Z",
	"-N": "-N", "--new-chain": "-N", "-X": "-X", "--delete-chain": "-X", "-E": "-E",
	"--rename-chain": "-E", "-P": "-P", "--policy": "-P",
}

// usageError is a command-line problem: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	prog := "iptables"
	if len(args) > 0 {
		switch args[0] {
		case "save":
			return runSave(args[1:], stdout, stderr)
		case "restore":
			return runRestore(args[1:], stdin, stderr)
		case "demo":
			return runDemo(stdout, stderr)
		case "-h", "--help", "help":
			fmt.Fprint(stdout, usage)
			return 0
		}
	}
	inv, err := parseCommandLine(args)
	if err != nil {
		return fail(stderr, prog, err)
	}
	if inv.proto == compat.ProtocolIPv6 {
		prog = "ip6tables"
	}
	return fail(stderr, prog, execute(inv, stdout))
}

const usage = `usage: xtnl [--netns NAME|PATH] [-4|-6] [-t TABLE] COMMAND [CHAIN] [RULESPEC]
       xtnl save [--netns NS] [-4|-6] [-t TABLE] [-c]
       xtnl restore [--netns NS] [-4|-6] [--noflush] [-c] [FILE]
       xtnl demo
Commands: -A -I -R -D -C -L -S -F -Z -N -X -E -P (as iptables); options -v -n -x --line-numbers.
`

// fail prints an error as iptables does and returns its exit status.
func fail(stderr io.Writer, prog string, err error) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "%s v1.8.9 (nf_tables): %s\nTry `%s -h' or '%s --help' for more information.\n", prog, ue.msg, prog, prog)
		return 2
	}
	var e *compat.Error
	if errors.As(err, &e) {
		fmt.Fprintln(stderr, strings.Replace(e.Error(), "iptables", prog, 1))
		if e.ExitStatus() == 2 {
			fmt.Fprintf(stderr, "Try `%s -h' or '%s --help' for more information.\n", prog, prog)
		}
		return e.ExitStatus()
	}
	fmt.Fprintf(stderr, "%s: %v\n", prog, err)
	return 1
}

// parseCommandLine splits global options and the command from the
// rulespec, which compat parses.
func parseCommandLine(args []string) (*invocation, error) {
	inv := &invocation{table: "filter"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", &usageError{fmt.Sprintf("option \"%s\" requires an argument", a)}
			}
			i++
			return args[i], nil
		}
		switch a {
		case "--netns":
			v, err := next()
			if err != nil {
				return nil, err
			}
			inv.netns = v
		case "-4", "--ipv4":
			inv.proto = compat.ProtocolIPv4
		case "-6", "--ipv6":
			inv.proto = compat.ProtocolIPv6
		case "-t", "--table":
			v, err := next()
			if err != nil {
				return nil, err
			}
			inv.table = v
		case "-v", "--verbose":
			inv.list.Verbose = true
		case "-n", "--numeric":
			inv.list.Numeric = true
		case "-x", "--exact":
			inv.list.Exact = true
		case "--line-numbers":
			inv.list.LineNumbers = true
		case "-w", "--wait":
			// No lock to wait for; an optional seconds argument.
			if i+1 < len(args) && isNumber(args[i+1]) {
				i++
			}
		case "-W", "--wait-interval":
			if _, err := next(); err != nil {
				return nil, err
			}
		default:
			cmd, ok := commands[a]
			if !ok {
				inv.rest = append(inv.rest, a)
				continue
			}
			if inv.command != "" {
				return nil, &usageError{"Cannot use -" + strings.TrimLeft(cmd, "-") + " with -" + strings.TrimLeft(inv.command, "-")}
			}
			inv.command = cmd
			// Positional arguments: the chain, then numbers or names.
			max := map[string]int{"-A": 1, "-I": 2, "-R": 2, "-D": 2, "-C": 1, "-L": 2, "-S": 2,
				"-F": 1, "-Z": 2, "-N": 1, "-X": 1, "-E": 2, "-P": 2}[cmd]
			for n := 0; n < max && i+1 < len(args); n++ {
				v := args[i+1]
				if strings.HasPrefix(v, "-") || v == "!" {
					break
				}
				if n == 1 && (cmd == "-I" || cmd == "-D" || cmd == "-L" || cmd == "-S" || cmd == "-Z") && !isNumber(v) {
					break
				}
				inv.cmdArgs = append(inv.cmdArgs, v)
				i++
			}
		}
	}
	if inv.command == "" {
		return nil, &usageError{"no command specified"}
	}
	return inv, nil
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

func (inv *invocation) open() (*compat.IPTables, error) { return newIPT(inv.proto, inv.netns) }

func execute(inv *invocation, stdout io.Writer) error {
	ipt, err := inv.open()
	if err != nil {
		return err
	}
	a := inv.cmdArgs
	need := func(n int, what string) error {
		if len(a) < n {
			return &usageError{"-" + strings.TrimLeft(inv.command, "-") + " requires " + what}
		}
		return nil
	}
	num := func(i int) (int, error) {
		n, err := strconv.Atoi(a[i])
		if err != nil || n < 1 {
			return 0, &usageError{"Invalid rule number `" + a[i] + "'"}
		}
		return n, nil
	}
	chain := ""
	if len(a) > 0 {
		chain = a[0]
	}
	if len(inv.rest) > 0 {
		switch inv.command {
		case "-A", "-I", "-R", "-D", "-C":
		default:
			return &usageError{fmt.Sprintf("Bad argument `%s'", inv.rest[0])}
		}
	}
	t := inv.table
	switch inv.command {
	case "-A":
		if err := need(1, "a chain"); err != nil {
			return err
		}
		return ipt.Append(t, chain, inv.rest...)
	case "-I":
		if err := need(1, "a chain"); err != nil {
			return err
		}
		pos := 1
		if len(a) > 1 {
			if pos, err = num(1); err != nil {
				return err
			}
		}
		return ipt.Insert(t, chain, pos, inv.rest...)
	case "-R":
		if err := need(2, "a chain and a rule number"); err != nil {
			return err
		}
		pos, err := num(1)
		if err != nil {
			return err
		}
		return ipt.Replace(t, chain, pos, inv.rest...)
	case "-D":
		if err := need(1, "a chain"); err != nil {
			return err
		}
		if len(a) > 1 {
			n, err := num(1)
			if err != nil {
				return err
			}
			return ipt.DeleteById(t, chain, n)
		}
		return ipt.Delete(t, chain, inv.rest...)
	case "-C":
		if err := need(1, "a chain"); err != nil {
			return err
		}
		ok, err := ipt.Exists(t, chain, inv.rest...)
		if err != nil {
			return err
		}
		if !ok {
			return compat.ErrorNotFound("Bad rule (does a matching rule exist in that chain?).")
		}
		return nil
	case "-S":
		var lines []string
		if inv.list.Verbose {
			lines, err = ipt.ListWithCounters(t, chain)
		} else {
			lines, err = ipt.List(t, chain)
		}
		if err != nil {
			return err
		}
		if len(a) > 1 {
			n, err := strconv.Atoi(a[1])
			if err != nil || n < 0 {
				return &usageError{"Invalid rule number `" + a[1] + "'"}
			}
			if n == 0 {
				return &usageError{"Invalid rule number `0'"}
			}
			if n >= len(lines) {
				return nil // iptables prints nothing
			}
			lines = lines[n : n+1]
		}
		for _, l := range lines {
			fmt.Fprintln(stdout, l)
		}
		return nil
	case "-L":
		return ipt.ListTable(stdout, t, chain, inv.list)
	case "-F":
		if chain == "" {
			return ipt.FlushTable(t)
		}
		exists, err := ipt.ChainExists(t, chain)
		if err != nil {
			return err
		}
		if !exists {
			return compat.ErrorNotFound("No chain/target/match by that name.")
		}
		return ipt.ClearChain(t, chain)
	case "-Z":
		return ipt.ZeroCounters(t, chain)
	case "-N":
		if err := need(1, "a chain"); err != nil {
			return err
		}
		return ipt.NewChain(t, chain)
	case "-X":
		if chain == "" {
			return ipt.DeleteUserChains(t)
		}
		return ipt.DeleteChain(t, chain)
	case "-E":
		if err := need(2, "old-chain-name new-chain-name"); err != nil {
			return err
		}
		return ipt.RenameChain(t, a[0], a[1])
	case "-P":
		if err := need(2, "a chain and a policy"); err != nil {
			return err
		}
		return ipt.ChangePolicy(t, a[0], a[1])
	}
	return &usageError{"unknown command " + inv.command}
}
