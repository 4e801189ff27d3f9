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
// rule ...`, with nft 1.0.6's output, messages and exit status (0, or 1 on
// any error). It is what `xtnl nft` and the multi-call name `nft` run;
// args are the arguments after the program's name. Options are nft's
// (getopt's: -nn, -f FILE, --file=FILE, unique prefixes of long names),
// and --netns NAME works in a named network namespace.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cl, code, done := parseArgs(args, stdout, stderr)
	if done {
		return code
	}
	var src, name string
	switch {
	case len(cl.words) > 0:
		// nft_run_cmd_from_buffer reads the words joined, and a newline
		src, name = strings.Join(cl.words, " ")+"\n", "<cmdline>"
	case cl.file == "-" || cl.file == "/dev/stdin":
		b, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "Error: %v\n", err)
			return 1
		}
		src, name = string(b), "/dev/stdin"
	case cl.fileGiven:
		b, err := os.ReadFile(cl.file)
		if err != nil {
			// erec_print prints the empty line of the internal location, and its carets line
			fmt.Fprintf(stderr, "internal:0:0-0: Error: Could not open file \"%s\": %s\n\n\n", cl.file, errnoSentence(err))
			return 1
		}
		src, name = string(b), cl.file
	default:
		fmt.Fprintln(stderr, "nft: no command specified")
		return 1
	}
	var opts []xtnl.Option
	if cl.netns != "" {
		opts = append(opts, xtnl.WithNetNS(cl.netns))
	}
	c, err := xtnl.Open(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	defer c.Close()
	return run(c, src, name, cl.check, &cl.print, stdout, stderr)
}

// errnoSentence is strerror's text for err's errno ("No such file or
// directory").
func errnoSentence(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	s := err.Error()
	return strings.ToUpper(s[:1]) + s[1:]
}

func run(c *xtnl.Conn, src, name string, check bool, o *PrintOptions, stdout, stderr io.Writer) int {
	copts := Options{File: name, Lookup: ConnLookup(c)}
	prog, err := Compile(src, copts)
	if err != nil {
		printErrors(stderr, err)
		return 1
	}
	apply := prog.Apply
	if check {
		apply = prog.Check
	}
	if err := apply(c); err != nil {
		if el, ok := refusedErrors(src, copts, len(prog.Messages), err); ok {
			err = el
		}
		printErrors(stderr, err)
		return 1
	}
	if check {
		return 0
	}
	for _, l := range prog.Lists {
		out, err := listCommand(c, l, o)
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.File, e.Text = name, lineText(src, e.Line)
			}
			printErrors(stderr, err)
			return 1
		}
		io.WriteString(stdout, out)
	}
	return 0
}

// printErrors writes err as nft does: each *Error with its line and
// carets.
func printErrors(w io.Writer, err error) {
	var el ErrorList
	var e *Error
	switch {
	case errors.As(err, &el):
		for _, e := range el {
			fmt.Fprintln(w, e.Display())
		}
	case errors.As(err, &e):
		fmt.Fprintln(w, e.Display())
	default:
		fmt.Fprintf(w, "Error: %v\n", err)
	}
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
