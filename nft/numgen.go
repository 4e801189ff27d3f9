package nft

import "fmt"

// numgenExpr is numgen inc|random mod N [offset N] (numgen.c): a counter
// or random number, used as a value or a map key.
type numgenExpr struct {
	srcSpan
	random bool
	mod    uint32
	offset uint32
}

// Number generator attributes (NFTA_NG_*) and types (NFT_NG_*).
const (
	nftaNgDreg    = 1
	nftaNgModulus = 2
	nftaNgType    = 3
	nftaNgOffset  = 4
	ngIncremental = 0
	ngRandom      = 1
)

func init() {
	selectorParsers["numgen"] = func(p *parser, t token) Expr {
		p.i++
		e := &numgenExpr{srcSpan: srcSpan{t.pos, t.end}}
		switch n := p.next(); {
		case n.kind == tWord && n.text == "inc":
		case n.kind == tWord && n.text == "random":
			e.random = true
		default:
			p.unexpected(n)
		}
		p.expectWord("mod")
		e.mod = p.u32Arg()
		if p.acceptWord("offset") {
			e.offset = p.u32Arg()
		}
		e.end = p.toks[p.i-1].end
		return e
	}
	valueSelectors["numgen"] = true
	exprPrinters["numgen"] = func(d *delin, a attrMap) {
		d.regs[a.u32(nftaNgDreg)] = &regVal{sel: &numgenExpr{random: a.u32(nftaNgType) == ngRandom, mod: a.u32(nftaNgModulus), offset: a.u32(nftaNgOffset)}}
	}
}

func (e *numgenExpr) dtype() *Datatype       { return dtInteger }
func (e *numgenExpr) bits() int              { return 32 }
func (e *numgenExpr) order() byteOrder       { return orderHost }
func (e *numgenExpr) geom() (int, int, bool) { return 4, 0, false }

func (e *numgenExpr) deps(r *ruleCtx) error {
	if e.mod == 0 {
		return r.cc.errAt(e.srcSpan, "numgen modulus must be > 0")
	}
	return nil
}

func (e *numgenExpr) load(r *ruleCtx, dreg uint32) {
	var a attrBuf
	a.u32(nftaNgDreg, kernelReg(dreg))
	a.u32(nftaNgModulus, e.mod)
	typ := uint32(ngIncremental)
	if e.random {
		typ = ngRandom
	}
	a.u32(nftaNgType, typ)
	if e.offset != 0 {
		a.u32(nftaNgOffset, e.offset)
	}
	r.emit("numgen", &a)
}

func (e *numgenExpr) text() string {
	s := "numgen inc"
	if e.random {
		s = "numgen random"
	}
	s += fmt.Sprintf(" mod %d", e.mod)
	if e.offset != 0 {
		s += fmt.Sprintf(" offset %d", e.offset)
	}
	return s
}
