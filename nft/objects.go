package nft

import (
	"fmt"
	"strings"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// Named stateful objects: add counter|quota|limit|synproxy|ct helper|ct
// expectation TABLE NAME ARGS (rule.c's obj commands, mnl.c's
// mnl_nft_obj_add). Their arguments read as the statement of the same
// kind does.

// ct helper and ct expectation attributes (NFTA_CT_HELPER_*,
// NFTA_CT_EXPECT_*).
const (
	nftaCtHelperName    = 1
	nftaCtHelperL3proto = 2
	nftaCtHelperL4proto = 3
	nftaCtExpectL3proto = 1
	nftaCtExpectL4proto = 2
	nftaCtExpectDport   = 3
	nftaCtExpectTimeout = 4
	nftaCtExpectSize    = 5
	ctHelperNameLen     = 16 // NF_CT_HELPER_NAME_LEN
)

var objTypes = map[string]uint32{"counter": objCounter, "quota": objQuota, "limit": objLimit, "synproxy": objSynproxy,
	"ct helper": objCtHelper, "ct expectation": objCtExpect}

// l3protoNames are family_spec_explicit's values (NFPROTO_*).
var l3protoNames = map[string]uint16{"ip": unix.NFPROTO_IPV4, "ip6": unix.NFPROTO_IPV6, "inet": unix.NFPROTO_INET,
	"arp": unix.NFPROTO_ARP, "bridge": unix.NFPROTO_BRIDGE, "netdev": unix.NFPROTO_NETDEV}

var l4protoNames = map[string]uint8{"tcp": unix.IPPROTO_TCP, "udp": unix.IPPROTO_UDP}

func (cc *compileCtx) objCmd(c *Command) error {
	if c.Obj == "flowtable" {
		return cc.flowtableCmd(c)
	}
	typ, ok := objTypes[c.Obj]
	if ok && c.Op == "delete" {
		var a attrBuf
		a.str(unix.NFTA_OBJ_TABLE, c.Table)
		if c.Handle != 0 {
			a.u64(nftaObjHandle, c.Handle)
		} else {
			a.str(unix.NFTA_OBJ_NAME, c.Name)
		}
		a.u32(unix.NFTA_OBJ_TYPE, typ)
		cc.add(unix.NFT_MSG_DELOBJ, 0, c.Family, c.Op+" "+c.Obj, objName(c.Family, c.Table, c.Name), a.b)
		return nil
	}
	if !ok || c.obj == nil || c.Op != "add" && c.Op != "create" {
		return cc.errAt(c.pos, fmt.Sprintf("unsupported command: %s %s", c.Op, c.Obj))
	}
	data, err := cc.objData(c, typ)
	if err != nil {
		return err
	}
	var a attrBuf
	a.str(unix.NFTA_OBJ_TABLE, c.Table)
	a.str(unix.NFTA_OBJ_NAME, c.Name)
	a.u32(unix.NFTA_OBJ_TYPE, typ)
	n := a.nest(unix.NFTA_OBJ_DATA)
	a.b = append(a.b, data...)
	a.end(n)
	flags := uint16(unix.NLM_F_CREATE)
	if c.Op == "create" {
		flags |= unix.NLM_F_EXCL
	}
	cc.add(unix.NFT_MSG_NEWOBJ, flags, c.Family, c.Op+" "+c.Obj, objName(c.Family, c.Table, c.Name), a.b)
	return nil
}

// objData is the object's NFTA_OBJ_DATA content.
func (cc *compileCtx) objData(c *Command, typ uint32) ([]byte, error) {
	switch typ {
	case objCtHelper:
		return cc.ctHelperData(c)
	case objCtExpect:
		return cc.ctExpectData(c)
	}
	kind := c.Obj
	// the arguments as the statement of the same kind: limit takes "rate"
	// first, as its statement does
	st, err := cc.parseObjArgs(c, kind)
	if err != nil {
		return nil, err
	}
	r := &ruleCtx{cc: cc, fam: c.Family, table: c.Table, reg: 1}
	comp, ok := st.(compiler)
	if !ok {
		return nil, cc.errAt(c.pos, "unsupported object")
	}
	if err := comp.compile(r); err != nil {
		return nil, err
	}
	if len(r.out) != 1 {
		return nil, cc.errAt(c.pos, "unsupported object")
	}
	return r.out[0].data, nil
}

// parseObjArgs reads the object's arguments with the statement parser of
// its kind.
func (cc *compileCtx) parseObjArgs(c *Command, kind string) (st Stmt, err error) {
	head := token{kind: tWord, text: kind, pos: c.pos.Pos, end: c.pos.end}
	for _, t := range c.obj.args {
		if t.kind != tNewline && !(t.kind == tPunct && t.text == ";") {
			// nft places the arguments' errors at the arguments
			head.pos, head.end = t.pos, t.pos.Col-1
			break
		}
	}
	toks := []token{head}
	for _, t := range c.obj.args {
		if t.kind == tNewline || t.kind == tPunct && t.text == ";" {
			continue
		}
		toks = append(toks, t)
	}
	last := toks[len(toks)-1]
	toks = append(toks, token{kind: tEOF, pos: last.pos, end: last.end})
	p := &parser{file: cc.file, src: cc.src, toks: toks, defines: map[string]Expr{}}
	defer func() {
		if rec := recover(); rec != nil {
			if _, ok := rec.(bailout); !ok {
				panic(rec)
			}
			st, err = nil, p.errs
		}
	}()
	st = stmtParsers[kind](p, head)
	if t := p.peek(); t.kind != tEOF {
		p.unexpected(t)
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return st, nil
}

// objBlock splits a { a b; c d; } object body into its statements.
func objBlock(args []token) [][]token {
	var out [][]token
	var cur []token
	for _, t := range args {
		if t.kind == tNewline || t.kind == tPunct && t.text == ";" {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, t)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func (cc *compileCtx) ctHelperData(c *Command) ([]byte, error) {
	var name string
	var l4 uint8
	var l3 uint16
	for _, st := range objBlock(c.obj.args) {
		switch {
		case len(st) == 4 && st[0].text == "type" && st[0].kind == tWord && st[1].kind == tString && st[2].text == "protocol":
			if len(st[1].text) == 0 || len(st[1].text) >= ctHelperNameLen {
				return nil, cc.errAt(srcSpan{st[1].pos, st[1].end}, fmt.Sprintf("invalid name '%s', max length is %d", st[1].text, ctHelperNameLen))
			}
			p, ok := l4protoNames[st[3].text]
			if !ok {
				return nil, cc.errAt(srcSpan{st[3].pos, st[3].end}, "syntax error, unexpected "+tokDesc(st[3]))
			}
			name, l4 = st[1].text, p
		case len(st) == 2 && st[0].text == "l3proto":
			f, ok := l3protoNames[st[1].text]
			if !ok {
				return nil, cc.errAt(srcSpan{st[1].pos, st[1].end}, "syntax error, unexpected "+tokDesc(st[1]))
			}
			l3 = f
		default:
			return nil, cc.errAt(srcSpan{st[0].pos, st[0].end}, "syntax error, unexpected "+tokDesc(st[0]))
		}
	}
	var a attrBuf
	a.str(nftaCtHelperName, name)
	a.raw(nftaCtHelperL4proto, []byte{l4})
	if l3 != 0 {
		a.raw(nftaCtHelperL3proto, []byte{byte(l3 >> 8), byte(l3)})
	}
	return a.b, nil
}

func (cc *compileCtx) ctExpectData(c *Command) ([]byte, error) {
	var l3 uint16
	var l4, size uint8
	var dport uint16
	var timeout uint32
	for _, st := range objBlock(c.obj.args) {
		bad := func() error {
			return cc.errAt(srcSpan{st[0].pos, st[0].end}, "syntax error, unexpected "+tokDesc(st[0]))
		}
		if len(st) != 2 {
			return nil, bad()
		}
		v := st[1]
		switch st[0].text {
		case "protocol":
			p, ok := l4protoNames[v.text]
			if !ok {
				return nil, bad()
			}
			l4 = p
		case "dport":
			n, ok := parseInteger(v.text)
			if !ok || v.kind != tNum || n.BitLen() > 16 {
				return nil, bad()
			}
			dport = uint16(n.Uint64())
		case "timeout":
			ms, ok := parseTime(v.text)
			if !ok || ms > 0xffffffff {
				return nil, bad()
			}
			timeout = uint32(ms)
		case "size":
			n, ok := parseInteger(v.text)
			if !ok || v.kind != tNum || n.BitLen() > 8 {
				return nil, bad()
			}
			size = uint8(n.Uint64())
		case "l3proto":
			f, ok := l3protoNames[v.text]
			if !ok {
				return nil, bad()
			}
			l3 = f
		default:
			return nil, bad()
		}
	}
	if l4 == 0 || dport == 0 || timeout == 0 || size == 0 {
		return nil, cc.errAt(c.pos, "missing options")
	}
	var a attrBuf
	if l3 != 0 {
		a.raw(nftaCtExpectL3proto, []byte{byte(l3 >> 8), byte(l3)})
	}
	a.raw(nftaCtExpectL4proto, []byte{l4})
	a.raw(nftaCtExpectDport, []byte{byte(dport >> 8), byte(dport)})
	a.u32(nftaCtExpectTimeout, timeout)
	a.raw(nftaCtExpectSize, []byte{size})
	return a.b, nil
}

// kObj is a stateful object as the kernel lists it.
type kObj struct {
	name   string
	typ    uint32
	handle uint64
	data   attrMap
}

// readObjs dumps the stateful objects of family fam (of table when not "").
func readObjs(c *xtnl.Conn, rs *ruleset, fam xtnl.Family, table string) error {
	return readObjsOf(c, rs, fam, table, unix.NFT_MSG_GETOBJ, 0)
}

// readObjsOf is readObjs with the dump's message (NFT_MSG_GETOBJ_RESET
// resets what it reads) and an object type to read only (0: all).
func readObjsOf(c *xtnl.Conn, rs *ruleset, fam xtnl.Family, table string, msg uint16, typ uint32) error {
	var ab attrBuf
	if table != "" {
		ab.str(unix.NFTA_OBJ_TABLE, table)
	}
	if typ != 0 {
		ab.u32(unix.NFTA_OBJ_TYPE, typ)
	}
	filter := ab.b
	type pending struct {
		fam   xtnl.Family
		table string
		o     *kObj
	}
	var objs []pending
	err := c.DumpRaw(msg, fam, filter, func() { objs = nil }, func(m xtnl.RawMessage) error {
		a := attrsOf(m.Attrs)
		o := &kObj{name: a.str(unix.NFTA_OBJ_NAME), typ: a.u32(unix.NFTA_OBJ_TYPE), handle: a.u64(nftaObjHandle),
			data: attrsOf(append([]byte(nil), a[unix.NFTA_OBJ_DATA]...))}
		objs = append(objs, pending{m.Family, a.str(unix.NFTA_OBJ_TABLE), o})
		return nil
	})
	if err != nil {
		return fmt.Errorf("list objects: %w", err)
	}
	for _, p := range objs {
		if t := rs.table(p.fam, p.table); t != nil {
			t.objs = append(t.objs, p.o)
		}
	}
	return nil
}

var objTypeNames = map[uint32]string{objCounter: "counter", objQuota: "quota", objCtHelper: "ct helper", objLimit: "limit",
	objCtTimeout: "ct timeout", objSecmark: "secmark", objSynproxy: "synproxy", objCtExpect: "ct expectation"}

// printObj prints an object as nft's obj_print does.
func printObj(b *strings.Builder, ob *kObj, o *PrintOptions) {
	name, ok := objTypeNames[ob.typ]
	if !ok {
		name = "unknown"
	}
	fmt.Fprintf(b, "\t%s %s {", name, ob.name)
	if o.Handles {
		fmt.Fprintf(b, " # handle %d", ob.handle)
	}
	b.WriteString("\n")
	a := ob.data
	var lines []string
	switch ob.typ {
	case objCounter:
		if !o.Stateless {
			lines = append(lines, fmt.Sprintf("packets %d bytes %d", a.u64(unix.NFTA_COUNTER_PACKETS), a.u64(unix.NFTA_COUNTER_BYTES)))
		}
	case objQuota:
		lines = append(lines, strings.TrimPrefix(quotaText(a, o), "quota "))
	case objLimit:
		lines = append(lines, limitObjText(a))
	case objSynproxy:
		f := a.u32(nftaSynproxyFlags)
		if f&synproxyOptMSS != 0 {
			lines = append(lines, fmt.Sprintf("mss %d", be16(a[nftaSynproxyMSS])))
		}
		if f&synproxyOptWscale != 0 {
			lines = append(lines, fmt.Sprintf("wscale %d", byteAt(a[nftaSynproxyWscale])))
		}
		var opts []string
		if f&synproxyOptTimestamp != 0 {
			opts = append(opts, "timestamp")
		}
		if f&synproxyOptSackPerm != 0 {
			opts = append(opts, "sack-perm")
		}
		if len(opts) > 0 {
			lines = append(lines, strings.Join(opts, " "))
		}
	case objCtHelper:
		lines = append(lines, fmt.Sprintf("type \"%s\" protocol %s", a.str(nftaCtHelperName), protoName(byteAt(a[nftaCtHelperL4proto]))),
			"l3proto "+familyName(be16(a[nftaCtHelperL3proto])))
	case objCtExpect:
		lines = append(lines, "protocol "+protoName(byteAt(a[nftaCtExpectL4proto])),
			fmt.Sprintf("dport %d", be16(a[nftaCtExpectDport])),
			"timeout "+formatTime(uint64(a.u32(nftaCtExpectTimeout))),
			fmt.Sprintf("size %d", byteAt(a[nftaCtExpectSize])),
			"l3proto "+familyName(be16(a[nftaCtExpectL3proto])))
	}
	for _, l := range lines {
		b.WriteString("\t\t" + l + "\n")
	}
	b.WriteString("\t}\n")
}

// limitObjText is a limit object's line: the statement's text without
// "limit ", except that a byte limit prints any burst but 0.
func limitObjText(a attrMap) string {
	s := strings.TrimPrefix(limitText(a), "limit ")
	if a.u32(unix.NFTA_LIMIT_TYPE) == unix.NFT_LIMIT_PKT_BYTES && a.u32(unix.NFTA_LIMIT_BURST) == 5 {
		s += " burst 5 bytes"
	}
	return s
}

func protoName(p uint8) string {
	return formatValue(dtInetProto, []byte{p}, nil)
}

func familyName(f uint16) string {
	for name, v := range l3protoNames {
		if v == f {
			return name
		}
	}
	return "unknown"
}
