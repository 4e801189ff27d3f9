package nft

import (
	"fmt"
	"strings"
)

// hashExpr is jhash EXPR mod N [seed N] [offset N] or symhash mod N
// [offset N] (hash.c): a number computed from packet fields, used as a
// value (ct mark set jhash ...) or a map key.
type hashExpr struct {
	srcSpan
	sym     bool // symhash
	src     Expr // jhash's input
	mod     uint32
	seed    uint32
	seedSet bool
	offset  uint32
	// srcText is the input as printed, when read back from the kernel.
	srcText string
	li      *lhsInfo
}

// Hash attributes (NFTA_HASH_*) and types (NFT_HASH_*).
const (
	nftaHashSreg    = 1
	nftaHashDreg    = 2
	nftaHashLen     = 3
	nftaHashModulus = 4
	nftaHashSeed    = 5
	nftaHashOffset  = 6
	nftaHashType    = 7
	hashJenkins     = 0
	hashSym         = 1
)

func init() {
	parseHash := func(p *parser, t token) Expr {
		p.i++
		e := &hashExpr{srcSpan: srcSpan{t.pos, t.end}, sym: t.text == "symhash"}
		if !e.sym {
			e.src = p.expr()
		}
		p.expectWord("mod")
		e.mod = p.u32Arg()
		if !e.sym && p.acceptWord("seed") {
			e.seed, e.seedSet = p.u32Arg(), true
		}
		if p.acceptWord("offset") {
			e.offset = p.u32Arg()
		}
		e.end = p.toks[p.i-1].end
		return e
	}
	selectorParsers["jhash"] = parseHash
	selectorParsers["symhash"] = parseHash
	valueSelectors["jhash"] = true
	valueSelectors["symhash"] = true
	exprPrinters["hash"] = func(d *delin, a attrMap) {
		e := &hashExpr{sym: a.u32(nftaHashType) == hashSym, mod: a.u32(nftaHashModulus), offset: a.u32(nftaHashOffset)}
		if a.has(nftaHashSeed) {
			e.seed, e.seedSet = a.u32(nftaHashSeed), true
		}
		if !e.sym {
			e.srcText = d.regsText(a.u32(nftaHashSreg), int(a.u32(nftaHashLen)))
		}
		d.regs[a.u32(nftaHashDreg)] = &regVal{sel: e}
	}
}

// u32Arg reads a number that must fit 32 bits.
func (p *parser) u32Arg() uint32 {
	t := p.peek()
	v := p.number()
	if v > 0xffffffff {
		p.fail(t, "syntax error, value out of range")
	}
	return uint32(v)
}

func (e *hashExpr) dtype() *Datatype       { return dtInteger }
func (e *hashExpr) bits() int              { return 32 }
func (e *hashExpr) order() byteOrder       { return orderHost }
func (e *hashExpr) geom() (int, int, bool) { return 4, 0, false }

func (e *hashExpr) deps(r *ruleCtx) error {
	if e.mod == 0 {
		return r.cc.errAt(e.srcSpan, "hash modulus must be > 0")
	}
	if e.sym {
		return nil
	}
	li, err := r.evalLHS(e.src)
	if err != nil {
		return err
	}
	for _, s := range li.sels {
		if err := s.deps(r); err != nil {
			return err
		}
	}
	e.li = li
	return nil
}

func (e *hashExpr) load(r *ruleCtx, dreg uint32) {
	var a attrBuf
	if !e.sym && e.li != nil {
		// nft gives every value but a concatenation a whole 128-bit
		// register (get_register): the input starts after dreg's.
		save := r.reg
		if r.reg < dreg+4 {
			r.reg = dreg + 4
		}
		sreg := r.loadLHS(e.li)
		a.u32(nftaHashSreg, kernelReg(sreg))
		a.u32(nftaHashLen, uint32(e.li.lenBytes))
		r.reg = save
	}
	a.u32(nftaHashDreg, kernelReg(dreg))
	a.u32(nftaHashModulus, e.mod)
	if e.seedSet {
		a.u32(nftaHashSeed, e.seed)
	}
	if e.offset != 0 {
		a.u32(nftaHashOffset, e.offset)
	}
	typ := uint32(hashJenkins)
	if e.sym {
		typ = hashSym
	}
	a.u32(nftaHashType, typ)
	r.emit("hash", &a)
}

func (e *hashExpr) text() string {
	var s string
	if e.sym {
		s = "symhash"
	} else {
		src := e.srcText
		if e.src != nil && src == "" {
			src = "<expr>"
		}
		s = "jhash " + src
	}
	s += fmt.Sprintf(" mod %d", e.mod)
	if e.seedSet {
		s += fmt.Sprintf(" seed 0x%x", e.seed)
	}
	if e.offset != 0 {
		s += fmt.Sprintf(" offset %d", e.offset)
	}
	return s
}

// regsText prints the selectors loaded into the registers from sreg on,
// n bytes: one, or the parts of a concatenation.
func (d *delin) regsText(sreg uint32, n int) string {
	var parts []string
	for _, sel := range d.regSels(sreg, n) {
		parts = append(parts, selText(sel))
	}
	return strings.Join(parts, " . ")
}

// regSels are the selectors loaded into the registers from sreg on, n
// bytes, with the dependencies they imply dropped.
func (d *delin) regSels(sreg uint32, n int) []selector {
	idx := reg32(sreg) // concat_print.go
	var out []selector
	for n > 0 {
		rv := d.regs[kreg(idx)]
		if rv == nil || rv.sel == nil {
			break
		}
		d.killDeps(rv.sel)
		out = append(out, rv.sel)
		w := regSpace((rv.sel.bits() + 7) / 8)
		idx += w
		n -= int(w) * 4
	}
	return out
}
