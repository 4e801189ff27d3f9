package compat

import (
	"slices"
	"strconv"
	"strings"
)

// ParseContext is what an extension's Init, Parse and Final see of the
// rule being parsed.
type ParseContext struct {
	Family Family
	Table  string
	Chain  string
	// Spec is the rule so far: the IP part (-p, -s, ...) is complete once
	// Final runs.
	Spec *Spec
	// NetNSFd is the network namespace the rule is for (-1: the current
	// one): lookups such as ipset names happen there.
	NetNSFd int

	state *parseState // of the extension being parsed (engine.go)
}

// coreOption is one of iptables' own options.
type coreOption struct {
	short  byte
	long   []string
	args   int
	invert bool
}

var coreOptions = []coreOption{
	{'s', []string{"source", "src"}, 1, true},
	{'d', []string{"destination", "dst"}, 1, true},
	{'i', []string{"in-interface"}, 1, true},
	{'o', []string{"out-interface"}, 1, true},
	{'p', []string{"protocol"}, 1, true},
	{'f', []string{"fragment"}, 0, true},
	{'m', []string{"match"}, 1, false},
	{'j', []string{"jump"}, 1, false},
	{'g', []string{"goto"}, 1, false},
	{'c', []string{"set-counters"}, 1, false},
	{'4', []string{"ipv4"}, 0, false},
	{'6', []string{"ipv6"}, 0, false},
}

// standardVerdicts are the targets that are plain verdicts.
var standardVerdicts = []string{"ACCEPT", "DROP", "RETURN"}

// maxChainName is the longest chain name iptables accepts
// (XT_EXTENSION_MAXNAMELEN - 1).
const maxChainName = 28

type loadedExt struct {
	inst  *Instance
	seen  uint64 // options given, by index in Ext.Options
	state parseState
}

type parser struct {
	ctx      ParseContext
	spec     *Spec
	args     []string
	i        int
	srcs     []Addr
	dsts     []Addr
	seenCore uint64 // core options given, by index in coreOptions
	protoArg string
	protoUse bool
	loaded   []*loadedExt // matches, in order
	target   *loadedExt
	order    []*loadedExt // matches and target, in load order
	call     OptionCall   // the option being handed to an extension

	// Memory reused from one parse to the next (see builder): the rule,
	// its counters, its extensions' instances and payloads.
	specBuf  Spec
	counters Counters
	specs    [1]*Spec
	insts    []Instance
	exts     []loadedExt
	info     []byte
}

// Parse parses an iptables rulespec (what follows "-A CHAIN") for the given
// family, table and chain. iptables makes one rule per combination of
// comma-separated -s and -d addresses, so Parse returns one Spec for each.
// Errors are *SpecError naming the offending token.
func Parse(fam Family, table, chain string, args []string) ([]*Spec, error) {
	return ParseIn(-1, fam, table, chain, args)
}

// ParseIn is Parse for a rule bound for the network namespace behind
// nsFd (-1: the current one), where names such as ipsets are looked up.
func ParseIn(nsFd int, fam Family, table, chain string, args []string) ([]*Spec, error) {
	return new(parser).parse(nsFd, fam, table, chain, args)
}

// parse parses one rulespec into memory of p's: the Specs it returns are
// valid until p parses again.
func (p *parser) parse(nsFd int, fam Family, table, chain string, args []string) ([]*Spec, error) {
	if fam != IPv4 && fam != IPv6 {
		return nil, badSpec("", "family must be IPv4 or IPv6")
	}
	for _, a := range args {
		if strings.IndexByte(a, 0) >= 0 {
			return nil, badSpec(strconv.Quote(a), "argument contains a NUL byte")
		}
	}
	p.reset(nsFd, fam, table, chain, args)
	if err := p.run(); err != nil {
		return nil, err
	}
	return p.expand(), nil
}

// reset readies p for a new rule, keeping its memory.
func (p *parser) reset(nsFd int, fam Family, table, chain string, args []string) {
	p.specBuf = Spec{Family: fam, Table: table, Chain: chain, nsFd: nsFd, Matches: p.specBuf.Matches[:0]}
	p.spec = &p.specBuf
	p.ctx = ParseContext{Family: fam, Table: table, Chain: chain, Spec: p.spec, NetNSFd: nsFd}
	p.args, p.i = args, 0
	p.srcs, p.dsts = p.srcs[:0], p.dsts[:0]
	p.seenCore, p.protoArg, p.protoUse = 0, "", false
	p.loaded, p.target, p.order = p.loaded[:0], nil, p.order[:0]
	p.insts, p.exts, p.info = p.insts[:0], p.exts[:0], p.info[:0]
}

// newInstance returns a zeroed instance of ext. Instances and payloads
// come from chunks reused by the next parse; a full chunk is replaced,
// not grown, so the instances already handed out stay where they are.
func (p *parser) newInstance(ext *Extension) *Instance {
	if len(p.insts) == cap(p.insts) {
		p.insts = make([]Instance, 0, max(4, 2*cap(p.insts)))
	}
	n := XTAlign(ext.Size)
	if cap(p.info)-len(p.info) < n {
		p.info = make([]byte, 0, max(1024, 2*cap(p.info), n))
	}
	at := len(p.info)
	p.info = p.info[:at+n]
	info := p.info[at : at+n : at+n]
	clear(info)
	p.insts = append(p.insts, Instance{Ext: ext, Info: info})
	return &p.insts[len(p.insts)-1]
}

func (p *parser) newLoaded(inst *Instance) *loadedExt {
	if len(p.exts) == cap(p.exts) {
		p.exts = make([]loadedExt, 0, max(4, 2*cap(p.exts)))
	}
	p.exts = append(p.exts, loadedExt{inst: inst})
	return &p.exts[len(p.exts)-1]
}

func (p *parser) run() error {
	invert := false
	for p.i = 0; p.i < len(p.args); p.i++ {
		tok := p.args[p.i] // parse refused NUL bytes in any
		if tok == "!" {
			if invert {
				return badSpec(tok, "multiple consecutive ! not allowed")
			}
			invert = true
			continue
		}
		if len(tok) < 2 || tok[0] != '-' {
			return badSpec(tok, "bad argument `%s'", tok)
		}
		if err := p.option(tok, invert); err != nil {
			return err
		}
		invert = false
	}
	if invert {
		return badSpec("!", "! must be followed by an option")
	}
	all := p.loaded
	if p.target != nil {
		all = append(slices.Clip(all), p.target)
	}
	for _, l := range all {
		if err := p.finish(l); err != nil {
			return err
		}
	}
	return nil
}

// option handles one option token (and consumes its arguments).
func (p *parser) option(tok string, invert bool) error {
	name, inline, hasInline := tok, "", false
	long := strings.HasPrefix(tok, "--")
	if long {
		name = tok[2:]
		if k := strings.IndexByte(name, '='); k >= 0 {
			name, inline, hasInline = name[:k], name[k+1:], true
		}
	}
	if !long {
		// Short options: only iptables' own. An argument may be attached
		// ("-ptcp"), as getopt allows for an option that takes one.
		if i := coreByShort[tok[1]]; i > 0 {
			o := coreOptions[i-1]
			if len(tok) == 2 {
				return p.core(o, tok, "", false, invert)
			}
			if o.args > 0 {
				return p.core(o, tok, tok[2:], true, invert)
			}
		}
		return badSpec(tok, "unknown option \"%s\"", tok)
	}
	// Exact names first (core, then loaded extensions in load order, then
	// the target), then unique abbreviations, as getopt_long resolves them.
	if o, ok := findCore(name, true); ok {
		return p.core(o, tok, inline, hasInline, invert)
	}
	if l, opt := p.findExt(name, true); l != nil {
		return p.extOption(l, opt, tok, inline, hasInline, invert)
	}
	if o, ok := findCore(name, false); ok {
		return p.core(o, tok, inline, hasInline, invert)
	}
	if l, opt := p.findExt(name, false); l != nil {
		return p.extOption(l, opt, tok, inline, hasInline, invert)
	}
	if !p.protoUse && p.protoArg != "" {
		// "-p tcp --dport 22": the protocol's match is loaded implicitly
		// for an option nothing loaded knows.
		p.protoUse = true
		if ext := lookup(matches, protoMatchName(p.spec.Proto, p.protoArg), p.spec.Family); ext != nil {
			if err := p.load(ext); err != nil {
				return err
			}
			return p.option(tok, invert)
		}
	}
	return badSpec(tok, "unknown option \"%s\"", tok)
}

// findCore finds a core option by its long name, or (exact false) by an
// unambiguous abbreviation of one.
func findCore(name string, exact bool) (coreOption, bool) {
	i, ok := coreByName[name]
	if !ok && !exact {
		i, ok = coreByPrefix[name]
	}
	if !ok || i < 0 {
		return coreOption{}, false
	}
	return coreOptions[i], true
}

// coreByName and coreByPrefix index coreOptions by long name and by
// abbreviation (-1: ambiguous), as getopt_long resolves them; coreByShort
// by short name (index+1; 0: none).
var (
	coreByName, coreByPrefix = indexCoreOptions()
	coreByShort              = func() (t [256]int8) {
		for i, o := range coreOptions {
			t[o.short] = int8(i + 1)
		}
		return t
	}()
)

func indexCoreOptions() (byName, byPrefix map[string]int) {
	byName, byPrefix = map[string]int{}, map[string]int{}
	for i, o := range coreOptions {
		for _, l := range o.long {
			byName[l] = i
			for n := 1; n <= len(l); n++ {
				p := l[:n]
				if j, seen := byPrefix[p]; seen && j != i {
					byPrefix[p] = -1
				} else {
					byPrefix[p] = i
				}
			}
		}
	}
	return byName, byPrefix
}

// findExt looks an option up among the loaded extensions, the most
// recently loaded first: iptables merges each new extension's options in
// front of the older ones, so "-m tcp --dport 22 -m tcp --sport 80" gives
// each tcp match one port.
func (p *parser) findExt(name string, exact bool) (*loadedExt, *Option) {
	for i := len(p.order) - 1; i >= 0; i-- {
		l := p.order[i]
		if j, ok := l.inst.Ext.optionByName[name]; ok {
			return l, &l.inst.Ext.Options[j]
		}
	}
	if exact {
		return nil, nil
	}
	for i := len(p.order) - 1; i >= 0; i-- {
		if o, ok := p.order[i].inst.Ext.findOption(name); ok {
			return p.order[i], o
		}
	}
	return nil, nil
}

// takeArgs collects n arguments for the option at p.i. The old
// "--opt ! value" spelling of negation is refused by iptables 1.8.9 ("!"
// is then taken as the value, and is invalid as one); so it is here.
func (p *parser) takeArgs(tok string, n int, inline string, hasInline bool, invert *bool) ([]string, error) {
	if n == 0 {
		if hasInline {
			return nil, badSpec(tok, "option \"%s\" doesn't allow an argument", tok)
		}
		return nil, nil
	}
	if !hasInline {
		// The common case: the arguments are the next tokens.
		if p.i+n >= len(p.args) {
			return nil, badSpec(tok, "option \"%s\" requires an argument", tok)
		}
		out := p.args[p.i+1 : p.i+1+n : p.i+1+n]
		p.i += n
		return out, nil
	}
	out := []string{inline}
	for len(out) < n {
		if p.i+1 >= len(p.args) {
			return nil, badSpec(tok, "option \"%s\" requires an argument", tok)
		}
		next := p.args[p.i+1]
		out = append(out, next)
		p.i++
	}
	return out, nil
}

func (p *parser) core(o coreOption, tok, inline string, hasInline, invert bool) error {
	if o.short == 'f' && p.spec.Family == IPv6 {
		return badSpec(tok, "unknown option \"%s\"", tok)
	}
	args, err := p.takeArgs(tok, o.args, inline, hasInline, &invert)
	if err != nil {
		return err
	}
	if hasInline && strings.IndexByte("psdioj", o.short) >= 0 {
		// iptables 1.8.9 reads these from argv[optind-1], which is the
		// whole word when the value was attached to it: "--protocol=tcp"
		// is the protocol "--protocol=tcp", "-ieth0" the interface
		// "-ieth0".
		args = []string{tok}
	}
	if invert && !o.invert {
		return badSpec(tok, "cannot have ! before -%c", o.short)
	}
	short := o.short
	if short == 'g' {
		short = 'j' // -g and -j set one target: iptables allows one of them
	}
	bit := uint64(1) << coreIndex(short)
	if o.short != 'm' && p.seenCore&bit != 0 {
		return badSpec(tok, "multiple -%c flags not allowed", short)
	}
	p.seenCore |= bit
	s := p.spec
	switch o.short {
	case 's', 'd':
		var err error
		if o.short == 's' {
			p.srcs, err = parseAddrs(p.srcs[:0], s.Family, tok, args[0])
			s.InvSrc = invert
		} else {
			p.dsts, err = parseAddrs(p.dsts[:0], s.Family, tok, args[0])
			s.InvDst = invert
		}
		if err != nil {
			return err
		}
	case 'i', 'o':
		name, err := parseIface(tok, args[0])
		if err != nil {
			return err
		}
		if o.short == 'i' {
			s.InIface, s.InvIn = name, invert
		} else {
			s.OutIface, s.InvOut = name, invert
		}
	case 'p':
		n, err := parseProto(tok, args[0])
		if err != nil {
			return err
		}
		if n == 0 && invert {
			return badSpec(tok, "rule would never match protocol")
		}
		s.Proto, s.InvProto, p.protoArg = n, invert, args[0]
	case 'f':
		s.Frag, s.InvFrag = true, invert
	case 'm':
		ext := lookup(matches, args[0], s.Family)
		if ext == nil {
			return badSpec(args[0], "Couldn't load match `%s':No such file or directory\n", args[0]) // iptables prints a blank line after it
		}
		return p.load(ext)
	case 'j', 'g':
		return p.jump(tok, args[0], o.short == 'g')
	case 'c':
		pk, by, err := p.counterArgs(args[0])
		if err != nil {
			return err
		}
		p.counters = Counters{Packets: pk, Bytes: by}
		s.Counters = &p.counters
	case '4':
		if s.Family != IPv4 {
			return badSpec(tok, "This is an IPv6 rule, -4 does not apply")
		}
	case '6':
		if s.Family != IPv6 {
			return badSpec(tok, "This is an IPv4 rule, -6 does not apply")
		}
	}
	return nil
}

// counterArgs reads -c's counters as iptables 1.8.9 does: "PKTS,BYTES"
// in one word (the comma looked for from its second byte), else the
// bytes in the next word unless that starts with '-' or '!'; each read
// as sscanf's %llu (leading blanks, a sign, digits up to the first
// other byte, a '-' negating modulo 2^64, overflow giving the maximum).
func (p *parser) counterArgs(pcnt string) (pk, by uint64, err error) {
	bcnt, found := "", false
	if len(pcnt) > 1 {
		if k := strings.IndexByte(pcnt[1:], ','); k >= 0 {
			bcnt, found = pcnt[k+2:], true
		}
	}
	if !found && p.i+1 < len(p.args) {
		if next := p.args[p.i+1]; next == "" || next[0] != '-' && next[0] != '!' {
			bcnt, found = next, true
			p.i++
		}
	}
	if !found {
		return 0, 0, badSpec(pcnt, "-c requires packet and byte counter")
	}
	pk, n, _ := strtoul(pcnt, 10)
	if n == 0 {
		return 0, 0, badSpec(pcnt, "-c packet counter not numeric")
	}
	by, n, _ = strtoul(bcnt, 10)
	if n == 0 {
		return 0, 0, badSpec(bcnt, "-c byte counter not numeric")
	}
	return pk, by, nil
}

func (p *parser) load(ext *Extension) error {
	inst := p.newInstance(ext)
	l := p.newLoaded(inst)
	if ext.Init != nil {
		p.ctx.state = &l.state
		ext.Init(inst.Info, &p.ctx)
	}
	p.order = append(p.order, l)
	if ext.Target {
		p.target = l
		p.spec.Target = inst
	} else {
		p.loaded = append(p.loaded, l)
		p.spec.Matches = append(p.spec.Matches, inst)
	}
	return nil
}

func (p *parser) jump(tok, name string, isGoto bool) error {
	s := p.spec
	if name == "" {
		return badSpec(tok, "-%s requires a target name", tok)
	}
	if len(name) > maxChainName {
		return badSpec(name, "Invalid target name `%s' (%d chars max)", name, maxChainName)
	}
	if slices.Contains(standardVerdicts, name) {
		if isGoto {
			return badSpec(name, "goto '%s' is not a chain", name)
		}
		s.Verdict = name
		return nil
	}
	if ext := lookup(targets, name, s.Family); ext != nil {
		if isGoto {
			return badSpec(name, "goto '%s' is not a chain", name)
		}
		return p.load(ext)
	}
	if strings.HasPrefix(name, "-") || strings.ContainsAny(name, " \t\n") {
		return badSpec(name, "Invalid target name `%s'", name)
	}
	s.Verdict, s.Goto = name, isGoto
	return nil
}

// expand makes one Spec per source × destination address.
func (p *parser) expand() []*Spec {
	if len(p.srcs) <= 1 && len(p.dsts) <= 1 {
		if len(p.srcs) == 1 {
			p.spec.Src = p.srcs[0]
		}
		if len(p.dsts) == 1 {
			p.spec.Dst = p.dsts[0]
		}
		p.specs[0] = p.spec
		return p.specs[:]
	}
	srcs, dsts := p.srcs, p.dsts
	if len(srcs) == 0 {
		srcs = []Addr{{}}
	}
	if len(dsts) == 0 {
		dsts = []Addr{{}}
	}
	var out []*Spec
	for _, s := range srcs {
		for _, d := range dsts {
			c := p.spec.clone()
			c.Src, c.Dst = s, d
			out = append(out, c)
		}
	}
	return out
}

func (s *Spec) clone() *Spec {
	c := *s
	c.Matches = make([]*Instance, len(s.Matches))
	for i, m := range s.Matches {
		c.Matches[i] = &Instance{Ext: m.Ext, Info: slices.Clone(m.Info)}
	}
	if s.Target != nil {
		c.Target = &Instance{Ext: s.Target.Ext, Info: slices.Clone(s.Target.Info)}
	}
	if s.Counters != nil {
		cnt := *s.Counters
		c.Counters = &cnt
	}
	return &c
}

func coreIndex(short byte) int {
	if i := coreByShort[short]; i > 0 {
		return int(i) - 1
	}
	return 63
}
