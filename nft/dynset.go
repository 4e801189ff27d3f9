package nft

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// Set statements (nft_dynset): "add @s { ip saddr }", "update @s {
// ip saddr timeout 5s counter }", "delete @s { ... }", and meters,
// "meter m size 1024 { ip saddr limit rate 10/second }", which declare
// their (anonymous) set in the rule's batch. The packet path adds the key
// the rule loads to the set, with the stateful statement attached.

// dynsetStmt is a set statement or a meter.
type dynsetStmt struct {
	srcSpan
	op      string // add, update, delete
	set     string
	key     Expr
	val     Expr   // maps: the value stored with the key
	timeout string // as written
	stmts   []Stmt // stateful statements attached to the element
	// meter names a meter: its set is declared implicitly, sized size.
	meter bool
	size  uint64
}

var dynsetOps = map[string]uint32{"add": unix.NFT_DYNSET_OP_ADD, "update": unix.NFT_DYNSET_OP_UPDATE, "delete": 2}

func init() {
	for op := range dynsetOps {
		op := op
		stmtParsers[op] = func(p *parser, t token) Stmt {
			if n := p.peekN(1); n.kind != tSetRef {
				return nil
			}
			p.i++
			ref := p.next()
			s := &dynsetStmt{srcSpan: srcSpan{t.pos, ref.end}, op: op, set: ref.text}
			p.dynsetElem(s)
			return s
		}
	}
	stmtParsers["meter"] = func(p *parser, t token) Stmt {
		p.i++
		name := p.next()
		if name.kind != tWord && name.kind != tString {
			p.unexpected(name)
		}
		s := &dynsetStmt{srcSpan: srcSpan{t.pos, name.end}, set: name.text, meter: true}
		if p.acceptWord("size") {
			s.size = p.number()
		}
		p.dynsetElem(s)
		return s
	}
}

// dynsetElem parses "{ key [timeout T] [stateful statements] [: value] }".
func (p *parser) dynsetElem(s *dynsetStmt) {
	p.expectPunct("{")
	s.key = p.expr()
	for {
		switch {
		case p.acceptWord("timeout"):
			s.timeout = p.timeArg()
			continue
		case p.isPunct(":"):
			p.i++
			s.val = p.rhsConcat()
			continue
		case p.isPunct("}"):
			t := p.next()
			s.end = t.end
			return
		}
		t := p.peek()
		if t.kind == tEOF || t.kind == tNewline {
			p.unexpected(t)
			return
		}
		f, ok := stmtParsers[t.text]
		var st Stmt
		if ok && t.kind == tWord {
			st = f(p, t)
		}
		if st == nil {
			p.unexpected(t)
			return
		}
		s.stmts = append(s.stmts, st)
	}
}

func (s *dynsetStmt) compile(r *ruleCtx) error {
	li, err := r.evalLHS(s.key)
	if err != nil {
		return err
	}
	for _, sel := range li.sels {
		if err := sel.deps(r); err != nil {
			return err
		}
	}
	op := dynsetOps[s.op]
	var timeout uint64
	if s.timeout != "" {
		ms, ok := parseTime(s.timeout)
		if !ok {
			return r.cc.errAt(s.srcSpan, "Wrong time format")
		}
		timeout = ms
	}
	id := r.cc.namedSetID(r.table, s.set)
	if s.meter {
		op = unix.NFT_DYNSET_OP_ADD
		if s.timeout != "" {
			op = unix.NFT_DYNSET_OP_UPDATE
		}
		flags := uint32(setAnonymous | setEval)
		if s.timeout != "" {
			flags |= setTimeout
		}
		as := &anonSet{name: s.set, flags: flags, keyType: li.dt.ID, keyLen: uint32(li.lenBytes), keyOrder: li.order,
			udata: []byte{0, 4, byte(li.order), 0, 0, 0}, descSize: uint32(s.size), declareOnly: true}
		as.id = r.cc.nextSetID()
		r.sets = append(r.sets, as)
		id = as.id
	}
	if !s.meter {
		r.cc.markSetDynamic(r.fam, r.table, s.set)
	}
	var exprs []nexpr
	for _, st := range s.stmts {
		c, ok := st.(compiler)
		if !ok {
			return r.cc.errAt(st.span(), "meter statement must be stateful")
		}
		sub := &ruleCtx{cc: r.cc, fam: r.fam, table: r.table, chain: r.chain, hook: r.hook, reg: r.reg}
		if err := c.compile(sub); err != nil {
			return err
		}
		exprs = append(exprs, sub.out...)
	}
	if s.meter && len(exprs) == 0 {
		return r.cc.errAt(s.srcSpan, "meter statement must be stateful")
	}
	reg := r.loadLHS(li)
	var a attrBuf
	a.u32(unix.NFTA_DYNSET_SREG_KEY, kernelReg(reg))
	a.u32(unix.NFTA_DYNSET_OP, op)
	if timeout != 0 {
		a.u64(unix.NFTA_DYNSET_TIMEOUT, timeout)
	}
	a.str(unix.NFTA_DYNSET_SET_NAME, s.set)
	a.u32(unix.NFTA_DYNSET_SET_ID, id)
	switch len(exprs) {
	case 0:
	case 1:
		n := a.nest(unix.NFTA_DYNSET_EXPR)
		putExpr(&a, exprs[0])
		a.end(n)
	default:
		n := a.nest(nftaDynsetExpressions)
		for _, e := range exprs {
			l := a.nest(unix.NFTA_LIST_ELEM)
			putExpr(&a, e)
			a.end(l)
		}
		a.end(n)
	}
	r.emit("dynset", &a)
	r.putReg(li.lenBytes)
	return nil
}

// nftaDynsetExpressions is NFTA_DYNSET_EXPRESSIONS (several stateful
// expressions on one element).
const nftaDynsetExpressions = 9

// putExpr writes one expression's name and data, as inside a rule.
func putExpr(a *attrBuf, e nexpr) {
	a.str(unix.NFTA_EXPR_NAME, e.name)
	if len(e.data) > 0 {
		d := a.nest(unix.NFTA_EXPR_DATA)
		a.b = append(a.b, e.data...)
		a.end(d)
	}
}

// The printer's side.

var dynsetOpNames = map[uint32]string{unix.NFT_DYNSET_OP_ADD: "add", unix.NFT_DYNSET_OP_UPDATE: "update", 2: "delete"}

// dynsetText prints a dynset expression back as a set statement or, for
// an anonymous set, a meter.
func (d *delin) dynsetText(a attrMap) string {
	name := a.str(unix.NFTA_DYNSET_SET_NAME)
	s := d.t.set(name)
	key := d.keyText(a.u32(unix.NFTA_DYNSET_SREG_KEY), s)
	var b strings.Builder
	if s != nil && s.flags&setAnonymous != 0 {
		fmt.Fprintf(&b, "meter %s size %d { %s", name, s.size, key)
	} else {
		fmt.Fprintf(&b, "%s @%s { %s", dynsetOpNames[a.u32(unix.NFTA_DYNSET_OP)], name, key)
	}
	if ms := a.u64(unix.NFTA_DYNSET_TIMEOUT); ms != 0 {
		b.WriteString(" timeout " + formatTime(ms))
	}
	for _, e := range dynsetExprs(a) {
		b.WriteString(" " + d.statefulText(e))
	}
	b.WriteString(" }")
	return b.String()
}

// dynsetExprs are the stateful expressions of a dynset, as (name, data)
// pairs.
func dynsetExprs(a attrMap) []kExpr {
	var out []kExpr
	if raw, ok := a[unix.NFTA_DYNSET_EXPR]; ok {
		out = append(out, parseKExpr(raw))
	}
	if raw, ok := a[nftaDynsetExpressions]; ok {
		for _, el := range parseAttrs(raw) {
			out = append(out, parseKExpr(el.data))
		}
	}
	return out
}

// statefulText prints a stateful expression inside a set statement:
// counters without their numbers, as nft does there.
func (d *delin) statefulText(e kExpr) string {
	if e.name == "counter" {
		return "counter"
	}
	sub := &delin{t: d.t, fam: d.fam, o: d.o, regs: map[uint32]*regVal{}}
	sub.expr(e)
	return strings.Join(sub.stmts, " ")
}

// parseKExpr decodes one nested expression (name and data).
func parseKExpr(raw []byte) kExpr {
	ea := attrsOf(raw)
	return kExpr{name: ea.str(unix.NFTA_EXPR_NAME), a: attrsOf(append([]byte(nil), ea[unix.NFTA_EXPR_DATA]...))}
}

// markSetDynamic flags a set the script declares as dynamic
// (NFT_SET_EVAL) when a set statement updates it, as nft does so that
// the kernel accepts the update.
func (cc *compileCtx) markSetDynamic(fam xtnl.Family, table, name string) {
	si := cc.setInfos[setKey(&Command{Family: fam, Table: table, Name: name})]
	if si == nil || si.msg < 0 || si.msg >= len(cc.prog.Messages) {
		return
	}
	b := cc.prog.Messages[si.msg].Attrs
	for off := 0; off+8 <= len(b); {
		l := int(binary.NativeEndian.Uint16(b[off:]))
		typ := binary.NativeEndian.Uint16(b[off+2:]) &^ (unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER)
		if l < 4 {
			return
		}
		if typ == unix.NFTA_SET_FLAGS && l == 8 {
			f := binary.BigEndian.Uint32(b[off+4:])
			binary.BigEndian.PutUint32(b[off+4:], f|setEval)
			return
		}
		off += (l + 3) &^ 3
	}
}
