package main

import "strings"

// getopt reads a command line as glibc's getopt_long does, because
// scripts rely on its grammar: bundled short options (-nvL), an option's
// argument glued to it (-w5, -ptcp) or in the next word, long options
// abbreviated to any unambiguous prefix (--line), and --opt=value.
//
// Two orderings are used by the programs emulated here: iptables passes
// an optstring beginning with '-', so words that are not options come
// back in order as code 1 (inOrder); iptables-save and -restore use the
// default ordering, where such words are set aside and left at the end
// (rest).
type getopt struct {
	args    []string // argv, args[0] the program
	optind  int      // the next word to read
	next    string   // the rest of a bundle of short options being read
	shorts  string   // the optstring without its leading '-' and ':'
	longs   []longOpt
	inOrder bool
	colon   bool     // the optstring asks ':' for a missing argument
	rest    []string // non-options set aside (default ordering)

	optarg    string
	hasOptarg bool
	// word is the option as given, for messages: "--lis=INPUT", "-A";
	// optopt the short option letter last read.
	word       string
	optopt     byte
	missingArg bool
}

// longOpt is one entry of getopt_long's table: hasArg 0 none, 1
// required, 2 optional (only with '=').
type longOpt struct {
	name   string
	hasArg int
	val    rune
}

const (
	optNonOption rune = 1   // a word that is not an option (inOrder)
	optUnknown   rune = '?' // unknown, ambiguous, or with an argument it does not take
	optMissing   rune = ':' // its required argument is missing
	optDone      rune = -1
)

func newGetopt(args []string, optstring string, longs []longOpt) *getopt {
	g := &getopt{args: args, optind: 1, longs: longs}
	if strings.HasPrefix(optstring, "-") {
		g.inOrder = true
		optstring = optstring[1:]
	}
	if strings.HasPrefix(optstring, ":") {
		g.colon = true
		optstring = optstring[1:]
	}
	g.shorts = optstring
	return g
}

func (g *getopt) missing() rune {
	if g.colon {
		return optMissing
	}
	return optUnknown
}

// hasArg is xs_has_arg: the next word exists and is neither an option
// nor "!" (iptables takes a chain or rule number from it).
func (g *getopt) hasArg() bool {
	return g.optind < len(g.args) && !strings.HasPrefix(g.args[g.optind], "-") && !strings.HasPrefix(g.args[g.optind], "!")
}

// take returns the next word and moves past it (after hasArg).
func (g *getopt) take() string {
	g.optind++
	return g.args[g.optind-1]
}

// getopt returns the next option's code; optarg holds its argument.
func (g *getopt) getopt() rune {
	g.optarg, g.hasOptarg = "", false
	if g.next == "" {
		for {
			if g.optind >= len(g.args) {
				return optDone
			}
			a := g.args[g.optind]
			if a == "--" {
				g.optind++
				if !g.inOrder {
					g.rest = append(g.rest, g.args[g.optind:]...)
					g.optind = len(g.args)
				}
				return optDone
			}
			if len(a) < 2 || a[0] != '-' {
				g.optind++
				if g.inOrder {
					g.optarg, g.hasOptarg, g.word = a, true, a
					return optNonOption
				}
				g.rest = append(g.rest, a)
				continue
			}
			if strings.HasPrefix(a, "--") {
				g.optind++
				g.word = a
				return g.long(a[2:])
			}
			g.word = a
			g.next = a[1:]
			break
		}
	}
	// optind moves past a bundle only once it is read (glibc), so a
	// message about a letter inside one quotes the word before it.
	c := g.next[0]
	g.next = g.next[1:]
	g.optopt = c
	g.missingArg = false
	i := strings.IndexByte(g.shorts, c)
	wants := ""
	if i >= 0 && c != ':' {
		wants = g.shorts[i+1:]
	}
	switch {
	case strings.HasPrefix(wants, "::"):
		if g.next != "" {
			g.optarg, g.hasOptarg = g.next, true
			g.next = ""
		}
	case strings.HasPrefix(wants, ":"):
		if g.next != "" {
			g.optarg, g.hasOptarg = g.next, true
			g.next = ""
		} else if g.optind+1 < len(g.args) {
			g.optind++
			g.optarg, g.hasOptarg = g.args[g.optind], true
		} else {
			g.optind++
			g.word = "-" + string(c)
			g.missingArg = true
			return g.missing()
		}
	}
	if g.next == "" {
		g.optind++
	}
	if i < 0 || c == ':' {
		return optUnknown
	}
	word := "-" + string(c)
	g.word = word
	return rune(c)
}

// long resolves a long option (name, without "--") as getopt_long does:
// an exact name wins; otherwise a prefix of one option, or of several
// that are the same option; anything else is unknown.
func (g *getopt) long(name string) rune {
	arg, hasEq := "", false
	if k := strings.IndexByte(name, '='); k >= 0 {
		name, arg, hasEq = name[:k], name[k+1:], true
	}
	o, ok := lookupLong(g.longs, name)
	if !ok {
		return optUnknown
	}
	switch {
	case hasEq && o.hasArg == 0:
		return optUnknown
	case hasEq:
		g.optarg, g.hasOptarg = arg, true
	case o.hasArg == 1:
		if g.optind >= len(g.args) {
			g.missingArg = true
			return g.missing()
		}
		g.optarg, g.hasOptarg = g.args[g.optind], true
		g.optind++
	}
	return o.val
}

// lookupLong finds name in a getopt_long table, exactly or as an
// unambiguous abbreviation.
func lookupLong(longs []longOpt, name string) (longOpt, bool) {
	for _, o := range longs {
		if o.name == name {
			return o, true
		}
	}
	var found *longOpt
	for i := range longs {
		o := &longs[i]
		if name == "" || !strings.HasPrefix(o.name, name) {
			continue
		}
		if found != nil && (found.hasArg != o.hasArg || found.val != o.val) {
			return longOpt{}, false // ambiguous
		}
		if found == nil {
			found = o
		}
	}
	if found == nil {
		return longOpt{}, false
	}
	return *found, true
}
