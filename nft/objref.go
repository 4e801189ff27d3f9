package nft

import (
	"strconv"

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
			d.add(kw + " " + strconv.Quote(a.str(unix.NFTA_OBJREF_IMM_NAME)))
			return
		}
		d.add(kw + " <map>")
	}
}
