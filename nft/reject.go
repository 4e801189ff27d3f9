package nft

import (
	"fmt"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// reject (reject_stmt in parser_bison.y, stmt_evaluate_reject,
// netlink_gen_reject_stmt, stmt_reject_postprocess, reject_stmt_print).
// The plain form picks the family's default (ICMP or ICMPv6
// port-unreachable, ICMPx where the network protocol is not known);
// "with icmp|icmpv6|icmpx CODE" and "with tcp reset" name it. A
// dependency the reject needs (meta l4proto tcp, meta nfproto ipv4) goes
// to the start of the rule, as nft puts it there so that nothing before
// acts on packets the reject would not answer.

// Reject types (NFT_REJECT_*).
const (
	rejectTypeICMP   = unix.NFT_REJECT_ICMP_UNREACH
	rejectTypeTCPRst = unix.NFT_REJECT_TCP_RST
	rejectTypeICMPX  = unix.NFT_REJECT_ICMPX_UNREACH
	rejectTypeNone   = -1 // plain "reject": the family's default
)

// ICMP codes of the plain reject.
const (
	icmpPortUnreach  = 3 // ICMP_PORT_UNREACH
	icmp6PortUnreach = 4 // ICMP6_DST_UNREACH_NOPORT
	icmpxPortUnreach = unix.NFT_REJECT_ICMPX_PORT_UNREACH
)

// dtICMPXCode is nft's icmpx_code type: the family-neutral codes.
var dtICMPXCode = &Datatype{ID: typeICMPXCode, Name: "icmpx_code", Desc: "icmpx code", Bits: 8, Order: orderBig, Base: dtInteger,
	Symbols: []symbol{{"port-unreachable", unix.NFT_REJECT_ICMPX_PORT_UNREACH}, {"admin-prohibited", unix.NFT_REJECT_ICMPX_ADMIN_PROHIBITED},
		{"no-route", unix.NFT_REJECT_ICMPX_NO_ROUTE}, {"host-unreachable", unix.NFT_REJECT_ICMPX_HOST_UNREACH}}}

type rejectStmt struct {
	srcSpan
	typ    int    // NFT_REJECT_* or rejectTypeNone
	family uint32 // NFPROTO_IPV4/IPV6 for "with icmp"/"with icmpv6", else 0
	code   string // the code as written; "" for tcp reset and the plain form
	codeAt srcSpan
}

func init() {
	stmtParsers["reject"] = parseReject
}

func parseReject(p *parser, t token) Stmt {
	p.i++
	s := &rejectStmt{srcSpan: srcSpan{t.pos, t.end}, typ: rejectTypeNone}
	if !p.acceptWord("with") {
		return s
	}
	kind := p.next()
	switch kind.text {
	case "icmp":
		s.typ, s.family = rejectTypeICMP, unix.NFPROTO_IPV4
	case "icmpv6":
		s.typ, s.family = rejectTypeICMP, unix.NFPROTO_IPV6
	case "icmpx":
		s.typ = rejectTypeICMPX
	case "tcp":
		p.expectWord("reset")
		s.typ = rejectTypeTCPRst
		s.end = p.toks[p.i-1].end
		return s
	default:
		p.unexpected(kind)
	}
	p.acceptWord("type")
	c := p.next()
	if c.kind != tWord && c.kind != tNum && c.kind != tString {
		p.unexpected(c)
	}
	s.code, s.codeAt = c.text, srcSpan{c.pos, c.end}
	s.end = c.end
	return s
}

// codeType is the datatype of the code: icmp_code, icmpv6_code or
// icmpx_code.
func rejectCodeType(typ int, family uint32) *Datatype {
	switch {
	case typ == rejectTypeICMPX:
		return dtICMPXCode
	case family == unix.NFPROTO_IPV6:
		return dtICMPv6Code
	}
	return dtICMPCode
}

// networkFamily is the NFPROTO_* of the network protocol known so far,
// 0 when none is.
func (r *ruleCtx) networkFamily() uint32 {
	switch r.proto[baseNetwork] {
	case protoIP:
		return unix.NFPROTO_IPV4
	case protoIP6:
		return unix.NFPROTO_IPV6
	case nil:
		return 0
	}
	return otherNetwork
}

// otherNetwork stands for a network protocol other than IPv4 and IPv6.
const otherNetwork = 255

func (s *rejectStmt) compile(r *ruleCtx) error {
	typ, family := s.typ, s.family
	var code byte
	switch {
	case typ == rejectTypeNone:
		switch r.fam {
		case xtnl.FamilyIPv4:
			typ, family, code = rejectTypeICMP, unix.NFPROTO_IPV4, icmpPortUnreach
		case xtnl.FamilyIPv6:
			typ, family, code = rejectTypeICMP, unix.NFPROTO_IPV6, icmp6PortUnreach
		default:
			switch r.networkFamily() {
			case 0:
				typ, code = rejectTypeICMPX, icmpxPortUnreach
			case unix.NFPROTO_IPV4:
				typ, family, code = rejectTypeICMP, unix.NFPROTO_IPV4, icmpPortUnreach
			case unix.NFPROTO_IPV6:
				typ, family, code = rejectTypeICMP, unix.NFPROTO_IPV6, icmp6PortUnreach
			default:
				typ = rejectTypeICMP
			}
		}
	case s.code != "":
		v, err := parseValue(rejectCodeType(typ, family), s.code, 8)
		if err != nil {
			return r.cc.errAt(s.codeAt, err.Error())
		}
		code = v[len(v)-1]
	default: // tcp reset
		if d := r.proto[baseTransport]; d != nil && d != protoTCP {
			return r.cc.errAt(s.srcSpan, "you cannot use tcp reset with this protocol")
		}
	}
	if err := s.checkFamily(r, typ, family); err != nil {
		return err
	}
	var a attrBuf
	a.u32(unix.NFTA_REJECT_TYPE, uint32(typ))
	a.raw(unix.NFTA_REJECT_ICMP_CODE, []byte{code})
	r.emit("reject", &a)
	return nil
}

// checkFamily refuses what the table's family cannot reject and adds the
// dependency the reject needs at the start of the rule
// (stmt_evaluate_reject_family).
func (s *rejectStmt) checkFamily(r *ruleCtx, typ int, family uint32) error {
	conflict := func() error {
		return r.cc.errAt(s.srcSpan, "conflicting protocols specified: ip vs ip6")
	}
	nf := r.networkFamily()
	switch r.fam {
	case xtnl.FamilyARP:
		return r.cc.errAt(s.srcSpan, "cannot use reject with arp")
	case xtnl.FamilyIPv4, xtnl.FamilyIPv6:
		own := uint32(unix.NFPROTO_IPV4)
		if r.fam == xtnl.FamilyIPv6 {
			own = unix.NFPROTO_IPV6
		}
		switch typ {
		case rejectTypeICMPX:
			return r.cc.errAt(s.srcSpan, "abstracted ICMP unreachable not supported")
		case rejectTypeICMP:
			if family != own {
				return conflict()
			}
			return nil
		}
	case xtnl.FamilyBridge, xtnl.FamilyNetdev:
		if nf != 0 {
			if nf != unix.NFPROTO_IPV4 && nf != unix.NFPROTO_IPV6 {
				return r.cc.errAt(s.srcSpan, "cannot reject this network family")
			}
			if typ == rejectTypeICMP && nf != family {
				return conflict()
			}
		}
	case xtnl.FamilyInet:
		if nf != 0 && typ == rejectTypeICMP && nf != family {
			if nf != unix.NFPROTO_IPV4 && nf != unix.NFPROTO_IPV6 {
				return r.cc.errAt(s.srcSpan, "cannot infer ICMP reject variant to use: explicit value required.")
			}
			return conflict()
		}
	default:
		return r.cc.errAt(s.srcSpan, fmt.Sprintf("reject is not supported in the %s family", r.fam))
	}
	if typ == rejectTypeICMPX {
		return nil
	}
	return r.prependDependency(func() error {
		if typ == rejectTypeTCPRst {
			if r.proto[baseTransport] != nil {
				return nil
			}
			return r.needTransport(protoTCP, s)
		}
		if nf != 0 {
			return nil
		}
		d := protoIP
		if family == unix.NFPROTO_IPV6 {
			d = protoIP6
		}
		return r.needNetwork(d, s)
	})
}

// prependDependency runs gen, which emits dependency matches, and moves
// what it emitted to the start of the rule.
func (r *ruleCtx) prependDependency(gen func() error) error {
	rest := r.out
	r.out = nil
	err := gen()
	r.out = append(r.out, rest...)
	return err
}

// rejectText prints a reject expression as nft does. In ip and ip6 the
// family's default prints as plain "reject" and a tcp reset drops the
// meta l4proto tcp it needed; in inet, bridge and netdev an ICMP reject
// names its family (the network dependency it needed is dropped and
// tells which).
func (d *delin) rejectText(a attrMap) string {
	typ := int(a.u32(unix.NFTA_REJECT_TYPE))
	var code byte
	if b := a[unix.NFTA_REJECT_ICMP_CODE]; len(b) > 0 {
		code = b[0]
	}
	name := func(dt *Datatype) string { return formatValue(dt, []byte{code}, d.o) }
	switch typ {
	case rejectTypeTCPRst:
		if d.fam == xtnl.FamilyIPv4 || d.fam == xtnl.FamilyIPv6 {
			d.dropDep(baseTransport)
		}
		return "reject with tcp reset"
	case rejectTypeICMPX:
		if code == icmpxPortUnreach {
			return "reject"
		}
		return "reject with icmpx " + name(dtICMPXCode)
	case rejectTypeICMP:
		switch d.fam {
		case xtnl.FamilyIPv4:
			if code == icmpPortUnreach {
				return "reject"
			}
			return "reject with icmp " + name(dtICMPCode)
		case xtnl.FamilyIPv6:
			if code == icmp6PortUnreach {
				return "reject"
			}
			return "reject with icmpv6 " + name(dtICMPv6Code)
		}
		net := d.proto[baseNetwork]
		d.dropDep(baseNetwork)
		switch net {
		case protoIP:
			return "reject with icmp " + name(dtICMPCode)
		case protoIP6:
			return "reject with icmpv6 " + name(dtICMPv6Code)
		}
		return "reject"
	}
	return fmt.Sprintf("reject type %d code %d", typ, code)
}

// dropDep drops the dependency match of the given base that nft would
// release (payload_dependency_release): the latest one recorded.
func (d *delin) dropDep(base int) {
	for i := len(d.deps) - 1; i >= 0; i-- {
		if d.deps[i].base == base {
			d.stmts[d.deps[i].idx] = ""
			d.deps = append(d.deps[:i], d.deps[i+1:]...)
			return
		}
	}
}
