package nft

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/internal/chunk"
	"github.com/xtnl/xtnl/internal/prefault"
	"golang.org/x/sys/unix"
)

// Message is one netlink message of a compiled script, as nft would send
// it in its batch: the NFT_MSG_* type, netlink flags, family and
// attributes.
type Message struct {
	Type   uint16
	Flags  uint16
	Family xtnl.Family
	Attrs  []byte
	// Op and Object say what it does, for errors ("add rule", "inet t c").
	Op, Object string
	// Pos is where the command that made it starts in the script (nft
	// names it when the kernel refuses the message).
	Pos Pos
}

// Program is a compiled script: the messages of one transaction.
type Program struct {
	Messages []Message
	// Lists are the list commands of the script, run after the commit.
	Lists []*Command
	// located and locatedCmd are where the script wrote the attributes
	// of the message Options.locate names, and its command (errloc.go).
	located    []attrSpan
	locatedCmd srcSpan
	locatedBy  *Command
}

// AddTo appends the program's messages to tx.
func (p *Program) AddTo(tx *xtnl.Tx) {
	// Room for every message at once: a 100k-rule script is tens of
	// megabytes, and a buffer grown by doubling touched twice that in
	// fresh pages (most of Apply's time in a fresh process).
	n := 0
	for _, m := range p.Messages {
		n += msgHeaderLen + len(m.Attrs)
	}
	engine.Reserve(tx, n)
	for _, m := range p.Messages {
		tx.AddRaw(m.Op, m.Object, m.Type, m.Flags, m.Family, m.Attrs)
	}
}

// compileCtx is the state of one compilation.
type compileCtx struct {
	file   string
	src    string
	prog   *Program
	errs   ErrorList
	setID  uint32
	named  map[string]uint32
	chains map[string]*chainInfo // family/table/chain → what the script says of it
	// Lookup answers questions about the ruleset already in the kernel
	// (the hook of a chain the script does not declare); nil offline.
	lookup Lookup
	// cur is the command being compiled.
	cur srcSpan
	// setInfos are the sets the script declared, by family/table/name.
	setInfos map[string]*setInfo
	// exprs is the expression list of the rule being compiled, exprData
	// the bytes of its expressions, exprTmp the buffer the expression
	// being built is written to: kept from one rule to the next, as the
	// rule's message copies them (see ruleCtx.attrs).
	exprs    []nexpr
	exprData []byte
	exprTmp  []byte
	// ruleObj is the Object of the last rule message and what it names,
	// shared by the rules of one chain.
	ruleObj    string
	ruleObjKey ruleObjKey
	// ruleBuf is where a rule's message is built, msgMem where it is
	// kept (see ruleCmd).
	ruleBuf []byte
	msgMem  chunk.Bytes
	// locate, curCmd and exprSpans serve errloc.go: 1 + the index of
	// the message whose attributes' places are wanted (0: none), the
	// command being compiled, and where each expression of the rule
	// being compiled comes from.
	locate    int
	curCmd    *Command
	exprSpans []srcSpan
	// kernelSets caches whether the kernel has the sets rules name.
	kernelSets map[string]bool
	// scriptTables are the tables the script adds (family/name), and
	// kernelTables the kernel's, read once (misspell.go).
	scriptTables map[string]bool
	kernelTables []*kTable
	// noFirstSegment leaves out the end element at key 0 that opens an
	// interval set's first segment: nft writes it only into a set that
	// has no elements yet, never when it deletes (interval_check.go).
	noFirstSegment bool
}

type ruleObjKey struct {
	fam          xtnl.Family
	table, chain string
}

// ruleObjName is objName(fam, table, chain), made once per chain.
func (cc *compileCtx) ruleObjName(fam xtnl.Family, table, chain string) string {
	if k := (ruleObjKey{fam, table, chain}); k != cc.ruleObjKey || cc.ruleObj == "" {
		cc.ruleObjKey, cc.ruleObj = k, objName(fam, table, chain)
	}
	return cc.ruleObj
}

type chainInfo struct {
	hook string
}

// Lookup is what the compiler may ask about the existing ruleset.
type Lookup interface {
	// ChainHook returns the hook of a base chain ("" for a regular
	// chain), ok false if the chain does not exist.
	ChainHook(fam xtnl.Family, table, chain string) (hook string, ok bool)
}

func (cc *compileCtx) errAt(s srcSpan, msg string) error {
	e := &Error{File: cc.file, Pos: s.Pos, EndCol: s.end, Msg: msg, Text: lineText(cc.src, s.Line)}
	return e
}

func (cc *compileCtx) nextSetID() uint32 {
	cc.setID++
	return cc.setID
}

func (cc *compileCtx) namedSetID(table, name string) uint32 {
	return cc.named[table+"/"+name]
}

func (cc *compileCtx) add(typ uint16, flags uint16, fam xtnl.Family, op, obj string, attrs []byte) {
	if m := cc.prog.Messages; len(m) == cap(m) && len(m) >= 1024 {
		// doubled: append grows a large slice by a quarter, which
		// for a streamed table of 100k rules allocated five times
		// the list (see pipeline.go); its pages mapped at once
		cc.prog.Messages = prefault.Slice(make([]Message, len(m), 2*len(m)))
		copy(cc.prog.Messages, m)
	}
	if cc.locate == len(cc.prog.Messages)+1 {
		cc.locateAttrs(typ, attrs)
	}
	cc.prog.Messages = append(cc.prog.Messages, Message{Type: typ, Flags: flags, Family: fam, Attrs: attrs, Op: op, Object: obj, Pos: cc.cur.Pos})
}

// Options configure compilation.
type Options struct {
	// File names the script in errors ("/dev/stdin", "<cmdline>").
	File string
	// Lookup answers questions about the kernel's ruleset; may be nil.
	Lookup Lookup
	// locate is 1 + the index of a message the kernel refused: Compile
	// then records where the script wrote its attributes (errloc.go).
	locate int
}

// Compile parses and evaluates a script and returns its transaction.
// Errors name line and column (*Error, in an ErrorList).
func Compile(src string, o Options) (_ *Program, err error) {
	defer guard("compile", &err)
	if o.File == "" {
		o.File = "<cmdline>"
	}
	if o.locate == 0 {
		if prog, ok := compilePiped(src, o); ok {
			return prog, nil
		}
	}
	return compileInOrder(src, o)
}

// compileInOrder parses the whole script, then evaluates it: what the
// pipeline of compilePiped must equal.
func compileInOrder(src string, o Options) (*Program, error) {
	cmds, errs := parse(o.File, src)
	cc := newCompileCtx(src, o)
	// Like nft, evaluate what parsed even after syntax errors: its
	// errors follow theirs, up to maxErrors in all.
	cc.errs = errs
	for _, c := range cmds {
		if len(cc.errs) >= maxErrors {
			break
		}
		cc.commandAt(c)
	}
	if len(cc.errs) > 0 {
		return nil, cc.errs
	}
	return cc.prog, nil
}

func newCompileCtx(src string, o Options) *compileCtx {
	return &compileCtx{file: o.File, src: src, prog: &Program{}, named: map[string]uint32{}, chains: map[string]*chainInfo{}, setInfos: map[string]*setInfo{}, lookup: o.Lookup, locate: o.locate}
}

// commandAt compiles a command of the script, recording its error.
func (cc *compileCtx) commandAt(c *Command) {
	cc.cur, cc.curCmd = c.pos, c
	if err := cc.command(c); err != nil {
		cc.addErr(err, c.pos)
	}
}

func objName(fam xtnl.Family, parts ...string) string {
	return fam.String() + " " + strings.Join(parts, " ")
}

func (cc *compileCtx) command(c *Command) error {
	switch c.Op {
	case "list", "reset":
		cc.prog.Lists = append(cc.prog.Lists, c)
		return nil
	}
	if err := cc.checkTable(c); err != nil {
		return err
	}
	switch c.Obj {
	case "table":
		return cc.tableCmd(c)
	case "chain":
		return cc.chainCmd(c)
	case "rule":
		return cc.ruleCmd(c)
	case "set", "map":
		return cc.setCmd(c)
	case "element":
		return cc.elementCmd(c)
	case "counter", "quota", "limit", "synproxy", "ct helper", "ct expectation", "flowtable":
		return cc.objCmd(c)
	case "ruleset":
		if c.Op == "flush" {
			cc.add(unix.NFT_MSG_DELTABLE, 0, c.Family, "flush ruleset", "ruleset", nil)
			return nil
		}
	}
	return cc.errAt(c.pos, fmt.Sprintf("unsupported command: %s %s", c.Op, c.Obj))
}

func (cc *compileCtx) tableAttrs(c *Command, flags uint32) []byte {
	var a attrBuf
	a.str(unix.NFTA_TABLE_NAME, c.Table)
	if c.Handle != 0 {
		a.u64(nftaTableHandle, c.Handle)
	}
	if c.Op == "add" || c.Op == "create" {
		a.u32(unix.NFTA_TABLE_FLAGS, flags)
	}
	return a.b
}

func (cc *compileCtx) tableCmd(c *Command) error {
	obj := objName(c.Family, c.Table)
	switch c.Op {
	case "add", "create":
		if cc.scriptTables == nil {
			cc.scriptTables = map[string]bool{}
		}
		cc.scriptTables[c.Family.String()+"/"+c.Table] = true
		var flags uint32
		if c.table != nil {
			for _, f := range c.table.flags {
				switch f {
				case "dormant":
					flags |= unix.NFT_TABLE_F_DORMANT
				case "owner":
					flags |= 2
				default:
					return cc.errAt(c.pos, "unknown table flag "+f)
				}
			}
		}
		fl := uint16(unix.NLM_F_CREATE)
		if c.Op == "create" {
			fl |= unix.NLM_F_EXCL
		}
		attrs := cc.tableAttrs(c, flags)
		if c.table != nil && c.table.comment != "" {
			var a attrBuf
			a.b = attrs
			a.raw(nftaTableUserdata, udataStr(0, c.table.comment))
			attrs = a.b
		}
		cc.add(unix.NFT_MSG_NEWTABLE, fl, c.Family, c.Op+" table", obj, attrs)
		if c.table != nil {
			return cc.tableBody(c)
		}
		return nil
	case "delete", "destroy":
		cc.add(unix.NFT_MSG_DELTABLE, 0, c.Family, "delete table", obj, cc.tableAttrs(c, 0))
		return nil
	case "flush":
		var a attrBuf
		a.str(unix.NFTA_RULE_TABLE, c.Table)
		cc.add(unix.NFT_MSG_DELRULE, 0, c.Family, "flush table", obj, a.b)
		return nil
	}
	return cc.errAt(c.pos, "unsupported table command "+c.Op)
}

// tableBody expands table { ... } as nft does: chains, sets, then every
// chain's rules.
func (cc *compileCtx) tableBody(c *Command) error {
	td := c.table
	for _, ch := range td.chains {
		sub := &Command{pos: ch.pos, Op: "add", Obj: "chain", Family: c.Family, Table: c.Table, Name: ch.name, chain: ch, inTable: true, tableSpan: c.tableSpan, nameSpan: ch.namePos}
		cc.curCmd = sub
		if err := cc.chainCmd(sub); err != nil {
			return err
		}
	}
	// objects come between chains and sets, as nft expands a table block
	for _, o := range td.objs {
		if o.kind == "flowtable" {
			continue // after the sets
		}
		if _, ok := objTypes[o.kind]; !ok {
			return cc.errAt(o.pos, "stateful objects are not supported yet")
		}
		sub := &Command{pos: o.pos, Op: "add", Obj: o.kind, Family: c.Family, Table: c.Table, Name: o.name, obj: o, tableSpan: c.tableSpan, nameSpan: o.namePos}
		cc.curCmd = sub
		if err := cc.objCmd(sub); err != nil {
			cc.addErr(err, o.pos) // and on: nft evaluates the rest
		}
	}
	for _, sd := range td.sets {
		sub := &Command{pos: sd.pos, Op: "add", Obj: "set", Family: c.Family, Table: c.Table, Name: sd.name, set: sd, tableSpan: c.tableSpan, nameSpan: sd.namePos}
		cc.curCmd = sub
		if err := cc.setCmd(sub); err != nil {
			return err
		}
	}
	for _, o := range td.objs {
		if o.kind == "flowtable" {
			sub := &Command{pos: o.pos, Op: "add", Obj: o.kind, Family: c.Family, Table: c.Table, Name: o.name, obj: o, tableSpan: c.tableSpan, nameSpan: o.namePos}
			cc.curCmd = sub
			if err := cc.flowtableCmd(sub); err != nil {
				return err
			}
		}
	}
	// a message per rule: room for them at once (a table of 100k rules
	// grew the list by doubling, copying it twice over)
	n := 0
	for _, ch := range td.chains {
		n += len(ch.rules)
	}
	cc.prog.Messages = slices.Grow(cc.prog.Messages, n)
	// one command for every rule (none keeps it), each rule dropped once
	// compiled, so that the collector may reuse its memory for the
	// messages still to come
	sub := &Command{Op: "add", Obj: "rule", Family: c.Family, Table: c.Table, Index: -1, tableSpan: c.tableSpan}
	cc.curCmd = sub
	for _, ch := range td.chains {
		sub.Name, sub.nameSpan = ch.name, ch.namePos
		for i, rd := range ch.rules {
			sub.pos, sub.rule = rd.pos, rd
			if err := cc.ruleCmd(sub); err != nil {
				// each rule is a command of its own to nft: the
				// next ones are evaluated too
				cc.addErr(err, rd.pos)
			}
			ch.rules[i] = nil
		}
	}
	return nil
}

var hookNums = map[string]uint32{"prerouting": 0, "input": 1, "forward": 2, "output": 3, "postrouting": 4, "ingress": 0, "egress": 1}

var stdPrios = map[string]int32{"raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100}
var bridgePrios = map[string]int32{"dstnat": -300, "filter": -200, "out": 100, "srcnat": 300}

func (cc *compileCtx) chainPriority(fam xtnl.Family, cd *chainDef) (int32, error) {
	text := cd.prioText
	if v, err := strconv.ParseInt(text, 0, 32); err == nil {
		return int32(v), nil
	}
	parts := strings.Fields(text)
	table := stdPrios
	if fam == xtnl.FamilyBridge {
		table = bridgePrios
	}
	base, ok := table[parts[0]]
	if !ok {
		return 0, cc.errAt(cd.prio.span(), fmt.Sprintf("'%s' is invalid priority in this context.", parts[0]))
	}
	if len(parts) == 3 {
		n, err := strconv.ParseInt(parts[2], 10, 32)
		if err != nil {
			return 0, cc.errAt(cd.prio.span(), "invalid priority")
		}
		if parts[1] == "-" {
			n = -n
		}
		base += int32(n)
	}
	return base, nil
}

func (cc *compileCtx) chainCmd(c *Command) error {
	obj := objName(c.Family, c.Table, c.Name)
	var a attrBuf
	a.str(unix.NFTA_CHAIN_TABLE, c.Table)
	if c.Handle != 0 {
		a.u64(unix.NFTA_CHAIN_HANDLE, c.Handle)
	}
	if c.Name != "" {
		a.str(unix.NFTA_CHAIN_NAME, c.Name)
	}
	switch c.Op {
	case "add", "create":
		cd := c.chain
		key := c.Family.String() + "/" + c.Table + "/" + c.Name
		ci := &chainInfo{}
		cc.chains[key] = ci
		if cd != nil && cd.base {
			hook, ok := hookNums[cd.hook]
			if c.Family == xtnl.FamilyARP {
				hook, ok = arpHookNums[cd.hook]
			}
			if !ok {
				return cc.errAt(cd.hookPos, "unknown chain hook")
			}
			ci.hook = cd.hook
			prio, err := cc.chainPriority(c.Family, cd)
			if err != nil {
				return err
			}
			n := a.nest(unix.NFTA_CHAIN_HOOK)
			a.u32(unix.NFTA_HOOK_HOOKNUM, hook)
			a.u32(unix.NFTA_HOOK_PRIORITY, uint32(prio))
			if len(cd.devices) == 1 {
				a.str(unix.NFTA_HOOK_DEV, cd.devices[0])
			} else if len(cd.devices) > 1 {
				d := a.nest(nftaHookDevs)
				for _, dev := range cd.devices {
					a.str(1, dev)
				}
				a.end(d)
			}
			a.end(n)
			if cd.policy != "" {
				switch cd.policy {
				case "accept":
					a.u32(unix.NFTA_CHAIN_POLICY, 1)
				case "drop":
					a.u32(unix.NFTA_CHAIN_POLICY, 0)
				default:
					return cc.errAt(cd.pos, "invalid policy")
				}
			}
			a.str(unix.NFTA_CHAIN_TYPE, cd.typ)
		}
		if cd != nil && cd.comment != "" {
			a.raw(nftaChainUserdata, udataStr(0, cd.comment))
		}
		fl := uint16(unix.NLM_F_CREATE)
		if c.Op == "create" {
			fl |= unix.NLM_F_EXCL
		}
		cc.add(unix.NFT_MSG_NEWCHAIN, fl, c.Family, c.Op+" chain", obj, a.b)
		if cd != nil && !c.inTable && len(cd.rules) > 0 {
			for _, rd := range cd.rules {
				sub := &Command{pos: rd.pos, Op: "add", Obj: "rule", Family: c.Family, Table: c.Table, Name: c.Name, rule: rd, Index: -1}
				if err := cc.ruleCmd(sub); err != nil {
					return err
				}
			}
		}
		return nil
	case "delete", "destroy":
		cc.add(unix.NFT_MSG_DELCHAIN, 0, c.Family, "delete chain", obj, a.b)
		return nil
	case "flush":
		var r attrBuf
		r.str(unix.NFTA_RULE_TABLE, c.Table)
		r.str(unix.NFTA_RULE_CHAIN, c.Name)
		cc.add(unix.NFT_MSG_DELRULE, 0, c.Family, "flush chain", obj, r.b)
		return nil
	case "rename":
		a.str(unix.NFTA_CHAIN_NAME, c.newName)
		cc.add(unix.NFT_MSG_NEWCHAIN, 0, c.Family, "rename chain", obj, a.b)
		return nil
	}
	return cc.errAt(c.pos, "unsupported chain command "+c.Op)
}

// udataStr is one TLV of nft's user data: type, length, NUL-terminated
// string.
func udataStr(typ byte, s string) []byte {
	return append([]byte{typ, byte(len(s) + 1)}, append([]byte(s), 0)...)
}

func (cc *compileCtx) hookOf(fam xtnl.Family, table, chain string) string {
	if ci, ok := cc.chains[fam.String()+"/"+table+"/"+chain]; ok {
		return ci.hook
	}
	if cc.lookup != nil {
		if h, ok := cc.lookup.ChainHook(fam, table, chain); ok {
			return h
		}
	}
	return ""
}

func (cc *compileCtx) ruleCmd(c *Command) error {
	obj := cc.ruleObjName(c.Family, c.Table, c.Name)
	a := attrBuf{b: cc.ruleBuf[:0]}
	a.str(unix.NFTA_RULE_TABLE, c.Table)
	a.str(unix.NFTA_RULE_CHAIN, c.Name)
	if c.Op == "delete" || c.Op == "destroy" {
		a.u64(unix.NFTA_RULE_HANDLE, c.Handle)
		cc.add(unix.NFT_MSG_DELRULE, 0, c.Family, "delete rule", obj, bytes.Clone(a.b))
		return nil
	}
	if cc.exprTmp == nil {
		cc.exprTmp = make([]byte, 0, 256)
	}
	r := &ruleCtx{cc: cc, fam: c.Family, table: c.Table, chain: c.Name, reg: 1, hook: cc.hookOf(c.Family, c.Table, c.Name), out: cc.exprs[:0], inRule: true}
	defer func() { cc.exprs, cc.exprData = r.out[:0], cc.exprData[:0] }()
	if err := r.compileRule(c.rule); err != nil {
		return err
	}
	var flags uint16
	switch c.Op {
	case "add", "create":
		flags = unix.NLM_F_CREATE | unix.NLM_F_APPEND
	case "insert":
		flags = unix.NLM_F_CREATE
	case "replace":
		flags = unix.NLM_F_REPLACE
		a.u64(unix.NFTA_RULE_HANDLE, c.Handle)
	default:
		return cc.errAt(c.pos, "unsupported rule command "+c.Op)
	}
	if c.Op != "replace" && c.Pos != 0 {
		a.u64(unix.NFTA_RULE_POSITION, c.Pos)
	}
	if c.rule.comment != "" {
		a.raw(unix.NFTA_RULE_USERDATA, udataStr(0, c.rule.comment))
	}
	l := a.nest(unix.NFTA_RULE_EXPRESSIONS)
	for _, e := range r.out {
		n := a.nest(unix.NFTA_LIST_ELEM)
		a.str(unix.NFTA_EXPR_NAME, e.name)
		if len(e.data) > 0 {
			d := a.nest(unix.NFTA_EXPR_DATA)
			a.b = append(a.b, e.data...)
			a.end(d)
		}
		a.end(n)
	}
	a.end(l)
	for _, as := range r.sets {
		setObj := objName(c.Family, c.Table, as.name)
		cc.add(unix.NFT_MSG_NEWSET, unix.NLM_F_CREATE, c.Family, "add set", setObj, as.setAttrs(c.Table))
		if !as.declareOnly {
			cc.add(unix.NFT_MSG_NEWSETELEM, unix.NLM_F_CREATE, c.Family, "add element", setObj, as.elemAttrs(c.Table))
		}
	}
	// the message is built in ruleBuf, kept from one rule to the next,
	// and copied into memory carved from large chunks: one allocation
	// per rule fewer, and the chunks' pages mapped in one call each
	// rather than one fault per page
	cc.ruleBuf = a.b
	cc.add(unix.NFT_MSG_NEWRULE, flags, c.Family, c.Op+" rule", obj, chunk.Copy(&cc.msgMem, a.b))
	return nil
}

// compiler is implemented by each statement kind.
type compiler interface {
	compile(r *ruleCtx) error
}

func (r *ruleCtx) compileRule(rd *ruleDef) error {
	stmts := dropRedundantMetaProtocol(r.fam, r.mergePayloads(r.explicitEtherDeps(unwrapSingletonSets(rd.stmts))))
	var terminal Stmt
	r.cc.exprSpans = r.cc.exprSpans[:0]
	for i, s := range stmts {
		if r.cc.locate > 0 && i > 0 {
			r.spanExprs(stmts[i-1])
		}
		if terminal != nil {
			return r.cc.errAt(s.span(), "Statement after terminal statement has no effect")
		}
		if isTerminal(s) {
			terminal = s
		}
		switch x := s.(type) {
		case *matchStmt:
			if err := r.compileMatch(x.rel); err != nil {
				return err
			}
		case compiler:
			if err := x.compile(r); err != nil {
				return err
			}
		default:
			return r.cc.errAt(s.span(), "unsupported statement")
		}
	}
	if r.cc.locate > 0 && len(stmts) > 0 {
		r.spanExprs(stmts[len(stmts)-1])
	}
	return nil
}

// isTerminal says whether nothing may follow s in a rule: a verdict (not
// a verdict map) or a nat statement.
func isTerminal(s Stmt) bool {
	switch x := s.(type) {
	case *verdictStmt:
		return x.v != nil
	case *natStmt, *rejectStmt, *queueStmt:
		return true
	}
	return false
}
