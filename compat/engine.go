package compat

import (
	"slices"
	"strings"
)

// The option engine: what libxtables' xtables_option_parse and
// xtables_options_fcheck do for every extension, driven by the Option
// declarations, so that no extension repeats "can only be used once" or
// "cannot be used together with" by hand. Its words are iptables' where
// xtnl has always used them; where xtnl's differ (a second use of the
// very option, the negation refusal) they are kept, since nothing a
// caller sees may change.

// parseState is what the engine keeps beside a payload while parsing it
// and the kernel structure alone cannot tell: which option IDs were given
// (iptables' xflags: "--ttl-eq 0" and no option at all leave the same
// bytes) and a couple of values read before Final (its udata, for
// RATEEST). The parser keeps one per extension of the rule, and hands the
// extension's own to its Init, Parse and Final through the ParseContext.
type parseState struct {
	flags uint32
	vals  [2]uint32
}

// parseState returns the state of the extension being parsed (a fresh
// one for a context the parser did not set up, such as the decoder's).
func (ctx *ParseContext) parseState() *parseState {
	if ctx.state == nil {
		ctx.state = &parseState{}
	}
	return ctx.state
}

// given returns the IDs of the options given so far to the extension
// being parsed, as a set of bits (1<<ID).
func (ctx *ParseContext) given() uint32 { return ctx.parseState().flags }

// markGiven records the options in mask as given and returns the set as
// it was: an option that stands for others (HMARK's --hmark-tuple) marks
// them, so that giving them too is a second use.
func (ctx *ParseContext) markGiven(mask uint32) uint32 {
	st := ctx.parseState()
	prev := st.flags
	st.flags |= mask
	return prev
}

// keep holds value v in slot i (0 or 1) for the extension being parsed
// until its Final runs, which reads them back with kept.
func (ctx *ParseContext) keep(i int, v uint32) { ctx.parseState().vals[i] = v }

// kept returns the values held by keep.
func (ctx *ParseContext) kept() [2]uint32 { return ctx.parseState().vals }

// extOption runs the engine on one occurrence of opt (typed as tok) and
// hands it to the extension's Parse.
func (p *parser) extOption(l *loadedExt, opt *Option, tok, inline string, hasInline, invert bool) error {
	ext := l.inst.Ext
	n := opt.Type.args()
	if opt.Type == TypeOptional && (hasInline || p.i+1 >= len(p.args) || strings.HasPrefix(p.args[p.i+1], "-") || strings.HasPrefix(p.args[p.i+1], "!")) {
		n = 0
	}
	args, err := p.takeArgs(tok, n, inline, hasInline, &invert)
	if err != nil {
		return err
	}
	if invert && opt.Flags&Invert == 0 {
		return badSpec(tok, "%s: option \"--%s\" cannot be inverted.\n", ext.Name, opt.Name)
	}
	oi := optionIndex(ext, opt)
	if l.given(oi) && opt.Flags&Multi == 0 {
		return badSpec(tok, "%s: option \"--%s\" can only be used once.\n", ext.Name, opt.Name)
	}
	if oi < 64 {
		l.seen |= 1 << oi
	}
	p.ctx.state = &l.state
	if err := ext.checkGiven(opt, &p.ctx); err != nil {
		return err
	}
	c := &p.call
	*c = OptionCall{ParseContext: &p.ctx, Option: opt, Args: args, Invert: invert}
	if err := ext.read(c); err != nil {
		return err
	}
	return ext.Parse(l.inst.Info, c)
}

// checkGiven records opt's ID as given, refusing it when another spelling
// of it, or an option standing for it, came before
// (xtables_option_parse), or when an option it excludes did and it has
// ExclAtOnce.
func (e *Extension) checkGiven(opt *Option, ctx *ParseContext) error {
	prev := ctx.markGiven(opt.bit())
	if opt.Flags&Multi == 0 && prev&opt.bit() != 0 {
		name := e.nameOf(opt.ID)
		return badSpec("--"+name, "%s: option \"--%s\" can only be used once.\n", e.Name, name)
	}
	if opt.Flags&ExclAtOnce == 0 {
		return nil
	}
	for o := 0; o < 32; o++ {
		if o != opt.ID && opt.Excl&prev&(1<<o) != 0 {
			a, b := min(o, opt.ID), max(o, opt.ID)
			return badSpec("--"+e.nameOf(opt.ID), "%s: option \"--%s\" cannot be used together with \"--%s\".\n", e.Name, e.nameOf(a), e.nameOf(b))
		}
	}
	return nil
}

// read reads the option's argument by its type into c.Val.
func (e *Extension) read(c *OptionCall) error {
	o := c.Option
	max := o.Max
	if max == 0 {
		max = o.Type.maxOf()
	}
	switch o.Type {
	case TypeString:
		// xtopt_parse_string: Min and Max bound the length.
		if n := uint64(len(c.Args[0])); o.Min != 0 && n < o.Min {
			return badSpec(c.Args[0], "Argument must have a minimum length of %d characters", o.Min)
		} else if o.Max != 0 && n > o.Max {
			return badSpec(c.Args[0], "Argument must have a maximum length of %d characters", o.Max)
		}
	case TypeUint8, TypeUint16, TypeUint32, TypeUint64:
		var ok bool
		if o.Flags&MinusWraps != 0 {
			c.Val.Uint, ok = parseUint(c.Args[0], o.Min, max)
		} else {
			c.Val.Uint, ok = xtParseUint(c.Args[0], o.Min, max)
		}
		if !ok {
			return badSpec(c.Args[0], "%s: bad value for option \"--%s\", or out of range (%d-%d).\n", e.Name, o.Name, o.Min, max)
		}
	case TypeUint16Range, TypeUint32Range, TypeUint64Range:
		v, err := parseMint(e.Name, o.Name, c.Args[0], max, 2)
		if err != nil {
			return err
		}
		c.Val.Range, c.Val.N = [2]uint64{v[0], v[len(v)-1]}, len(v)
	case TypeMarkMask:
		var names []lmapEntry
		if o.NameFile != "" {
			names = lmap(o.NameFile)
		}
		var err error
		if c.Val.Mark, c.Val.Mask, err = parseValMask(e.Name, o.Name, c.Args[0], names); err != nil {
			return err
		}
	}
	return nil
}

// finish runs the final checks of one extension of the rule, in this
// order: its mandatory options, its OneOf, every Also then every Excl
// (xtables_options_fcheck), the protocol it needs, its own Final, and
// where it may be used (Tables, Hooks). The order decides which error a
// rule with several mistakes gets, and is the one xtnl has always had;
// an extension with FinalFirst has its Final run first, as libxtables
// runs an x6_fcheck before xtables_options_fcheck.
func (p *parser) finish(l *loadedExt) error {
	e := l.inst.Ext
	p.ctx.state = &l.state
	if e.FinalFirst && e.Final != nil {
		if err := e.Final(l.inst.Info, &p.ctx); err != nil {
			return err
		}
	}
	for _, i := range e.mandatory {
		if !l.given(i) {
			return badSpec(e.Name, "%s: option \"--%s\" must be specified\n", e.Name, e.Options[i].Name)
		}
	}
	given := p.ctx.given()
	if e.OneOf != nil && given&e.OneOf.IDs == 0 {
		return badSpec(e.OneOf.Token, "%s", e.OneOf.Msg)
	}
	missing := func(a int) uint32 { return e.alsoOf(a) &^ given }
	if a, b, ok := firstPair(given, missing); ok {
		return badSpec("--"+e.nameOf(a), "%s: option \"--%s\" also requires \"--%s\".\n", e.Name, e.nameOf(a), e.nameOf(b))
	}
	if a, b, ok := firstPair(given, func(a int) uint32 { return e.exclOf(a) & given }); ok {
		return badSpec("--"+e.nameOf(b), "%s: option \"--%s\" cannot be used together with \"--%s\".\n", e.Name, e.nameOf(a), e.nameOf(b))
	}
	if err := e.checkProto(&p.ctx); err != nil {
		return err
	}
	if e.Final != nil && !e.FinalFirst {
		if err := e.Final(l.inst.Info, &p.ctx); err != nil {
			return err
		}
	}
	return e.checkPlacement(p.spec.Table, p.spec.Chain, given)
}

// checkPlacement refuses the extension, or one of its options given, in a
// table or built-in chain the kernel does not allow it in (user chains
// are checked by the kernel when they are jumped to).
func (e *Extension) checkPlacement(table, chain string, given uint32) error {
	token := "-m " + e.Name
	if e.Target {
		token = "-j " + e.Name
	}
	if e.Tables != nil && !slices.Contains(e.Tables, table) {
		return badSpec(token, "%s %s is only valid in the %s table, not %s", e.Name, e.kind(), strings.Join(e.Tables, "/"), table)
	}
	if !IsBuiltinChain(table, chain) {
		return nil
	}
	if e.Hooks != nil && !slices.Contains(e.Hooks, chain) {
		return badSpec(token, "%s %s is only valid in the %s chains, not %s", e.Name, e.kind(), strings.Join(e.Hooks, "/"), chain)
	}
	for i := range e.Options {
		o := &e.Options[i]
		if o.Hooks != nil && given&o.bit() != 0 && !slices.Contains(o.Hooks, chain) {
			return badSpec(token, "%s --%s is only valid in the %s chains, not %s", e.Name, o.Name, strings.Join(o.Hooks, "/"), chain)
		}
	}
	return nil
}

// firstPair finds, among the IDs in set (lowest first), the first a with
// an ID b in related(a) (lowest first).
func firstPair(set uint32, related func(a int) uint32) (a, b int, ok bool) {
	for a = 0; a < 32; a++ {
		if set&(1<<a) == 0 {
			continue
		}
		r := related(a) &^ (1 << a)
		for b = 0; b < 32; b++ {
			if r&(1<<b) != 0 {
				return a, b, true
			}
		}
	}
	return 0, 0, false
}

// checkProto refuses the extension unless the rule's -p is e.Proto, for
// the extensions iptables-nft checks itself, in its own words, by the
// number only (tcp and udp, which it translates: ProtoUserspace). Every
// other Proto is the kernel's check (the match's or target's proto, which
// refuses a negated -p too): iptables-nft parses the rule and relays the
// kernel's EINVAL (exit status 4), and so does compat.
func (e *Extension) checkProto(ctx *ParseContext) error {
	if e.Proto == 0 || !e.ProtoUserspace {
		return nil
	}
	if ctx.Spec.Proto != e.Proto {
		return badSpec("-m "+e.Name, "%s match requires '-p %s'", strings.ToUpper(e.Name), e.Name)
	}
	return nil
}

// nameOf is the name of option ID id: that of the first option declared
// with it.
func (e *Extension) nameOf(id int) string {
	for i := range e.Options {
		if e.Options[i].ID == id {
			return e.Options[i].Name
		}
	}
	return ""
}

// exclOf and alsoOf are the Excl and Also of the options with ID id (two
// spellings of one option may each declare some).
func (e *Extension) exclOf(id int) uint32 {
	return e.unionOf(id, func(o *Option) uint32 { return o.Excl })
}
func (e *Extension) alsoOf(id int) uint32 {
	return e.unionOf(id, func(o *Option) uint32 { return o.Also })
}

func (e *Extension) unionOf(id int, set func(*Option) uint32) uint32 {
	var m uint32
	for i := range e.Options {
		if e.Options[i].ID == id {
			m |= set(&e.Options[i])
		}
	}
	return m
}

// given reports whether option i of the extension was given (extensions
// have far fewer than 64 options; beyond, repeats are not tracked).
func (l *loadedExt) given(i int) bool { return i < 64 && l.seen&(1<<i) != 0 }

// optionIndex is opt's index in ext.Options (64 when it is not there).
func optionIndex(ext *Extension, opt *Option) int {
	for i := range ext.Options {
		if &ext.Options[i] == opt {
			return i
		}
	}
	return 64
}
