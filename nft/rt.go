package nft

import (
	"fmt"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// rtExpr is rt KEY (rt.c): what the routing decision says about the
// packet: its realm, next hop, path MTU (as a TCP MSS) and whether it is
// bound for IPsec.
type rtExpr struct {
	srcSpan
	// key is NFT_RT_*, or rtNexthopUnbound for "rt nexthop" until resolve
	// takes ip or ip6 from the rule's context.
	key uint32
}

// Route keys (NFT_RT_*).
const (
	rtClassID  = 0
	rtNexthop4 = 1
	rtNexthop6 = 2
	rtTCPMSS   = 3
	rtXFRM     = 4
)

type rtTemplate struct {
	name  string
	dt    *Datatype
	bits  int
	order byteOrder
}

var rtTemplates = map[uint32]rtTemplate{
	rtClassID:  {"classid", dtRealm, 32, orderHost},
	rtNexthop4: {"nexthop", dtIPv4, 32, orderBig},
	rtNexthop6: {"nexthop", dtIPv6, 128, orderBig},
	rtTCPMSS:   {"mtu", dtInteger, 16, orderHost},
	rtXFRM:     {"ipsec", dtBoolean, 8, orderHost},
}

// rtNexthopUnbound marks "rt nexthop" before the rule's context chose ip
// or ip6.
const rtNexthopUnbound = 0xff

// rtKeyWords are the words after "rt" that make a route expression; any
// other ("rt nexthdr", "rt type", ...) is IPv6's routing header.
var rtKeyWords = map[string]bool{"classid": true, "nexthop": true, "mtu": true, "ipsec": true, "ip": true, "ip6": true}

func init() {
	// "rt" is shared with the routing header: hand other words to the
	// parser registered before this one, if any.
	prev := selectorParsers["rt"]
	selectorParsers["rt"] = func(p *parser, t token) Expr {
		n := p.peekN(1)
		if n.kind != tWord || !rtKeyWords[n.text] || (n.text == "ip" || n.text == "ip6") && p.peekN(2).text != "nexthop" {
			if prev != nil {
				return prev(p, t)
			}
			return nil
		}
		e := &rtExpr{srcSpan: srcSpan{t.pos, n.end}}
		p.i += 2
		if n.text == "ip" || n.text == "ip6" {
			k := p.next()
			e.end = k.end
			e.key = map[string]uint32{"ip": rtNexthop4, "ip6": rtNexthop6}[n.text]
			return e
		}
		switch n.text {
		case "classid":
			e.key = rtClassID
		case "nexthop":
			e.key = rtNexthopUnbound
		case "mtu":
			e.key = rtTCPMSS
		case "ipsec":
			e.key = rtXFRM
		}
		return e
	}
	// "rt" followed by a word is always a selector, also as a statement's
	// value ("tcp option maxseg size set rt mtu").
	valueSelectors["rt"] = true
}

// convertFor turns a host-endian route key, loaded into reg as the value
// of a statement that writes big-endian data, into network order: nft
// converts an rt argument, and only it, so (__stmt_evaluate_arg), not
// for a single byte.
func (e *rtExpr) convertFor(r *ruleCtx, reg uint32, li *lhsInfo) {
	t, ok := rtTemplates[e.key]
	if !ok || t.order == li.order || li.order != orderBig || t.dt != dtInteger && t.dt.Base != dtInteger || t.bits < 16 {
		return
	}
	r.emitByteorder(reg, reg, unix.NFT_BYTEORDER_HTON, t.bits/8, unarySize(t.bits))
}

// resolve decides "rt nexthop" from the network protocol the rule settled
// (its family, or a meta nfproto match), and refuses a next hop of the
// other family, as nft's evaluation does.
func (e *rtExpr) resolve(r *ruleCtx) error {
	var net *protoDesc
	switch r.fam {
	case xtnl.FamilyIPv4:
		net = protoIP
	case xtnl.FamilyIPv6:
		net = protoIP6
	default:
		net = r.proto[baseNetwork]
	}
	switch e.key {
	case rtNexthopUnbound:
		switch net {
		case protoIP:
			e.key = rtNexthop4
		case protoIP6:
			e.key = rtNexthop6
		default:
			return r.cc.errAt(e.srcSpan, `cannot determine ip protocol version, use "ip nexthop" or "ip6 nexthop" instead`)
		}
	case rtNexthop4:
		if net == protoIP6 {
			return r.cc.errAt(e.srcSpan, "ip nexthop will not match")
		}
	case rtNexthop6:
		if net == protoIP {
			return r.cc.errAt(e.srcSpan, "ip6 nexthop will not match")
		}
	}
	return nil
}

func (e *rtExpr) tmpl() rtTemplate {
	if t, ok := rtTemplates[e.key]; ok {
		return t
	}
	return rtTemplate{"nexthop", dtInteger, 32, orderBig}
}

func (e *rtExpr) dtype() *Datatype { return e.tmpl().dt }
func (e *rtExpr) bits() int        { return e.tmpl().bits }
func (e *rtExpr) order() byteOrder { return e.tmpl().order }
func (e *rtExpr) geom() (int, int, bool) {
	return (e.bits() + 7) / 8, 0, false
}

func (e *rtExpr) deps(r *ruleCtx) error {
	if e.key == rtNexthopUnbound {
		return e.resolve(r)
	}
	return nil
}

func (e *rtExpr) load(r *ruleCtx, dreg uint32) {
	var a attrBuf
	a.u32(unix.NFTA_RT_KEY, e.key)
	a.u32(unix.NFTA_RT_DREG, kernelReg(dreg))
	r.emit("rt", &a)
}

func (e *rtExpr) text() string {
	ip := ""
	switch e.key {
	case rtNexthop4:
		ip = "ip "
	case rtNexthop6:
		ip = "ip6 "
	}
	return fmt.Sprintf("rt %s%s", ip, e.tmpl().name)
}

func init() {
	registerSelectorLoad("rt", func(a attrMap) (selector, uint32, bool) {
		if !a.has(unix.NFTA_RT_DREG) {
			return nil, 0, false
		}
		return &rtExpr{key: a.u32(unix.NFTA_RT_KEY)}, a.u32(unix.NFTA_RT_DREG), true
	})
}
