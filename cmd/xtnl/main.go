// Command xtnl is iptables, ip6tables, iptables-save, ip6tables-save,
// iptables-restore and ip6tables-restore in one binary, without running
// any of them: it talks netlink to nf_tables directly, writing exactly
// what iptables-nft 1.8.9 writes, and it speaks their command lines,
// output and exit statuses.
//
// It is a multi-call binary, like xtables-nft-multi: it behaves as the
// program it is invoked as (by its name or a symlink's: iptables,
// ip6tables, iptables-save, ip6tables-save, iptables-restore,
// ip6tables-restore, or their -nft names), or as the program named by its
// first argument:
//
//	xtnl [--netns NAME|PATH] iptables|ip6tables ARGS...
//	xtnl [--netns NAME|PATH] iptables-save|ip6tables-save ARGS...
//	xtnl [--netns NAME|PATH] iptables-restore|ip6tables-restore ARGS...
//	xtnl [--netns NAME|PATH] save|restore ARGS...   (the IPv4 programs)
//	xtnl [--netns NAME|PATH] -A INPUT ...           (iptables)
//	xtnl [--netns NAME|PATH] nft ARGS...            (nft 1.0.6: -f FILE, list ruleset, add rule ...)
//	xtnl demo
//	xtnl install-links DIR
//
// --netns (or --netns=NAME) runs the program in that network namespace
// (a name under /run/netns or a path); it goes before the program's name.
// install-links makes DIR/iptables etc. symlinks to this binary, for
// images without a shell (see the README).
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xtnl/xtnl/compat"
	"github.com/xtnl/xtnl/nft"
)

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// program is one of the programs the binary can be.
type program struct {
	kind string // "iptables", "save", "restore" or "nft"
	fam  compat.Family
}

// programs are the names the binary answers to, as xtables-nft-multi's.
var programs = map[string]program{
	"iptables": {"iptables", compat.IPv4}, "iptables-nft": {"iptables", compat.IPv4},
	"ip6tables": {"iptables", compat.IPv6}, "ip6tables-nft": {"iptables", compat.IPv6},
	"iptables-save": {"save", compat.IPv4}, "iptables-nft-save": {"save", compat.IPv4},
	"ip6tables-save": {"save", compat.IPv6}, "ip6tables-nft-save": {"save", compat.IPv6},
	"iptables-restore": {"restore", compat.IPv4}, "iptables-nft-restore": {"restore", compat.IPv4},
	"ip6tables-restore": {"restore", compat.IPv6}, "ip6tables-nft-restore": {"restore", compat.IPv6},
	"nft": {kind: "nft"},
}

// linkNames are the names install-links makes, in a stable order.
func linkNames() []string {
	names := make([]string, 0, len(programs))
	for n := range programs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// run is main with its argv (args[0] the name invoked) and streams.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := filepath.Base(args[0])
	if p, ok := programs[name]; ok {
		return runProgram(p, name, "", args, stdin, stdout, stderr)
	}
	// xtnl [--netns NS] SUBCOMMAND ...
	rest, netns := args[1:], ""
	for len(rest) > 0 {
		if v, ok := strings.CutPrefix(rest[0], "--netns="); ok {
			netns, rest = v, rest[1:]
			continue
		}
		if rest[0] == "--netns" {
			if len(rest) < 2 {
				fmt.Fprintln(stderr, "xtnl: option \"--netns\" requires an argument")
				return 2
			}
			netns, rest = rest[1], rest[2:]
			continue
		}
		break
	}
	if len(rest) == 0 {
		io.WriteString(stderr, usage)
		return 2
	}
	sub := rest[0]
	switch sub {
	case "demo":
		return runDemo(stdout, stderr)
	case "install-links":
		return installLinks(rest[1:], stdout, stderr)
	case "help", "--help":
		io.WriteString(stdout, usage)
		return 0
	case "save":
		sub = "iptables-save"
	case "restore":
		sub = "iptables-restore"
	}
	if p, ok := programs[sub]; ok {
		return runProgram(p, sub, netns, rest, stdin, stdout, stderr)
	}
	if strings.HasPrefix(sub, "-") {
		// xtnl -A INPUT ...: iptables' command line.
		return runProgram(programs["iptables"], "iptables", netns, append([]string{"iptables"}, rest...), stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "xtnl: unknown command %q\n%s", sub, usage)
	return 2
}

const usage = `usage: xtnl [--netns NAME|PATH] PROGRAM ARGS...
       xtnl demo
       xtnl install-links DIR
PROGRAM is iptables, ip6tables, iptables-save, ip6tables-save,
iptables-restore or ip6tables-restore (or their -nft names), or nft;
save and restore are iptables-save and iptables-restore. Invoked through
a symlink of one of these names, xtnl is that program.
`

// runProgram runs p with argv args (args[0] its name, as invoked).
func runProgram(p program, name, netns string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	args = append([]string{name}, args[1:]...)
	switch p.kind {
	case "save":
		return runSave(name, p.fam, netns, args, stdout, stderr)
	case "restore":
		return runRestore(name, p.fam, netns, args, stdin, stdout, stderr)
	case "nft":
		if netns != "" {
			args = append([]string{name, "--netns", netns}, args[1:]...)
		}
		return nft.Main(args[1:], stdin, stdout, stderr)
	}
	// iptables' messages call it iptables or ip6tables, whatever it was
	// invoked as (xtables_main is given the name, not argv[0]).
	prog := "iptables"
	if p.fam == compat.IPv6 {
		prog = "ip6tables"
	}
	return runIptables(prog, p.fam, netns, args, stdout, stderr)
}

// installLinks makes DIR/NAME a symlink to this binary for every name it
// answers to, replacing older links; relative ("xtnl") when the binary is
// in DIR.
func installLinks(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: xtnl install-links DIR")
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "xtnl: %v\n", err)
		return 1
	}
	// A link beside the binary names it relatively, so the directory can
	// be copied elsewhere (an image's build stage to its final one).
	target := self
	if dir, err := filepath.Abs(args[0]); err == nil && dir == filepath.Dir(self) {
		target = filepath.Base(self)
	}
	for _, n := range linkNames() {
		link := filepath.Join(args[0], n)
		if fi, err := os.Lstat(link); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			os.Remove(link)
		}
		if err := os.Symlink(target, link); err != nil {
			fmt.Fprintf(stderr, "xtnl: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, link)
	}
	return 0
}

func newIPT(proto compat.Protocol, netns string) (*compat.IPTables, error) {
	if netns != "" {
		return compat.New(compat.IPFamily(proto), compat.NetNS(netns))
	}
	return compat.New(compat.IPFamily(proto))
}
