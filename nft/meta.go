package nft

import (
	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// metaExpr is meta KEY (meta.c): packet metadata such as the mark, the
// interfaces or the layer 4 protocol.
type metaExpr struct {
	srcSpan
	key uint32
}

type metaTemplate struct {
	name  string
	dt    *Datatype
	bits  int
	order byteOrder
	// unqualified keys print without "meta " (iifname, oif, ...).
	unqualified bool
}

// Meta keys (NFT_META_*).
const (
	metaLen       = 0
	metaProtocol  = 1
	metaPriority  = 2
	metaMark      = 3
	metaIIF       = 4
	metaOIF       = 5
	metaIIFName   = 6
	metaOIFName   = 7
	metaIIFType   = 8
	metaOIFType   = 9
	metaSkUID     = 10
	metaSkGID     = 11
	metaNFTrace   = 12
	metaRTClassID = 13
	metaSecmark   = 14
	metaNfproto   = 15
	metaL4Proto   = 16
)

var dtClassID = &Datatype{ID: typeClassID, Name: "classid", Desc: "TC classid", Bits: 32, Order: orderHost, Base: dtInteger}

var metaTemplates = map[uint32]metaTemplate{
	metaLen:       {"length", dtInteger, 32, orderHost, false},
	metaProtocol:  {"protocol", dtEtherType, 16, orderBig, false},
	metaPriority:  {"priority", dtClassID, 32, orderHost, false},
	metaMark:      {"mark", dtMark, 32, orderHost, false},
	metaIIF:       {"iif", dtIfIndex, 32, orderHost, true},
	metaOIF:       {"oif", dtIfIndex, 32, orderHost, true},
	metaIIFName:   {"iifname", dtIfName, 128, orderHost, true},
	metaOIFName:   {"oifname", dtIfName, 128, orderHost, true},
	metaIIFType:   {"iiftype", dtARPHrd, 16, orderHost, false},
	metaOIFType:   {"oiftype", dtARPHrd, 16, orderHost, false},
	metaSkUID:     {"skuid", dtUID, 32, orderHost, false},
	metaSkGID:     {"skgid", dtGID, 32, orderHost, false},
	metaNFTrace:   {"nftrace", dtInteger, 1, orderHost, false},
	metaRTClassID: {"rtclassid", dtRealm, 32, orderHost, false},
	metaSecmark:   {"secmark", dtInteger, 32, orderHost, false},
	metaNfproto:   {"nfproto", dtNfproto, 8, orderHost, false},
	metaL4Proto:   {"l4proto", dtInetProto, 8, orderHost, false},
	17:            {"ibrname", dtIfName, 128, orderHost, false},
	18:            {"obrname", dtIfName, 128, orderHost, false},
	19:            {"pkttype", dtPktType, 8, orderHost, false},
	20:            {"cpu", dtInteger, 32, orderHost, false},
	21:            {"iifgroup", dtDevGroup, 32, orderHost, true},
	22:            {"oifgroup", dtDevGroup, 32, orderHost, true},
	23:            {"cgroup", dtInteger, 32, orderHost, false},
	24:            {"random", dtInteger, 32, orderBig, false},
	25:            {"ipsec", dtBoolean, 1, orderHost, false},
	26:            {"iifkind", dtIfName, 128, orderHost, false},
	27:            {"oifkind", dtIfName, 128, orderHost, false},
	28:            {"ibrpvid", dtInteger, 16, orderHost, false},
	29:            {"ibrvproto", dtEtherType, 16, orderBig, false},
	30:            {"time", dtTimeDate, 64, orderHost, false},
	31:            {"day", dtTimeDay, 8, orderHost, false},
	32:            {"hour", dtTimeHour, 32, orderHost, false},
	33:            {"sdif", dtIfIndex, 32, orderHost, false},
	34:            {"sdifname", dtIfName, 128, orderHost, false},
}

// metaUnqualified are the keys written without "meta".
var metaUnqualified = map[string]bool{
	"mark": true, "iif": true, "iifname": true, "iiftype": true, "oif": true, "oifname": true, "oiftype": true,
	"skuid": true, "skgid": true, "nftrace": true, "rtclassid": true, "pkttype": true, "cpu": true,
	"iifgroup": true, "oifgroup": true, "cgroup": true, "ibrname": true, "obrname": true, "ipsec": true,
	"ibriport": true, "obriport": true, "time": true, "day": true, "hour": true,
}

func metaKeyByName(name string) (uint32, bool) {
	for k, t := range metaTemplates {
		if t.name == name {
			return k, true
		}
	}
	switch name {
	case "ibriport":
		return 17, true
	case "obriport":
		return 18, true
	case "secpath":
		return 25, true
	}
	return 0, false
}

func init() {
	selectorParsers["meta"] = func(p *parser, t token) Expr {
		n := p.peekN(1)
		if n.kind != tWord {
			return nil
		}
		k, ok := metaKeyByName(n.text)
		if !ok {
			p.i++
			p.fail(n, "syntax error, unexpected "+tokDesc(n))
		}
		p.i += 2
		return &metaExpr{srcSpan: srcSpan{t.pos, n.end}, key: k}
	}
	for name := range metaUnqualified {
		selectorParsers[name] = func(p *parser, t token) Expr {
			k, _ := metaKeyByName(t.text)
			p.i++
			return &metaExpr{srcSpan: srcSpan{t.pos, t.end}, key: k}
		}
	}
}

func (e *metaExpr) tmpl() metaTemplate { return metaTemplates[e.key] }
func (e *metaExpr) dtype() *Datatype {
	if dt := e.tmpl().dt; dt != nil {
		return dt
	}
	return dtInteger // a key this package has no template for
}
func (e *metaExpr) bits() int        { return e.tmpl().bits }
func (e *metaExpr) order() byteOrder { return e.tmpl().order }
func (e *metaExpr) geom() (int, int, bool) {
	return (e.bits() + 7) / 8, 0, false
}

func (e *metaExpr) deps(r *ruleCtx) error {
	if e.key == metaNfproto && r.fam != xtnl.FamilyInet {
		return r.cc.errAt(e.srcSpan, "meta nfproto is only useful in the inet family")
	}
	return nil
}

func (e *metaExpr) load(r *ruleCtx, dreg uint32) {
	a := r.attrs()
	a.u32(unix.NFTA_META_KEY, e.key)
	a.u32(unix.NFTA_META_DREG, kernelReg(dreg))
	r.emit("meta", &a)
}

func (e *metaExpr) text() string {
	t := e.tmpl()
	if t.unqualified {
		return t.name
	}
	return "meta " + t.name
}

// dropRedundantMetaProtocol removes "meta protocol ip" from a rule of an
// ip table (ip6 in ip6) when another statement follows it, as nft's
// stmt_reduce does: the family already says so.
func dropRedundantMetaProtocol(fam xtnl.Family, stmts []Stmt) []Stmt {
	var own uint64
	switch fam {
	case xtnl.FamilyIPv4:
		own = 0x0800
	case xtnl.FamilyIPv6:
		own = 0x86dd
	default:
		return stmts
	}
	var out []Stmt // nil until a statement is dropped: most rules keep all
	for i, s := range stmts {
		if i+1 < len(stmts) && isMetaProtocolMatch(s, own) {
			if out == nil {
				out = append(make([]Stmt, 0, len(stmts)), stmts[:i]...)
			}
			continue
		}
		if out != nil {
			out = append(out, s)
		}
	}
	if out == nil {
		return stmts
	}
	return out
}

func isMetaProtocolMatch(s Stmt, proto uint64) bool {
	m, ok := s.(*matchStmt)
	if !ok || m.rel.op != "" && m.rel.op != "==" {
		return false
	}
	l, ok := m.rel.l.(*metaExpr)
	if !ok || l.key != metaProtocol {
		return false
	}
	v, ok := m.rel.r.(*symbolExpr)
	if !ok {
		return false
	}
	b, err := parseValue(dtEtherType, v.text, 16)
	return err == nil && len(b) == 2 && uint64(b[0])<<8|uint64(b[1]) == proto
}
