package nft

import (
	"fmt"
	"strings"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// snat, dnat, masquerade and redirect (nat_stmt in parser_bison.y,
// netlink_gen_nat_stmt, nat_stmt_print). Each address and port goes
// through an immediate into a register of its own, 128-bit registers
// allocated in turn as nft does; the flags attribute is written only
// when a flag is set.

// NAT range flags (linux/netfilter/nf_nat.h).
const (
	natMapIPs       = 0x1
	natProtoSpec    = 0x2
	natRandom       = 0x4
	natPersistent   = 0x8
	natRandomFully  = 0x10
	natNetmap       = 0x40
	natKindSNAT     = "snat"
	natKindDNAT     = "dnat"
	natKindMasq     = "masquerade"
	natKindRedirect = "redirect"
)

type natStmt struct {
	srcSpan
	kind           string
	family         string // "ip", "ip6" or "" (the table's)
	addrLo, addrHi string // "" when absent
	addrPos        srcSpan
	portLo, portHi string
	flags          uint32
}

func init() {
	for _, kw := range []string{natKindSNAT, natKindDNAT, natKindMasq, natKindRedirect} {
		stmtParsers[kw] = parseNAT
	}
}

func parseNAT(p *parser, t token) Stmt {
	p.i++
	s := &natStmt{srcSpan: srcSpan{t.pos, t.end}, kind: t.text}
	if (s.kind == natKindSNAT || s.kind == natKindDNAT) && (p.isWord("ip") || p.isWord("ip6")) {
		s.family = p.next().text
	}
	if p.acceptWord("to") || s.kind == natKindSNAT || s.kind == natKindDNAT {
		if p.isPunct(":") || s.kind == natKindMasq || s.kind == natKindRedirect {
			p.acceptPunct(":")
			s.portLo, s.portHi = p.natRange()
		} else {
			at := p.peek()
			s.addrLo, s.addrHi = p.natAddrRange()
			s.addrPos = srcSpan{at.pos, p.toks[p.i-1].end}
			if p.acceptPunct(":") {
				s.portLo, s.portHi = p.natRange()
			}
		}
	}
	for {
		switch {
		case p.acceptWord("random"):
			s.flags |= natRandom
		case p.acceptWord("fully-random"):
			s.flags |= natRandomFully
		case p.acceptWord("persistent"):
			s.flags |= natPersistent
		default:
			s.end = p.toks[p.i-1].end
			return s
		}
		p.acceptPunct(",")
	}
}

// natAddrRange reads ADDR or ADDR-ADDR; [ADDR] for IPv6 with a port.
func (p *parser) natAddrRange() (lo, hi string) {
	one := func() string {
		if p.acceptPunct("[") {
			a := p.next()
			p.expectPunct("]")
			return a.text
		}
		a := p.next()
		if a.kind != tAddr && a.kind != tWord && a.kind != tNum && a.kind != tVar {
			p.unexpected(a)
		}
		if a.kind == tVar {
			if e, ok := p.lookupDefine(a).(*symbolExpr); ok {
				return e.text
			}
			p.unexpected(a)
		}
		return a.text
	}
	lo = one()
	if p.acceptPunct("-") {
		hi = one()
	}
	return lo, hi
}

// natRange reads PORT or PORT-PORT.
func (p *parser) natRange() (lo, hi string) {
	t := p.next()
	if t.kind != tNum && t.kind != tWord {
		p.unexpected(t)
	}
	lo = t.text
	if p.acceptPunct("-") {
		t = p.next()
		if t.kind != tNum && t.kind != tWord {
			p.unexpected(t)
		}
		hi = t.text
	}
	return lo, hi
}

func (s *natStmt) addrType(r *ruleCtx) (*Datatype, uint32, error) {
	switch {
	case s.family == "ip" || s.family == "" && r.fam == xtnl.FamilyIPv4:
		return dtIPv4, unix.NFPROTO_IPV4, nil
	case s.family == "ip6" || s.family == "" && r.fam == xtnl.FamilyIPv6:
		return dtIPv6, unix.NFPROTO_IPV6, nil
	case s.addrLo != "" && strings.Contains(s.addrLo, ":"):
		return dtIPv6, unix.NFPROTO_IPV6, nil
	case s.addrLo != "":
		return dtIPv4, unix.NFPROTO_IPV4, nil
	}
	return nil, 0, nil
}

func (s *natStmt) compile(r *ruleCtx) error {
	switch r.fam {
	case xtnl.FamilyIPv4, xtnl.FamilyIPv6, xtnl.FamilyInet:
	default:
		return r.cc.errAt(s.srcSpan, fmt.Sprintf("%s is only supported in ip, ip6 and inet", s.kind))
	}
	flags := s.flags
	var a attrBuf
	regs := 0
	imm := func(v []byte) uint32 {
		reg := r.getReg(16)
		regs++
		r.emitImmediateData(reg, v)
		return reg
	}
	var addrMin, addrMax, protoMin, protoMax uint32
	dt, nfproto, _ := s.addrType(r)
	if s.addrLo != "" {
		lo, err := parseValue(dt, s.addrLo, dt.Bits)
		if err != nil {
			return r.cc.errAt(s.addrPos, err.Error())
		}
		addrMin = imm(lo)
		if s.addrHi != "" {
			hi, err := parseValue(dt, s.addrHi, dt.Bits)
			if err != nil {
				return r.cc.errAt(s.addrPos, err.Error())
			}
			addrMax = imm(hi)
		}
	}
	if s.portLo != "" && !r.transportMatched() {
		return r.cc.errAt(s.srcSpan, "transport protocol mapping is only valid after transport protocol match")
	}
	if s.portLo != "" {
		lo, err := parseValue(dtInetService, s.portLo, 16)
		if err != nil {
			return r.cc.errAt(s.srcSpan, err.Error())
		}
		flags |= natProtoSpec
		protoMin = imm(lo)
		if s.portHi != "" {
			hi, err := parseValue(dtInetService, s.portHi, 16)
			if err != nil {
				return r.cc.errAt(s.srcSpan, err.Error())
			}
			protoMax = imm(hi)
		}
	}
	name := "nat"
	switch s.kind {
	case natKindSNAT, natKindDNAT:
		if s.addrLo == "" && s.portLo == "" {
			return r.cc.errAt(s.srcSpan, "syntax error, unexpected newline")
		}
		if dt == nil {
			return r.cc.errAt(s.srcSpan, "specify `"+s.kind+" ip' or '"+s.kind+" ip6' in inet table to disambiguate")
		}
		typ := uint32(unix.NFT_NAT_SNAT)
		if s.kind == natKindDNAT {
			typ = unix.NFT_NAT_DNAT
		}
		a.u32(unix.NFTA_NAT_TYPE, typ)
		a.u32(unix.NFTA_NAT_FAMILY, nfproto)
		if addrMin != 0 {
			a.u32(unix.NFTA_NAT_REG_ADDR_MIN, kernelReg(addrMin))
		}
		if addrMax != 0 {
			a.u32(unix.NFTA_NAT_REG_ADDR_MAX, kernelReg(addrMax))
		}
		if protoMin != 0 {
			a.u32(unix.NFTA_NAT_REG_PROTO_MIN, kernelReg(protoMin))
		}
		if protoMax != 0 {
			a.u32(unix.NFTA_NAT_REG_PROTO_MAX, kernelReg(protoMax))
		}
		if flags != 0 {
			a.u32(unix.NFTA_NAT_FLAGS, flags)
		}
	case natKindMasq, natKindRedirect:
		name = "masq"
		if s.kind == natKindRedirect {
			name = "redir"
		}
		// NFTA_MASQ_* and NFTA_REDIR_* number the same attributes
		// differently; libnftnl writes the flags first for masq and
		// last for redir.
		fl, pmin, pmax := uint16(unix.NFTA_MASQ_FLAGS), uint16(unix.NFTA_MASQ_REG_PROTO_MIN), uint16(unix.NFTA_MASQ_REG_PROTO_MAX)
		if s.kind == natKindRedirect {
			fl, pmin, pmax = unix.NFTA_REDIR_FLAGS, unix.NFTA_REDIR_REG_PROTO_MIN, unix.NFTA_REDIR_REG_PROTO_MAX
		}
		if flags != 0 && s.kind == natKindMasq {
			a.u32(fl, flags)
		}
		if protoMin != 0 {
			a.u32(pmin, kernelReg(protoMin))
		}
		if protoMax != 0 {
			a.u32(pmax, kernelReg(protoMax))
		}
		if flags != 0 && s.kind == natKindRedirect {
			a.u32(fl, flags)
		}
	}
	r.emit(name, &a)
	for ; regs > 0; regs-- {
		r.putReg(16)
	}
	return nil
}

// natText prints a nat, masq or redir expression, taking its addresses
// and ports from the immediates that loaded them.
func (d *delin) natText(name string, a attrMap) string {
	var kind string
	var minA, maxA, minP, maxP, flagsA uint16
	switch name {
	case "nat":
		kind = natKindSNAT
		if a.u32(unix.NFTA_NAT_TYPE) == unix.NFT_NAT_DNAT {
			kind = natKindDNAT
		}
		minA, maxA, minP, maxP, flagsA = unix.NFTA_NAT_REG_ADDR_MIN, unix.NFTA_NAT_REG_ADDR_MAX, unix.NFTA_NAT_REG_PROTO_MIN, unix.NFTA_NAT_REG_PROTO_MAX, unix.NFTA_NAT_FLAGS
	case "masq", "redir":
		kind = natKindMasq
		if name == "redir" {
			kind = natKindRedirect
		}
		minP, maxP, flagsA = unix.NFTA_MASQ_REG_PROTO_MIN, unix.NFTA_MASQ_REG_PROTO_MAX, unix.NFTA_MASQ_FLAGS
		if name == "redir" {
			minP, maxP, flagsA = unix.NFTA_REDIR_REG_PROTO_MIN, unix.NFTA_REDIR_REG_PROTO_MAX, unix.NFTA_REDIR_FLAGS
		}
	}
	val := func(attr uint16, dt *Datatype) string {
		if attr == 0 || !a.has(attr) {
			return ""
		}
		rv := d.regs[a.u32(attr)]
		if rv == nil || rv.text != "imm" {
			return "<?>"
		}
		return formatValue(dt, fit(rv.mask, dt.bytesLen()), &PrintOptions{})
	}
	s := kind
	dt := dtIPv4
	if a.u32(unix.NFTA_NAT_FAMILY) == unix.NFPROTO_IPV6 {
		dt = dtIPv6
	}
	if name == "nat" && d.fam == xtnl.FamilyInet {
		s += map[bool]string{true: " ip6", false: " ip"}[dt == dtIPv6]
	}
	// A maximum in the minimum's register is no range (nft loads a
	// single port once and names its register twice).
	rangeOf := func(minAt, maxAt uint16, dt *Datatype) string {
		v := val(minAt, dt)
		if maxAt != 0 && a.has(maxAt) && (!a.has(minAt) || a.u32(maxAt) != a.u32(minAt)) {
			v += "-" + val(maxAt, dt)
		}
		return v
	}
	addr := rangeOf(minA, maxA, dt)
	port := rangeOf(minP, maxP, dtInetService)
	if addr != "" && port != "" && dt == dtIPv6 {
		addr = "[" + addr + "]"
	}
	if addr != "" || port != "" {
		s += " to " + addr
		if port != "" {
			s += ":" + port
		}
	}
	flags := a.u32(flagsA)
	var fl []string
	if flags&natRandom != 0 {
		fl = append(fl, "random")
	}
	if flags&natRandomFully != 0 {
		fl = append(fl, "fully-random")
	}
	if flags&natPersistent != 0 {
		fl = append(fl, "persistent")
	}
	if len(fl) > 0 {
		s += " " + strings.Join(fl, ",")
	}
	return s
}

// transportMatched says whether the rule so far tells the transport
// protocol: a match settled it, or the rule loaded meta l4proto, ip
// protocol or ip6 nexthdr to look it up in a set (nft 1.0.6 keeps the
// protocols of such a set as its transport context, so that "meta
// l4proto { tcp, udp } dnat to :80" may map ports).
func (r *ruleCtx) transportMatched() bool {
	if r.proto[baseTransport] != nil {
		return true
	}
	for _, e := range r.out {
		a := attrsOf(e.data)
		switch e.name {
		case "meta":
			if a.has(unix.NFTA_META_DREG) && a.u32(unix.NFTA_META_KEY) == unix.NFT_META_L4PROTO {
				return true
			}
		case "payload":
			base, off, n := a.u32(unix.NFTA_PAYLOAD_BASE), a.u32(unix.NFTA_PAYLOAD_OFFSET), a.u32(unix.NFTA_PAYLOAD_LEN)
			if base == unix.NFT_PAYLOAD_NETWORK_HEADER && n == 1 && (off == 9 && r.proto[baseNetwork] != protoIP6 || off == 6 && r.proto[baseNetwork] == protoIP6) {
				return true
			}
		}
	}
	return false
}
