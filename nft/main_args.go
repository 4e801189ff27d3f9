package nft

import (
	"fmt"
	"io"
	"strings"
)

// nft 1.0.6's command line options, read as its main.c reads them: with
// getopt_long and the option string "+hvVcf:D:iI:jnsNSd:aeuypTto" (stop at
// the first word that is not an option), after nft_options_check has
// refused options written after the command.

// cmdLine is what the options ask for.
type cmdLine struct {
	words     []string // the command, when given on the command line
	file      string
	fileGiven bool
	check     bool
	netns     string
	print     PrintOptions
	defines   []string // -D NAME=VALUE
}

// nftOption is one of nft's options: its letter, long name and whether it
// takes an argument.
type nftOption struct {
	short byte
	long  string
	arg   bool
}

// nftOptions are nft's, in main.c's order, and xtnl's --netns.
var nftOptions = []nftOption{
	{'h', "help", false}, {'v', "version", false}, {'V', "", false},
	{'f', "file", true}, {'D', "define", true}, {'i', "interactive", false},
	{'I', "includepath", true}, {'c', "check", false}, {'a', "handle", false},
	{'s', "stateless", false}, {'t', "terse", false}, {'S', "service", false},
	{'N', "reversedns", false}, {'u', "guid", false}, {'n', "numeric", false},
	{'y', "numeric-priority", false}, {'p', "numeric-protocol", false},
	{'T', "numeric-time", false}, {'e', "echo", false}, {'j', "json", false},
	{'d', "debug", true}, {'o', "optimize", false}, {0, "netns", true},
}

// debugLevels are the words -d takes.
var debugLevels = map[string]bool{"scanner": true, "parser": true, "eval": true, "netlink": true, "mnl": true, "proto-ctx": true, "segtree": true, "all": true}

// parseArgs reads the options. done says Main has nothing more to do
// (help, version, or an error already printed), with code its status.
func parseArgs(args []string, stdout, stderr io.Writer) (cl cmdLine, code int, done bool) {
	if !optionsFirst(args, stdout, stderr) {
		return cl, 1, true
	}
	define := false
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		var opts []nftOption
		var vals []string
		if strings.HasPrefix(a, "--") {
			o, val, hasVal, ok := longOption(a[2:], stderr)
			if !ok {
				return cl, 1, true
			}
			switch {
			case o.arg && !hasVal:
				if i+1 >= len(args) {
					fmt.Fprintf(stderr, "nft: option '--%s' requires an argument\n", o.long)
					return cl, 1, true
				}
				i++
				val = args[i]
			case !o.arg && hasVal:
				fmt.Fprintf(stderr, "nft: option '--%s' doesn't allow an argument\n", o.long)
				return cl, 1, true
			}
			opts, vals = append(opts, o), append(vals, val)
		} else {
			for k := 1; k < len(a); k++ {
				o, ok := shortOption(a[k])
				if !ok {
					fmt.Fprintf(stderr, "nft: invalid option -- '%c'\n", a[k])
					return cl, 1, true
				}
				val := ""
				if o.arg {
					if k+1 < len(a) {
						val = a[k+1:]
					} else if i+1 < len(args) {
						i++
						val = args[i]
					} else {
						fmt.Fprintf(stderr, "nft: option requires an argument -- '%c'\n", o.short)
						return cl, 1, true
					}
					k = len(a)
				}
				opts, vals = append(opts, o), append(vals, val)
			}
		}
		for n, o := range opts {
			if code, done := cl.apply(o, vals[n], &define, stdout, stderr); done {
				return cl, code, true
			}
		}
	}
	if define && !cl.fileGiven {
		fmt.Fprintln(stderr, "Error: -D/--define can only be used with -f/--filename")
		return cl, 1, true
	}
	if define {
		// defines from the command line are not supported: say so
		// rather than read the script without them
		fmt.Fprintf(stderr, "Failed to define variable '%s'\n", cl.defines[0])
		return cl, 1, true
	}
	cl.words = args[i:]
	return cl, 0, false
}

// apply does what option o asks; done says Main stops there.
func (cl *cmdLine) apply(o nftOption, val string, define *bool, stdout, stderr io.Writer) (code int, done bool) {
	switch o.short {
	case 'h':
		io.WriteString(stdout, nftHelp)
		return 0, true
	case 'v':
		fmt.Fprintln(stdout, "nftables v1.0.6 (Lester Gooch #5)")
		return 0, true
	case 'V':
		io.WriteString(stdout, "nftables v1.0.6 (Lester Gooch #5)\n  cli:\t\tno\n  json:\t\tno\n  minigmp:\tno\n  libxtables:\tno\n")
		return 0, true
	case 'f':
		cl.file, cl.fileGiven = val, true
	case 'D':
		*define = true
		cl.defines = append(cl.defines, val)
	case 'i':
		fmt.Fprintln(stderr, "nft: interactive CLI not supported in this build")
		return 1, true
	case 'j':
		fmt.Fprintln(stderr, "JSON support not compiled-in")
		return 1, true
	case 'c':
		cl.check = true
	case 'a':
		cl.print.Handles = true
	case 'n':
		cl.print.Numeric = true
		cl.print.numericTime = true
		cl.print.numericPrio = true
	case 's':
		cl.print.Stateless = true
	case 'S':
		cl.print.Services = true
	case 'T':
		cl.print.numericTime = true
	case 'y':
		cl.print.numericPrio = true
	case 't':
		cl.print.terse = true
	case 'u':
		cl.print.guid = true
	case 'd':
		for _, l := range strings.Split(val, ",") {
			if !debugLevels[l] {
				fmt.Fprintf(stderr, "invalid debug parameter `%s'\n", l)
				return 1, true
			}
		}
	case 0:
		cl.netns = val
	}
	return 0, false
}

// shortOption finds the option of letter c.
func shortOption(c byte) (nftOption, bool) {
	for _, o := range nftOptions {
		if o.short == c && c != 0 {
			return o, true
		}
	}
	return nftOption{}, false
}

// longOption finds the long option s names (NAME or NAME=VALUE), exactly
// or by a unique prefix, as getopt_long does; it prints getopt's message
// when there is none.
func longOption(s string, stderr io.Writer) (o nftOption, val string, hasVal, ok bool) {
	name, val, hasVal := strings.Cut(s, "=")
	var found []nftOption
	for _, o := range nftOptions {
		if o.long == "" {
			continue
		}
		if o.long == name {
			return o, val, hasVal, true
		}
		if strings.HasPrefix(o.long, name) {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 1:
		return found[0], val, hasVal, true
	case 0:
		fmt.Fprintf(stderr, "nft: unrecognized option '--%s'\n", s)
	default:
		fmt.Fprintf(stderr, "nft: option '--%s' is ambiguous; possibilities:", name)
		for _, o := range found {
			fmt.Fprintf(stderr, " '--%s'", o.long)
		}
		fmt.Fprintln(stderr)
	}
	return nftOption{}, "", false, false
}

// optionsFirst is nft_options_check: an option after the command's first
// word is refused (a word starting with '-' counts, a negative priority
// too, unless a '{' came before it).
func optionsFirst(args []string, stdout, stderr io.Writer) bool {
	argv := append([]string{"nft"}, args...)
	skip, nonoption := false, false
	pos := 0
	for i := 1; i < len(argv); i++ {
		pos += len(argv[i-1]) + 1
		a := argv[i]
		switch {
		case strings.HasPrefix(a, "{"):
			return true
		case skip:
			skip = false
		case strings.HasPrefix(a, "-"):
			if nonoption {
				fmt.Fprintln(stderr, "Error: syntax error, options must be specified before commands")
				for _, w := range argv {
					fmt.Fprintf(stderr, "%s ", w)
				}
				fmt.Fprintf(stdout, "\n%4c%*s\n", '^', pos-2, "~~")
				return false
			}
			if len(a) > 1 && strings.IndexByte("dIfD", a[1]) >= 0 || a == "--debug" || a == "--includepath" || a == "--define" || a == "--file" || a == "--netns" {
				skip = true
			}
		default:
			nonoption = true
		}
	}
	return true
}

// nftHelp is nft -h.
const nftHelp = `Usage: nft [ options ] [ cmds... ]

Options (general):
  -h, --help                      Show this help
  -v, --version                   Show version information
  -V                              Show extended version information

Options (ruleset input handling):
  -f, --file <filename>           Read input from <filename>
  -D, --define <name=value>       Define variable, e.g. --define foo=1.2.3.4
  -i, --interactive               Read input from interactive CLI
  -I, --includepath <directory>   Add <directory> to the paths searched for include files. Default is: /etc
  -c, --check                     Check commands validity without actually applying the changes.
  -o, --optimize                  Optimize ruleset

Options (ruleset list formatting):
  -a, --handle                    Output rule handle.
  -s, --stateless                 Omit stateful information of ruleset.
  -t, --terse                     Omit contents of sets.
  -S, --service                   Translate ports to service names as described in /etc/services.
  -N, --reversedns                Translate IP addresses to names.
  -u, --guid                      Print UID/GID as defined in /etc/passwd and /etc/group.
  -n, --numeric                   Print fully numerical output.
  -y, --numeric-priority          Print chain priority numerically.
  -p, --numeric-protocol          Print layer 4 protocols numerically.
  -T, --numeric-time              Print time values numerically.

Options (command output formatting):
  -e, --echo                      Echo what has been added, inserted or replaced.
  -j, --json                      Format output in JSON
  -d, --debug <level [,level...]> Specify debugging level (scanner, parser, eval, netlink, mnl, proto-ctx, segtree, all)

`
