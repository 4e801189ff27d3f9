package nft

import (
	"golang.org/x/sys/unix"

	"github.com/xtnl/xtnl"
)

// tproxy (tproxy_stmt in parser_bison.y, stmt_evaluate_tproxy,
// netlink_gen_tproxy_stmt, tproxy_stmt_print): "tproxy [ip|ip6] to
// ADDR[:PORT]" or "to :PORT". The address and the port each go through an
// immediate into a register of their own; the family attribute is the
// table's in ip and ip6, and in inet the one named (none when only a
// port is given without one).

// NFTA_TPROXY_* (linux/netfilter/nf_tables.h; not in x/sys/unix).
const (
	nftaTproxyFamily  = 1
	nftaTproxyRegAddr = 2
	nftaTproxyRegPort = 3
)

type tproxyStmt struct {
	srcSpan
	family string // "ip", "ip6" or ""
	addr   string
	addrAt srcSpan
	port   string
}

func init() {
	stmtParsers["tproxy"] = parseTproxy
}

func parseTproxy(p *parser, t token) Stmt {
	p.i++
	s := &tproxyStmt{srcSpan: srcSpan{t.pos, t.end}}
	if p.isWord("ip") || p.isWord("ip6") {
		s.family = p.next().text
	}
	p.expectWord("to")
	if !p.isPunct(":") {
		at := p.peek()
		lo, hi := p.natAddrRange()
		s.addrAt = srcSpan{at.pos, p.toks[p.i-1].end}
		if hi != "" {
			p.errorf(s.addrAt, "Address ranges are not supported for tproxy.")
		}
		s.addr = lo
	}
	if p.acceptPunct(":") {
		lo, hi := p.natRange()
		if hi != "" {
			p.errorf(s.srcSpan, "Port ranges are not supported for tproxy.")
		}
		s.port = lo
	}
	s.end = p.toks[p.i-1].end
	return s
}

func (s *tproxyStmt) compile(r *ruleCtx) error {
	var family uint32
	switch s.family {
	case "ip":
		family = unix.NFPROTO_IPV4
	case "ip6":
		family = unix.NFPROTO_IPV6
	}
	own := tableNFProto(r.fam)
	switch r.fam {
	case xtnl.FamilyIPv4, xtnl.FamilyIPv6:
		if family == 0 {
			family = own
		}
	case xtnl.FamilyInet:
	default:
		return r.cc.errAt(s.srcSpan, "tproxy is only supported for IPv4/IPv6/INET")
	}
	if r.proto[baseTransport] == nil {
		return r.cc.errAt(s.srcSpan, "Transparent proxy support requires transport protocol match")
	}
	// The network protocol known (the table's, or one matched in inet)
	// must be the one the statement names (stmt_evaluate_l3proto).
	known := r.networkFamily()
	if own != 0 {
		known = own
	}
	if (known == unix.NFPROTO_IPV4 || known == unix.NFPROTO_IPV6) && known != family {
		return r.cc.errAt(s.srcSpan, "conflicting protocols specified. You must specify ip or ip6 family in tproxy statement")
	}
	var a attrBuf
	a.u32(nftaTproxyFamily, family)
	regs := 0
	if s.addr != "" {
		dt := dtIPv4
		switch family {
		case unix.NFPROTO_IPV6:
			dt = dtIPv6
		case 0:
			return r.cc.errAt(s.srcSpan, "ip or ip6 must be specified with address for inet tables.")
		}
		v, err := parseValue(dt, s.addr, dt.Bits)
		if err != nil {
			return r.cc.errAt(s.addrAt, err.Error())
		}
		reg := r.getReg(16)
		regs++
		r.emitImmediateData(reg, v)
		a.u32(nftaTproxyRegAddr, kernelReg(reg))
	}
	if s.port != "" {
		v, err := parseValue(dtInetService, s.port, 16)
		if err != nil {
			return r.cc.errAt(s.srcSpan, err.Error())
		}
		reg := r.getReg(16)
		regs++
		r.emitImmediateData(reg, v)
		a.u32(nftaTproxyRegPort, kernelReg(reg))
	}
	r.emit("tproxy", &a)
	for ; regs > 0; regs-- {
		r.putReg(16)
	}
	return nil
}

// tproxyText prints a tproxy expression, taking its address and port
// from the immediates that loaded them.
func (d *delin) tproxyText(a attrMap) string {
	family := a.u32(nftaTproxyFamily)
	s := "tproxy"
	if d.fam == xtnl.FamilyInet {
		switch family {
		case unix.NFPROTO_IPV4:
			s += " ip"
		case unix.NFPROTO_IPV6:
			s += " ip6"
		}
	}
	s += " to"
	imm := func(attr uint16, dt *Datatype) (string, bool) {
		if !a.has(attr) {
			return "", false
		}
		rv := d.regs[a.u32(attr)]
		if rv == nil || rv.text != "imm" {
			return "<?>", true
		}
		return formatValue(dt, fit(rv.mask, dt.bytesLen()), d.o), true
	}
	dt := dtIPv4
	if family == unix.NFPROTO_IPV6 {
		dt = dtIPv6
	}
	addr, hasAddr := imm(nftaTproxyRegAddr, dt)
	if hasAddr {
		if dt == dtIPv6 {
			addr = "[" + addr + "]"
		}
		s += " " + addr
	}
	if port, ok := imm(nftaTproxyRegPort, dtInetService); ok {
		if !hasAddr {
			s += " "
		}
		s += ":" + port
	}
	return s
}

// tableNFProto is the NFPROTO_* of an ip or ip6 table, 0 for the others.
func tableNFProto(f xtnl.Family) uint32 {
	switch f {
	case xtnl.FamilyIPv4:
		return unix.NFPROTO_IPV4
	case xtnl.FamilyIPv6:
		return unix.NFPROTO_IPV6
	}
	return 0
}
