package nft

// osfExpr is osf [ttl loose|skip] name|version (osf.c): the operating
// system the kernel's fingerprints guess from a SYN.
type osfExpr struct {
	srcSpan
	ttl     uint8 // 0 global, 1 loose, 2 skip
	version bool
}

// osf attributes (NFTA_OSF_*) and flags.
const (
	nftaOsfDreg    = 1
	nftaOsfTTL     = 2
	nftaOsfFlags   = 3
	osfFlagVersion = 1
	osfNameLen     = 16 // NFT_OSF_MAXGENRELEN
)

var osfTTLs = map[string]uint8{"loose": 1, "skip": 2}

func init() {
	selectorParsers["osf"] = func(p *parser, t token) Expr {
		p.i++
		e := &osfExpr{srcSpan: srcSpan{t.pos, t.end}}
		if p.acceptWord("ttl") {
			n := p.next()
			v, ok := osfTTLs[n.text]
			if n.kind != tWord || !ok {
				p.unexpected(n)
			}
			e.ttl = v
		}
		n := p.next()
		switch {
		case n.kind == tWord && n.text == "name":
		case n.kind == tWord && n.text == "version":
			e.version = true
		default:
			p.unexpected(n)
		}
		e.end = n.end
		return e
	}
	valueSelectors["osf"] = true
	exprPrinters["osf"] = func(d *delin, a attrMap) {
		d.regs[a.u32(nftaOsfDreg)] = &regVal{sel: &osfExpr{ttl: byteAt(a[nftaOsfTTL]), version: a.u32(nftaOsfFlags)&osfFlagVersion != 0}}
	}
}

func (e *osfExpr) dtype() *Datatype       { return dtString }
func (e *osfExpr) bits() int              { return osfNameLen * 8 }
func (e *osfExpr) order() byteOrder       { return orderHost }
func (e *osfExpr) geom() (int, int, bool) { return osfNameLen, 0, false }
func (e *osfExpr) deps(r *ruleCtx) error  { return nil }

func (e *osfExpr) load(r *ruleCtx, dreg uint32) {
	var a attrBuf
	a.u32(nftaOsfDreg, kernelReg(dreg))
	if e.ttl != 0 {
		a.raw(nftaOsfTTL, []byte{e.ttl})
	}
	if e.version {
		a.u32(nftaOsfFlags, osfFlagVersion)
	}
	r.emit("osf", &a)
}

func (e *osfExpr) text() string {
	s := "osf "
	for name, v := range osfTTLs {
		if v == e.ttl {
			s += "ttl " + name + " "
		}
	}
	if e.version {
		return s + "version"
	}
	return s + "name"
}
