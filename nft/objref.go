package nft

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// objrefStmt is counter name "x", quota name "x", ct helper set "x", ...
// (statement.c's objref_stmt): the rule uses a named stateful object of
// its table.
type objrefStmt struct {
	srcSpan
	kind uint32
	name Expr
}

// Stateful object types (NFT_OBJECT_*).
const (
	objCounter   = 1
	objQuota     = 2
	objCtHelper  = 3
	objLimit     = 4
	objCtTimeout = 7
	objSecmark   = 8
	objCtExpect  = 9
	objSynproxy  = 10
)

// objrefKeywords print an object reference as nft writes it.
var objrefKeywords = map[uint32]string{
	objCounter: "counter name", objQuota: "quota name", objCtHelper: "ct helper set", objLimit: "limit name",
	objCtTimeout: "ct timeout set", objSecmark: "meta secmark set", objCtExpect: "ct expectation set", objSynproxy: "synproxy name",
}

// objrefStmt parses the rest of KEYWORD name|set EXPR; t is the keyword.
func (p *parser) objrefStmt(t token, kind uint32) Stmt {
	p.i++ // name or set
	e := p.rhsConcat()
	if p.isWord("map") {
		p.i++
		m := p.mapTarget()
		e = &mapExpr{srcSpan: spanOf(e.span(), m.span()), key: e, m: m}
	}
	return &objrefStmt{srcSpan: spanOf(srcSpan{t.pos, t.end}, e.span()), kind: kind, name: e}
}

func (s *objrefStmt) compile(r *ruleCtx) error {
	if m, ok := s.name.(*mapExpr); ok {
		return s.compileMap(r, m)
	}
	sym, ok := s.name.(*symbolExpr)
	if !ok || sym.kind != tString && sym.kind != tWord {
		return r.cc.errAt(s.name.span(), "unsupported object reference")
	}
	var a attrBuf
	a.u32(unix.NFTA_OBJREF_IMM_TYPE, s.kind)
	a.str(unix.NFTA_OBJREF_IMM_NAME, sym.text)
	r.emit("objref", &a)
	return nil
}

func init() {
	exprPrinters["objref"] = func(d *delin, a attrMap) {
		kw := objrefKeywords[a.u32(unix.NFTA_OBJREF_IMM_TYPE)]
		if kw == "" {
			kw = "objref type " + strconv.Itoa(int(a.u32(unix.NFTA_OBJREF_IMM_TYPE)))
		}
		if a.has(unix.NFTA_OBJREF_IMM_NAME) {
			d.add(kw + ` "` + a.str(unix.NFTA_OBJREF_IMM_NAME) + `"`)
			return
		}
		d.add(d.objrefMapText(a))
	}
}

// compileMap is KEYWORD name KEY map { k : "name", ... }: an anonymous
// object map (__objmap%d) looked up with the key.
func (s *objrefStmt) compileMap(r *ruleCtx, m *mapExpr) error {
	li, err := r.evalLHS(m.key)
	if err != nil {
		return err
	}
	for _, sel := range li.sels {
		if err := sel.deps(r); err != nil {
			return err
		}
	}
	set, ok := m.m.(*setExpr)
	if !ok {
		return r.cc.errAt(m.m.span(), "unsupported object map")
	}
	as, err := r.buildAnonSet(set, li, func(e Expr) ([]byte, *verdictExpr, error) {
		sym, ok := e.(*symbolExpr)
		if !ok || sym.text == "" {
			return nil, nil, r.cc.errAt(e.span(), "unsupported object reference")
		}
		return []byte(sym.text), nil, nil
	})
	if err != nil {
		return err
	}
	for i := range as.elems {
		as.elems[i].objref, as.elems[i].data = string(as.elems[i].data), nil
	}
	as.name = "__objmap%d"
	as.flags |= setObject
	as.objType = s.kind
	r.addAnonSet(as)
	reg := as.loadKey(r, li)
	var a attrBuf
	a.u32(unix.NFTA_OBJREF_SET_SREG, kernelReg(reg))
	a.str(unix.NFTA_OBJREF_SET_NAME, as.name)
	a.u32(unix.NFTA_OBJREF_SET_ID, as.id)
	r.emit("objref", &a)
	r.putReg(li.lenBytes)
	return nil
}

// objrefMapText prints an object map lookup: counter name tcp dport map
// { 22 : "cnt1", ... }.
func (d *delin) objrefMapText(a attrMap) string {
	name := a.str(unix.NFTA_OBJREF_SET_NAME)
	rv := d.regs[a.u32(unix.NFTA_OBJREF_SET_SREG)]
	s := d.t.set(name)
	if rv == nil || rv.sel == nil || s == nil {
		return "objref <map>"
	}
	d.killDeps(rv.sel)
	kw := objrefKeywords[s.objType]
	if kw == "" {
		kw = "objref"
	}
	rhs := "@" + name
	if s.flags&setAnonymous != 0 {
		order := rv.sel.order()
		if rv.text == "hton" {
			order = orderBig
		}
		elems := append([]kElem(nil), s.elems...)
		sortElems(elems, order)
		var parts []string
		for _, e := range elems {
			parts = append(parts, keyText([]*Datatype{rv.sel.dtype()}, e.key, order, d.o)+` : "`+e.objref+`"`)
		}
		rhs = "{ " + strings.Join(parts, ", ") + " }"
	}
	return kw + " " + selText(rv.sel) + " map " + rhs
}
