package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/xtnl/xtnl/compat"
)

// Commands, as bits in iptables' order (cmd2char names them by bit).
const (
	cmdInsert = 1 << iota
	cmdDelete
	cmdDeleteNum
	cmdReplace
	cmdAppend
	cmdList
	cmdFlush
	cmdZero
	cmdNewChain
	cmdDeleteChain
	cmdSetPolicy
	cmdRenameChain
	cmdListRules
	cmdZeroNum
	cmdCheck
)

var cmdLetters = []byte("IDDRALFZNXPESZC")

func cmdChar(cmd int) byte {
	i := 0
	for ; cmd > 1; cmd >>= 1 {
		i++
	}
	return cmdLetters[i]
}

// Options checked against the command, in iptables' order (optflags).
const (
	optNumeric = 1 << iota
	optSource
	optDest
	optProto
	optJump
	optVerbose
	optExact
	optIn
	optOut
	optLineNumbers
	optCounters
	optFragment
)

var optLetters = []byte("nsdpjvxio0cf")

// legal is commands_v_options: for each command (row, in command bit
// order) and option (column, optLetters order), 'x' when illegal.
var legal = [15]string{
	"x     x  x  ", // INSERT
	"x     x  xx ", // DELETE
	"xxxxx xxxxxx", // DELETE_NUM
	"x     x  x  ", // REPLACE
	"x     x  x  ", // APPEND
	" xxxx  xx xx", // LIST
	"xxxxx xxxxxx", // FLUSH
	"xxxxx xxxxxx", // ZERO
	"xxxxx xxxxxx", // NEW_CHAIN
	"xxxxx xxxxxx", // DEL_CHAIN
	"xxxxx xxxx x", // SET_POLICY
	"xxxxx xxxxxx", // RENAME
	"xxxxx xxxxxx", // LIST_RULES
	"xxxxx xxxxxx", // ZERO_NUM
	"x     x  xx ", // CHECK
}

// invertible are the options "!" may precede.
const invertible = optSource | optDest | optProto | optIn | optOut | optFragment

// iptablesLongs is iptables' own getopt_long table (original_opts).
var iptablesLongs = []longOpt{
	{"append", 1, 'A'}, {"delete", 1, 'D'}, {"check", 1, 'C'}, {"insert", 1, 'I'},
	{"replace", 1, 'R'}, {"list", 2, 'L'}, {"list-rules", 2, 'S'}, {"flush", 2, 'F'},
	{"zero", 2, 'Z'}, {"new-chain", 1, 'N'}, {"delete-chain", 2, 'X'},
	{"rename-chain", 1, 'E'}, {"policy", 1, 'P'}, {"source", 1, 's'},
	{"destination", 1, 'd'}, {"src", 1, 's'}, {"dst", 1, 'd'}, {"protocol", 1, 'p'},
	{"in-interface", 1, 'i'}, {"jump", 1, 'j'}, {"table", 1, 't'}, {"match", 1, 'm'},
	{"numeric", 0, 'n'}, {"out-interface", 1, 'o'}, {"verbose", 0, 'v'},
	{"wait", 2, 'w'}, {"wait-interval", 2, 'W'}, {"exact", 0, 'x'},
	{"fragments", 0, 'f'}, {"version", 0, 'V'}, {"help", 2, 'h'},
	{"line-numbers", 0, '0'}, {"modprobe", 1, 'M'}, {"set-counters", 1, 'c'},
	{"goto", 1, 'g'}, {"ipv4", 0, '4'}, {"ipv6", 0, '6'},
}

const iptablesOptstring = "-:A:C:D:E:F::I:L::M:N:P:VX::Z::c:d:i:j:o:p:s:t:R:S::W::46bfg:h::m:nvw::x"

// ruleOption tells the options that belong to the rule (and go to
// compat's parser) from those of the command line.
func ruleOption(c rune) bool { return strings.ContainsRune("sdpijomgf", c) }

// command is a parsed iptables command line.
type command struct {
	cmd      int
	chain    string
	rulenum  int
	newname  string
	policy   string
	table    string
	verbose  int
	options  int
	jumpto   string
	rulespec []string // for compat's parser
	specs    []*compat.Spec
	help     bool
	version  string // -V's output line
}

// exitError is an iptables exit with a status and what it printed.
type exitError struct {
	status int
	msg    string // as printed, without the program prefix handling
	// plain: printed as is (no "prog v1.8.9 (nf_tables): " prefix).
	plain bool
	// tryHelp: followed by iptables' "Try `prog -h'" line.
	tryHelp bool
	// upgrade: followed by "Perhaps prog or your kernel needs to be upgraded."
	upgrade bool
}

func (e *exitError) Error() string { return e.msg }

func paramProblem(format string, args ...any) *exitError {
	return &exitError{status: 2, msg: fmt.Sprintf(format, args...), tryHelp: true}
}

// parseIptables is iptables' do_parse over args (args[0] the program).
func parseIptables(args []string, fam compat.Family) (*command, error) {
	c := &command{table: "filter"}
	g := newGetopt(args, iptablesOptstring, iptablesLongs)
	invert := false
	wait, waitIntervalSet := 0, false
	setOption := func(opt int) error {
		if c.options&opt != 0 {
			return paramProblem("multiple -%c flags not allowed", optLetters[bitIndex(opt)])
		}
		c.options |= opt
		if invert && invertible&opt == 0 {
			return paramProblem("cannot have ! before -%c", optLetters[bitIndex(opt)])
		}
		return nil
	}
	addCommand := func(cmd, others int) error {
		if invert {
			return paramProblem("unexpected '!' flag")
		}
		if c.cmd&^others != 0 {
			return paramProblem("Cannot use -%c with -%c", cmdChar(cmd), cmdChar(c.cmd&^others))
		}
		c.cmd |= cmd
		return nil
	}
	rulenum := func() error {
		w := g.take()
		n, err := strconv.ParseUint(w, 0, 32)
		if err != nil || n < 1 || n > 1<<31-1 {
			return paramProblem("Invalid rule number `%s'", w)
		}
		c.rulenum = int(n)
		return nil
	}
	optionalChain := func() {
		if g.hasOptarg {
			c.chain = g.optarg
		} else if g.hasArg() {
			c.chain = g.take()
		}
	}
	for {
		// Long options nothing of iptables' own names exactly, or that
		// abbreviate an option of the rule, go to compat as written: only
		// it knows the options of the extensions loaded so far.
		if g.next == "" && g.optind < len(args) && strings.HasPrefix(args[g.optind], "--") && args[g.optind] != "--" {
			name, _, _ := strings.Cut(args[g.optind][2:], "=")
			o, ok := lookupLong(iptablesLongs, name)
			exact := slices.ContainsFunc(iptablesLongs, func(l longOpt) bool { return l.name == name })
			if !ok || ruleOption(o.val) && !exact || !exact && loadedOption(fam, c.rulespec, name) {
				if invert {
					c.rulespec = append(c.rulespec, "!")
					invert = false
				}
				c.rulespec = append(c.rulespec, args[g.optind])
				g.optind++
				continue
			}
		}
		r := g.getopt()
		if r == optDone {
			break
		}
		var err error
		switch r {
		case 'A':
			err = addCommand(cmdAppend, 0)
			c.chain = g.optarg
		case 'C':
			err = addCommand(cmdCheck, 0)
			c.chain = g.optarg
		case 'D':
			err = addCommand(cmdDelete, 0)
			c.chain = g.optarg
			if err == nil && g.hasArg() {
				err = rulenum()
				c.cmd = cmdDeleteNum
			}
		case 'R':
			err = addCommand(cmdReplace, 0)
			c.chain = g.optarg
			if err == nil {
				if g.hasArg() {
					err = rulenum()
				} else {
					err = paramProblem("-R requires a rule number")
				}
			}
		case 'I':
			err = addCommand(cmdInsert, 0)
			c.chain = g.optarg
			c.rulenum = 1
			if err == nil && g.hasArg() {
				err = rulenum()
			}
		case 'L', 'S':
			cmd := cmdList
			if r == 'S' {
				cmd = cmdListRules
			}
			if err = addCommand(cmd, cmdZero|cmdZeroNum); err == nil {
				optionalChain()
				if g.hasArg() {
					err = rulenum()
				}
			}
		case 'F':
			err = addCommand(cmdFlush, 0)
			optionalChain()
		case 'Z':
			if err = addCommand(cmdZero, cmdList|cmdListRules); err == nil {
				optionalChain()
				if g.hasArg() {
					err = rulenum()
					c.cmd = cmdZeroNum
				}
			}
		case 'N':
			if err = validChainName(g.optarg); err == nil {
				err = addCommand(cmdNewChain, 0)
				c.chain = g.optarg
			}
		case 'X':
			err = addCommand(cmdDeleteChain, 0)
			optionalChain()
		case 'E':
			err = addCommand(cmdRenameChain, 0)
			c.chain = g.optarg
			if err == nil {
				if g.hasArg() {
					c.newname = g.take()
				} else {
					err = paramProblem("-E requires old-chain-name and new-chain-name")
				}
			}
		case 'P':
			err = addCommand(cmdSetPolicy, 0)
			c.chain = g.optarg
			if err == nil {
				if g.hasArg() {
					c.policy = g.take()
				} else {
					err = paramProblem("-P requires a chain and a policy")
				}
			}
		case 'h':
			c.help = true
			return c, nil
		case 'V':
			if invert {
				c.version = "Not 1.8.9 (nf_tables) ;-)"
			} else {
				c.version = "v1.8.9 (nf_tables)"
			}
			return c, nil
		case 's', 'd', 'p', 'i', 'o', 'f', 'j', 'g':
			opt := map[rune]int{'s': optSource, 'd': optDest, 'p': optProto, 'i': optIn, 'o': optOut, 'f': optFragment, 'j': optJump, 'g': optJump}[r]
			if r == 'f' && fam == compat.IPv6 {
				err = paramProblem("`-f' is not supported in IPv6, use -m frag instead")
				break
			}
			if err = setOption(opt); err != nil {
				break
			}
			if r == 'j' || r == 'g' {
				c.jumpto = g.optarg
			}
			arg := g.optarg
			if r != 'j' && r != 'g' {
				// iptables reads these from argv[optind-1]: for "-ptcp"
				// or "--source=x" that is the whole word.
				arg = args[g.optind-1]
			}
			c.rulespec = appendRule(c.rulespec, invert, "-"+string(r), arg, g.hasOptarg)
		case 'm':
			c.rulespec = appendRule(c.rulespec, invert, "-m", g.optarg, true)
		case 'c':
			if err = setOption(optCounters); err != nil {
				break
			}
			pcnt, bcnt, found := strings.Cut(g.optarg, ",")
			if pcnt == "" && found { // strchr starts after the first byte
				pcnt, bcnt, found = ",", "", false
				if k := strings.IndexByte(g.optarg[1:], ','); k >= 0 {
					pcnt, bcnt, found = g.optarg[:k+1], g.optarg[k+2:], true
				}
			}
			if !found && g.hasArg() {
				bcnt, found = g.take(), true
			}
			if !found {
				err = paramProblem("-c requires packet and byte counter")
			} else if !scanUint(pcnt) {
				err = paramProblem("-c packet counter not numeric")
			} else if !scanUint(bcnt) {
				err = paramProblem("-c byte counter not numeric")
			} else {
				c.rulespec = append(c.rulespec, "-c", leadingUint(pcnt), leadingUint(bcnt))
			}
		case 'v':
			if c.verbose == 0 {
				err = setOption(optVerbose)
			}
			c.verbose++
		case 'n':
			err = setOption(optNumeric)
		case 'x':
			err = setOption(optExact)
		case '0':
			err = setOption(optLineNumbers)
		case 't':
			if invert {
				err = paramProblem("unexpected ! flag before --table")
			}
			c.table = g.optarg
		case 'w':
			wait = -1
			v, has := g.optarg, g.hasOptarg
			if !has && g.hasArg() {
				v, has = g.take(), true
			}
			if has {
				n, ok := scanInt(v)
				if !ok {
					err = paramProblem("wait seconds not numeric")
				}
				wait = n
			}
		case 'W':
			v, has := g.optarg, g.hasOptarg
			if !has && g.hasArg() {
				v, has = g.take(), true
			}
			switch {
			case !has:
				err = paramProblem("wait interval value required")
			case !scanUint(v):
				err = paramProblem("wait interval not numeric")
			default:
				if n, _ := strconv.ParseUint(leadingUint(v), 10, 64); n > 999999 {
					err = paramProblem("too long usec wait %d > 999999 usec", uint32(n))
				} else {
					warn("Ignoring deprecated --wait-interval option.\n")
				}
			}
			waitIntervalSet = true
		case 'M':
		case '4':
			if fam != compat.IPv4 {
				return nil, &exitError{status: 2, plain: true, tryHelp: true}
			}
		case '6':
			if fam != compat.IPv6 {
				return nil, &exitError{status: 2, plain: true, tryHelp: true}
			}
		case optNonOption:
			if g.optarg == "!" {
				if invert {
					return nil, paramProblem("multiple consecutive ! not allowed")
				}
				invert = true
				continue
			}
			// A word after an option of an extension may be its
			// argument: compat's parser knows.
			if n := len(c.rulespec); n > 0 && strings.HasPrefix(c.rulespec[n-1], "--") && !strings.Contains(c.rulespec[n-1], "=") {
				c.rulespec = append(c.rulespec, g.optarg)
				break
			}
			// The second word of the options that take two (tcp's
			// --tcp-flags MASK COMP, sctp's --chunk-types MATCH LIST),
			// read by the extension from the command line as it goes.
			if n := len(c.rulespec); n > 1 && twoWordOption(c.rulespec[n-2]) && !strings.HasPrefix(c.rulespec[n-1], "-") {
				c.rulespec = append(c.rulespec, g.optarg)
				break
			}
			return nil, &exitError{status: 2, plain: true, msg: "Bad argument `" + g.optarg + "'", tryHelp: true}
		case optMissing:
			err = paramProblem("option \"%s\" requires an argument", args[g.optind-1])
		case optUnknown:
			err = paramProblem("unknown option \"%s\"", args[g.optind-1])
		default: // 'b'
			err = paramProblem("Unknown arg \"(null)\"")
		}
		if err != nil {
			return nil, err
		}
		invert = false
	}
	if c.table == "nat" && (c.policy == "DROP" || c.jumpto == "DROP") {
		return nil, paramProblem("\nThe \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.\n\n")
	}
	if wait == 0 && waitIntervalSet {
		return nil, paramProblem("--wait-interval only makes sense with --wait\n")
	}
	if len(c.rulespec) > 0 {
		specs, err := compat.Parse(fam, c.table, c.chain, c.rulespec)
		// A rule iptables sends and the kernel refuses (a match used
		// with the wrong -p) fails only once the command runs, with
		// iptables-nft's words for the command (compat's).
		if se := (*compat.SpecError)(nil); err != nil && !(errors.As(err, &se) && se.Kernel) {
			return nil, err
		}
		c.specs = specs
	}
	if g.optind < len(args) {
		return nil, paramProblem("unknown arguments found on commandline")
	}
	if c.cmd == 0 {
		return nil, paramProblem("no command specified")
	}
	if invert {
		return nil, paramProblem("nothing appropriate following !")
	}
	if c.cmd == cmdReplace && len(c.specs) > 1 {
		return nil, paramProblem("Replacement rule does not specify a unique address")
	}
	if err := checkOptions(c.cmd, c.options); err != nil {
		return nil, err
	}
	if len(c.chain) >= 29 {
		return nil, paramProblem("chain name `%s' too long (must be under 29 chars)", c.chain)
	}
	if c.cmd&(cmdAppend|cmdDelete|cmdDeleteNum|cmdCheck|cmdInsert|cmdReplace) != 0 {
		if (c.chain == "PREROUTING" || c.chain == "INPUT") && c.options&optOut != 0 {
			return nil, paramProblem("Can't use -o with %s\n", c.chain)
		}
		if (c.chain == "POSTROUTING" || c.chain == "OUTPUT") && c.options&optIn != 0 {
			return nil, paramProblem("Can't use -i with %s\n", c.chain)
		}
	}
	return c, nil
}

// loadedOption reports whether name is exactly an option of a match or
// target the rule loaded so far (-m NAME, -j NAME).
func loadedOption(fam compat.Family, rulespec []string, name string) bool {
	for i := 0; i+1 < len(rulespec); i++ {
		switch rulespec[i] {
		case "-m", "-j", "-g":
			if compat.ExtensionHasOption(fam, rulespec[i+1], rulespec[i] != "-m", name) {
				return true
			}
		}
	}
	return false
}

// twoWordOption reports whether opt, as typed (getopt_long takes
// unambiguous abbreviations), is an extension option of two words.
func twoWordOption(opt string) bool {
	for _, o := range []struct{ name, shortest string }{{"--tcp-flags", "--tcp-f"}, {"--chunk-types", "--ch"}} {
		if len(opt) >= len(o.shortest) && strings.HasPrefix(o.name, opt) {
			return true
		}
	}
	return false
}

// appendRule adds an option of the rule for compat, "!" first when
// inverted.
func appendRule(rs []string, invert bool, opt, arg string, hasArg bool) []string {
	if invert {
		rs = append(rs, "!")
	}
	rs = append(rs, opt)
	if hasArg {
		rs = append(rs, arg)
	}
	return rs
}

func bitIndex(b int) int {
	i := 0
	for ; b > 1; b >>= 1 {
		i++
	}
	return i
}

// checkOptions is generic_opt_check: an option is legal when any of the
// commands given allows it.
func checkOptions(cmd, options int) error {
	for i := range optLetters {
		if options&(1<<i) == 0 {
			continue
		}
		verdict := 0
		for j := range legal {
			if cmd&(1<<j) == 0 {
				continue
			}
			if legal[j][i] != 'x' {
				verdict = 1
			} else if verdict == 0 {
				verdict = -1
			}
		}
		if verdict == -1 {
			return paramProblem("Illegal option `-%c' with this command", optLetters[i])
		}
	}
	return nil
}

// validChainName is assert_valid_chain_name (-N).
func validChainName(name string) error {
	if len(name) >= 29 {
		return paramProblem("chain name `%s' too long (must be under 29 chars)", name)
	}
	if name != "" && (name[0] == '-' || name[0] == '!') {
		return paramProblem("chain name not allowed to start with `%c'", name[0])
	}
	_, targets := compat.ExtensionNames()
	if slices.Contains(targets, name) || slices.Contains([]string{"ACCEPT", "DROP", "RETURN", "QUEUE", "standard"}, name) {
		return paramProblem("chain name may not clash with target name")
	}
	if strings.IndexFunc(name, unicode.IsSpace) >= 0 {
		return paramProblem("Invalid chain name `%s'", name)
	}
	return nil
}

// scanUint is sscanf("%llu") succeeding: optional space and sign, then
// digits.
func scanUint(s string) bool { return leadingUint(s) != "" }

// leadingUint is the number sscanf("%llu") reads from s.
func leadingUint(s string) string {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	s = strings.TrimPrefix(s, "+")
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return s[:n]
}

// scanInt is sscanf("%i"): decimal, 0x hex or 0 octal, with a sign.
func scanInt(s string) (int, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base, digits := 10, "0123456789"
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		base, digits, s = 16, "0123456789abcdefABCDEF", s[2:]
	case strings.HasPrefix(s, "0"):
		base, digits = 8, "01234567"
	}
	n := 0
	for n < len(s) && strings.IndexByte(digits, s[n]) >= 0 {
		n++
	}
	if n == 0 {
		return 0, base == 16 // "0x" alone reads the 0
	}
	v, _ := strconv.ParseInt(s[:n], base, 64)
	if neg {
		v = -v
	}
	return int(v), true
}
