package nft

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xtnl/xtnl"
)

// Main runs nft's command line: `nft -f FILE`, `nft list ruleset`, `nft add
// rule ...`, with nft's output and exit status (0, or 1 on any error). It
// is what `xtnl nft` and the multi-call name `nft` run. Options: -f FILE
// (- for standard input), -c (check only), -a, -n, -s, -S, and
// --netns NAME to work in a named network namespace.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o := &PrintOptions{}
	var file, netns string
	check := false
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		switch {
		case a == "-f" || a == "--file":
			if i+1 >= len(args) {
				fmt.Fprintln(stderr, "nft: option requires an argument -- 'f'")
				return 1
			}
			i++
			file = args[i]
		case a == "--netns":
			if i+1 >= len(args) {
				fmt.Fprintln(stderr, "nft: option --netns requires an argument")
				return 1
			}
			i++
			netns = args[i]
		case a == "-c" || a == "--check":
			check = true
		case a == "-a" || a == "--handle":
			o.Handles = true
		case a == "-n" || a == "--numeric":
			o.Numeric = true
		case a == "-s" || a == "--stateless":
			o.Stateless = true
		case a == "-S" || a == "--service":
			o.Services = true
		case strings.HasPrefix(a, "--debug"):
		default:
			// combined short flags (-nn, -an)
			ok := true
			for _, c := range a[1:] {
				switch c {
				case 'a':
					o.Handles = true
				case 'n':
					o.Numeric = true
				case 's':
					o.Stateless = true
				case 'S':
					o.Services = true
				case 'c':
					check = true
				default:
					ok = false
				}
			}
			if !ok {
				fmt.Fprintf(stderr, "nft: unrecognized option '%s'\n", a)
				return 1
			}
		}
	}
	var src, name string
	switch {
	case file == "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "Error: %v\n", err)
			return 1
		}
		src, name = string(b), "/dev/stdin"
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(stderr, "Error: Could not process rule: %v\n", err)
			return 1
		}
		src, name = string(b), file
	default:
		if i >= len(args) {
			fmt.Fprintln(stderr, "Error: no command specified")
			return 1
		}
		src, name = strings.Join(args[i:], " "), "<cmdline>"
	}
	var opts []xtnl.Option
	if netns != "" {
		opts = append(opts, xtnl.WithNetNS(netns))
	}
	c, err := xtnl.Open(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	defer c.Close()
	return run(c, src, name, check, o, stdout, stderr)
}

func run(c *xtnl.Conn, src, name string, check bool, o *PrintOptions, stdout, stderr io.Writer) int {
	prog, err := Compile(src, Options{File: name, Lookup: ConnLookup(c)})
	if err != nil {
		var el ErrorList
		if errors.As(err, &el) {
			for _, e := range el {
				fmt.Fprintln(stderr, e.Display())
			}
		} else {
			fmt.Fprintf(stderr, "Error: %v\n", err)
		}
		return 1
	}
	apply := prog.Apply
	if check {
		apply = prog.Check
	}
	{
		if err := apply(c); err != nil {
			var oe *xtnl.OpError
			if errors.As(err, &oe) {
				fmt.Fprintf(stderr, "%s: Error: Could not process rule: %s\n", name, errnoText(oe))
			} else {
				fmt.Fprintf(stderr, "Error: %v\n", err)
			}
			return 1
		}
	}
	if check {
		return 0
	}
	for _, l := range prog.Lists {
		var out string
		var err error
		switch l.Obj {
		case "ruleset":
			fam := xtnl.Family(0)
			if l.famGiven {
				fam = l.Family
			}
			out, err = ListRuleset(c, fam, o)
		case "table":
			out, err = ListTable(c, l.Family, l.Table, o)
		default:
			err = fmt.Errorf("list %s is not supported yet", l.Obj)
		}
		if err != nil {
			fmt.Fprintf(stderr, "Error: %v\n", err)
			return 1
		}
		io.WriteString(stdout, out)
	}
	return 0
}

func errnoText(oe *xtnl.OpError) string {
	s := oe.Errno.Error()
	if s == "" {
		return oe.Error()
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ConnLookup answers the compiler's questions about the existing ruleset
// from the kernel, through c.
func ConnLookup(c *xtnl.Conn) Lookup { return connLookup{c} }

// connLookup answers the compiler's questions from the kernel.
type connLookup struct{ c *xtnl.Conn }

func (l connLookup) ChainHook(fam xtnl.Family, table, chain string) (string, bool) {
	ch, err := l.c.GetChain(fam, table, chain)
	if err != nil {
		return "", false
	}
	if ch.Base == nil {
		return "", true
	}
	return ch.Base.Hook.String(), true
}
