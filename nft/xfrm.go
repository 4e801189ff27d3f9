package nft

import "fmt"

// xfrmExpr is ipsec in|out [spnum N] KEY (xfrm.c): a property of the
// IPsec state the packet went through.
type xfrmExpr struct {
	srcSpan
	dir   uint8 // XFRM_POLICY_IN 0, XFRM_POLICY_OUT 1
	spnum uint32
	key   uint32
}

// xfrm keys (NFT_XFRM_KEY_*) and attributes (NFTA_XFRM_*).
const (
	xfrmDaddrIP4  = 1
	xfrmDaddrIP6  = 2
	xfrmSaddrIP4  = 3
	xfrmSaddrIP6  = 4
	xfrmReqID     = 5
	xfrmSPI       = 6
	nftaXfrmDreg  = 1
	nftaXfrmKey   = 2
	nftaXfrmDir   = 3
	nftaXfrmSpnum = 4
	metaSecpath   = 25 // NFT_META_SECPATH
)

type xfrmTemplate struct {
	name  string // as printed after the family
	dt    *Datatype
	order byteOrder
}

var xfrmTemplates = map[uint32]xfrmTemplate{
	xfrmDaddrIP4: {"ip daddr", dtIPv4, orderBig},
	xfrmSaddrIP4: {"ip saddr", dtIPv4, orderBig},
	xfrmDaddrIP6: {"ip6 daddr", dtIPv6, orderBig},
	xfrmSaddrIP6: {"ip6 saddr", dtIPv6, orderBig},
	xfrmReqID:    {"reqid", dtInteger, orderHost},
	xfrmSPI:      {"spi", dtInteger, orderBig},
}

// This file is named for nft's xfrm.c and sorts after meta.go, whose
// unqualified "ipsec" (meta ipsec, the secpath flag) it takes over: ipsec
// in|out is this expression, any other ipsec is meta's.
func init() {
	selectorParsers["ipsec"] = func(p *parser, t token) Expr {
		if n := p.peekN(1); n.kind != tWord || n.text != "in" && n.text != "out" {
			p.i++
			return &metaExpr{srcSpan: srcSpan{t.pos, t.end}, key: metaSecpath}
		}
		p.i++
		e := &xfrmExpr{srcSpan: srcSpan{t.pos, t.end}}
		switch n := p.next(); {
		case n.kind == tWord && n.text == "in":
		case n.kind == tWord && n.text == "out":
			e.dir = 1
		default:
			p.unexpected(n)
		}
		if p.acceptWord("spnum") {
			n := p.peek()
			v := p.number()
			if v > 255 {
				p.errorf(srcSpan{n.pos, n.end}, "spnum %s exceeds maximum of 255", n.text)
			}
			e.spnum = uint32(v)
		}
		n := p.next()
		name := n.text
		if n.kind == tWord && (name == "ip" || name == "ip6") {
			f := p.next()
			name += " " + f.text
			n.end = f.end
		}
		found := false
		for k, tm := range xfrmTemplates {
			if tm.name == name {
				e.key, found = k, true
			}
		}
		if !found {
			p.unexpected(n)
		}
		e.end = n.end
		return e
	}
	exprPrinters["xfrm"] = func(d *delin, a attrMap) {
		d.regs[a.u32(nftaXfrmDreg)] = &regVal{sel: &xfrmExpr{dir: byteAt(a[nftaXfrmDir]), spnum: a.u32(nftaXfrmSpnum), key: a.u32(nftaXfrmKey)}}
	}
}

func (e *xfrmExpr) tmpl() xfrmTemplate {
	if t, ok := xfrmTemplates[e.key]; ok {
		return t
	}
	return xfrmTemplate{"(unknown key)", dtInteger, orderHost}
}
func (e *xfrmExpr) dtype() *Datatype { return e.tmpl().dt }
func (e *xfrmExpr) bits() int {
	if e.key == xfrmDaddrIP6 || e.key == xfrmSaddrIP6 {
		return 128
	}
	return 32
}
func (e *xfrmExpr) order() byteOrder       { return e.tmpl().order }
func (e *xfrmExpr) geom() (int, int, bool) { return e.bits() / 8, 0, false }
func (e *xfrmExpr) deps(r *ruleCtx) error  { return nil }

func (e *xfrmExpr) load(r *ruleCtx, dreg uint32) {
	var a attrBuf
	a.u32(nftaXfrmDreg, kernelReg(dreg))
	a.u32(nftaXfrmKey, e.key)
	a.raw(nftaXfrmDir, []byte{e.dir})
	a.u32(nftaXfrmSpnum, e.spnum)
	r.emit("xfrm", &a)
}

func (e *xfrmExpr) text() string {
	s := "ipsec in"
	if e.dir == 1 {
		s = "ipsec out"
	}
	if e.spnum != 0 {
		s += fmt.Sprintf(" spnum %d", e.spnum)
	}
	return s + " " + e.tmpl().name
}
