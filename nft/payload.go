package nft

import (
	"fmt"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// payloadExpr is a header field: ip saddr, tcp dport, vlan id, ...
// (payload.c). Its dependency is the protocol it belongs to, matched
// through the layer below unless already known.
type payloadExpr struct {
	srcSpan
	desc  *protoDesc
	field *protoField
	// raw payload (@nh,16,8) has no description.
	rawBase   int
	rawOffset int
	rawBits   int
	// stackOff moves a stacked header's fields (a vlan tag inside
	// another sits 32 bits further), in bits.
	stackOff int
}

// selector is an expression that loads a value into a register.
type selector interface {
	Expr
	dtype() *Datatype
	bits() int
	order() byteOrder
	deps(r *ruleCtx) error
	load(r *ruleCtx, dreg uint32)
	// geom is the load's size in bytes and, for bit fields, the shift
	// that puts the field's lowest bit at bit 0 of the loaded value.
	geom() (n int, shift int, bitfield bool)
}

func init() {
	for _, d := range allProtos {
		d := d
		selectorParsers[d.name] = func(p *parser, t token) Expr { return p.payloadSelector(t, d) }
	}
}

func (p *parser) payloadSelector(t token, d *protoDesc) Expr {
	n := p.peekN(1)
	if n.kind != tWord {
		return nil
	}
	name := n.text
	if d == protoTCP && name == "option" {
		return p.tcpOption(t) // tcpopt.go
	}
	if d == protoARP && (name == "saddr" || name == "daddr") {
		k := p.peekN(2)
		if k.kind == tWord && (k.text == "ip" || k.text == "ether") {
			p.i += 3
			f := d.field(name + " " + k.text)
			return &payloadExpr{srcSpan: srcSpan{t.pos, k.end}, desc: d, field: f}
		}
	}
	f := d.field(name)
	if f == nil {
		return nil
	}
	p.i += 2
	return &payloadExpr{srcSpan: srcSpan{t.pos, n.end}, desc: d, field: f}
}

func (e *payloadExpr) dtype() *Datatype {
	if e.field == nil {
		return dtRawInteger // rawpayload.go
	}
	return e.field.dt
}

func (e *payloadExpr) bits() int {
	if e.field == nil {
		return e.rawBits
	}
	return e.field.bits
}

func (e *payloadExpr) order() byteOrder { return orderBig }

func (e *payloadExpr) base() int {
	if e.desc == nil {
		return e.rawBase
	}
	return e.desc.base
}

// offset is the field's offset in bits from its base's header.
func (e *payloadExpr) offset() int {
	if e.desc == nil {
		return e.rawOffset
	}
	return e.desc.offset + e.stackOff + e.field.offset
}

func (e *payloadExpr) geom() (int, int, bool) {
	off, bits := e.offset(), e.bits()
	n := (off%8 + bits + 7) / 8
	shift := n*8 - off%8 - bits
	return n, shift, off%8 != 0 || bits%8 != 0
}

func (e *payloadExpr) load(r *ruleCtx, dreg uint32) {
	n, _, _ := e.geom()
	emitPayloadLoad(r, e.base(), e.offset()/8, n, dreg)
}

func emitPayloadLoad(r *ruleCtx, base, off, n int, dreg uint32) {
	a := r.attrs()
	a.u32(unix.NFTA_PAYLOAD_DREG, kernelReg(dreg))
	a.u32(unix.NFTA_PAYLOAD_BASE, uint32(base))
	a.u32(unix.NFTA_PAYLOAD_OFFSET, uint32(off))
	a.u32(unix.NFTA_PAYLOAD_LEN, uint32(n))
	r.emit("payload", &a)
}

// deps inserts the matches that make the header present: the network
// protocol (meta nfproto in inet, meta protocol in bridge and netdev),
// the transport protocol (meta l4proto), or for link headers outside
// bridge and netdev, meta iiftype ether.
func (e *payloadExpr) deps(r *ruleCtx) error {
	d := e.desc
	if d == nil || d == protoTH {
		return nil
	}
	switch d.base {
	case baseLink:
		if d == protoVlan {
			return r.needVlan(e)
		}
		return r.needLink(e)
	case baseNetwork:
		return r.needNetwork(d, e)
	case baseTransport:
		// icmp's ip is inserted only while no network header is known,
		// and the ip and ip6 families know theirs (icmpv6 in an ip
		// table is meta l4proto alone)
		if d.needs != nil && r.proto[baseNetwork] == nil && r.fam != xtnl.FamilyIPv4 && r.fam != xtnl.FamilyIPv6 {
			if err := r.needICMPNetwork(d.needs, e); err != nil {
				return err
			}
		}
		if err := r.needTransport(d, e); err != nil {
			return err
		}
		return r.icmpDep(e)
	}
	return nil
}

func (r *ruleCtx) needLink(e Expr) error {
	if r.proto[baseLink] != nil {
		return nil
	}
	switch r.fam {
	case xtnl.FamilyBridge:
		r.proto[baseLink] = protoEther
		return nil
	case xtnl.FamilyIPv4, xtnl.FamilyIPv6, xtnl.FamilyInet, xtnl.FamilyNetdev:
		// netdev too: a netdev device need not be ethernet
		// meta iiftype ether
		reg := r.getReg(2)
		(&metaExpr{key: metaIIFType}).load(r, reg)
		r.emitCmp(reg, opEq, []byte{1, 0})
		r.putReg(2)
		r.proto[baseLink] = protoEther
		return nil
	}
	return r.conflict(e, "link layer")
}

func (r *ruleCtx) needNetwork(d *protoDesc, e Expr) error {
	if cur := r.proto[baseNetwork]; cur != nil {
		if cur != d {
			return r.conflict(e, fmt.Sprintf("conflicting protocols specified: %s vs. %s", cur.name, d.name))
		}
		return nil
	}
	switch r.fam {
	case xtnl.FamilyIPv4:
		if d != protoIP {
			return r.conflict(e, fmt.Sprintf("conflicting protocols specified: ip vs. %s", d.name))
		}
	case xtnl.FamilyIPv6:
		if d != protoIP6 {
			return r.conflict(e, fmt.Sprintf("conflicting protocols specified: ip6 vs. %s", d.name))
		}
	case xtnl.FamilyARP:
		if d != protoARP {
			return r.conflict(e, fmt.Sprintf("conflicting protocols specified: arp vs. %s", d.name))
		}
	case xtnl.FamilyInet, xtnl.FamilyBridge, xtnl.FamilyNetdev:
		switch {
		case r.vlanOff != 0:
			// inside a vlan tag, its type field names the protocol
			r.vlanTypeDep(d)
		case r.etherTypeNetworkDep(d):
			r.emitEtherTypeDep(d.number) // etherdep.go
		case r.fam != xtnl.FamilyInet:
			r.metaProtocolDep(d)
		default:
			if err := r.nfprotoDep(d, e); err != nil {
				return err
			}
		}
	}
	r.proto[baseNetwork] = d
	return nil
}

// nfprotoDep is a network protocol's dependency in inet: meta nfproto.
func (r *ruleCtx) nfprotoDep(d *protoDesc, e Expr) error {
	var v byte
	switch d {
	case protoIP:
		v = 2
	case protoIP6:
		v = 10
	default:
		return r.conflict(e, fmt.Sprintf("conflicting protocols specified: inet vs. %s", d.name))
	}
	reg := r.getReg(1)
	(&metaExpr{key: metaNfproto}).load(r, reg)
	r.emitCmp(reg, opEq, []byte{v})
	r.putReg(1)
	return nil
}

// metaProtocolDep is a network protocol's dependency in netdev while the
// link layer is not known to be ethernet, and ip's and ip6's in bridge.
func (r *ruleCtx) metaProtocolDep(d *protoDesc) {
	reg := r.getReg(2)
	(&metaExpr{key: metaProtocol}).load(r, reg)
	r.emitCmp(reg, opEq, uintBytes(d.number, 2))
	r.putReg(2)
}

func (r *ruleCtx) needTransport(d *protoDesc, e Expr) error {
	if cur := r.proto[baseTransport]; cur != nil {
		if cur != d {
			return r.conflict(e, fmt.Sprintf("conflicting protocols specified: %s vs. %s", cur.name, d.name))
		}
		return nil
	}
	reg := r.getReg(1)
	(&metaExpr{key: metaL4Proto}).load(r, reg)
	r.emitCmp(reg, opEq, []byte{byte(d.number)})
	r.putReg(1)
	r.proto[baseTransport] = d
	return nil
}

// learn records what an equality match on e tells about the packet's
// protocols (ip protocol tcp, meta l4proto udp, ether type ip6).
func (r *ruleCtx) learn(e Expr, v []byte) {
	var u uint64
	for _, c := range v {
		u = u<<8 | uint64(c)
	}
	switch s := e.(type) {
	case *payloadExpr:
		if s.field == nil {
			return
		}
		r.learnICMPType(s, u)
		switch {
		case s.desc == protoIP && s.field.name == "protocol", s.desc == protoIP6 && s.field.name == "nexthdr":
			if d := protoByNumber(baseTransport, u); d != nil {
				r.proto[baseTransport] = d
			}
		case s.desc == protoEther && s.field.name == "type", s.desc == protoVlan && s.field.name == "type":
			if d := protoByNumber(baseNetwork, u); d != nil {
				r.proto[baseNetwork] = d
			}
			r.learnVlan(s, u)
		}
	case *metaExpr:
		switch s.key {
		case metaIIFType:
			if u == 1 && r.proto[baseLink] == nil {
				r.proto[baseLink] = protoEther // iiftype ether
			}
		case metaL4Proto:
			if d := protoByNumber(baseTransport, u); d != nil {
				r.proto[baseTransport] = d
			}
		case metaNfproto:
			switch u {
			case 2:
				r.proto[baseNetwork] = protoIP
			case 10:
				r.proto[baseNetwork] = protoIP6
			}
		case metaProtocol:
			if d := protoByNumber(baseNetwork, u); d != nil {
				r.proto[baseNetwork] = d
			}
		}
	}
}

// conflict is an evaluation error at e.
func (r *ruleCtx) conflict(e Expr, msg string) error {
	return r.cc.errAt(e.span(), msg)
}

// text prints the selector as nft does.
func (e *payloadExpr) text() string {
	if e.desc == nil {
		return fmt.Sprintf("@%s,%d,%d", rawBaseName(e.rawBase), e.rawOffset, e.rawBits)
	}
	return e.desc.name + " " + e.field.name
}

func rawBaseName(b int) string {
	return [...]string{"ll", "nh", "th", "ih"}[b]
}
