package nft

import "golang.org/x/sys/unix"

// ctExpr is ct [original|reply] KEY (ct.c): connection tracking state.
type ctExpr struct {
	srcSpan
	key uint32
	dir int // -1: none, 0 original, 1 reply
}

type ctTemplate struct {
	name  string
	dt    *Datatype
	bits  int
	order byteOrder
}

var dtCtLabel = &Datatype{ID: typeCtLabel, Name: "ct_label", Desc: "conntrack label", Bits: 128, Order: orderHost, Base: dtInteger}

var ctTemplates = map[uint32]ctTemplate{
	0:  {"state", dtCtState, 32, orderHost},
	1:  {"direction", dtCtDir, 8, orderHost},
	2:  {"status", dtCtStatus, 32, orderHost},
	3:  {"mark", dtMark, 32, orderHost},
	4:  {"secmark", dtInteger, 32, orderHost},
	5:  {"expiration", dtInteger, 32, orderHost},
	6:  {"helper", dtString, 256, orderHost},
	7:  {"l3proto", dtNfproto, 8, orderHost},
	8:  {"saddr", dtInteger, 128, orderBig},
	9:  {"daddr", dtInteger, 128, orderBig},
	10: {"protocol", dtInetProto, 8, orderBig},
	11: {"proto-src", dtInetService, 16, orderBig},
	12: {"proto-dst", dtInetService, 16, orderBig},
	13: {"label", dtCtLabel, 128, orderHost},
	14: {"packets", dtInteger, 64, orderHost},
	15: {"bytes", dtInteger, 64, orderHost},
	16: {"avgpkt", dtInteger, 64, orderHost},
	17: {"zone", dtInteger, 16, orderHost},
	18: {"event", dtInteger, 32, orderHost},
	23: {"id", dtInteger, 32, orderBig},
}

func ctKeyByName(name string) (uint32, bool) {
	for k, t := range ctTemplates {
		if t.name == name {
			return k, true
		}
	}
	return 0, false
}

func init() {
	selectorParsers["ct"] = func(p *parser, t token) Expr {
		i := 1
		dir := -1
		if n := p.peekN(1); n.kind == tWord && (n.text == "original" || n.text == "reply") {
			dir = map[string]int{"original": 0, "reply": 1}[n.text]
			i = 2
		}
		n := p.peekN(i)
		if n.kind != tWord {
			return nil
		}
		k, ok := ctKeyByName(n.text)
		if !ok {
			p.i += i
			p.fail(n, "syntax error, unexpected "+tokDesc(n))
		}
		p.i += i + 1
		return &ctExpr{srcSpan: srcSpan{t.pos, n.end}, key: k, dir: dir}
	}
}

func (e *ctExpr) tmpl() ctTemplate { return ctTemplates[e.key] }
func (e *ctExpr) dtype() *Datatype {
	if e.key == 8 || e.key == 9 {
		return dtInteger
	}
	if dt := e.tmpl().dt; dt != nil {
		return dt
	}
	return dtInteger // a key this package has no template for
}
func (e *ctExpr) bits() int        { return e.tmpl().bits }
func (e *ctExpr) order() byteOrder { return e.tmpl().order }
func (e *ctExpr) geom() (int, int, bool) {
	return (e.bits() + 7) / 8, 0, false
}
func (e *ctExpr) deps(r *ruleCtx) error { return nil }

func (e *ctExpr) load(r *ruleCtx, dreg uint32) {
	var a attrBuf
	a.u32(unix.NFTA_CT_KEY, e.key)
	a.u32(unix.NFTA_CT_DREG, kernelReg(dreg))
	if e.dir >= 0 {
		a.raw(unix.NFTA_CT_DIRECTION, []byte{byte(e.dir)})
	}
	r.emit("ct", &a)
}

func (e *ctExpr) text() string {
	s := "ct "
	if e.dir >= 0 {
		s += []string{"original ", "reply "}[e.dir]
	}
	return s + e.tmpl().name
}
