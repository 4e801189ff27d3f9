package nft

import (
	"fmt"
	"strconv"
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
	family         string   // "ip", "ip6" or "" (the table's)
	addrLo, addrHi string   // "" when absent
	addrPrefix     string   // N of ADDR/N: the range of that prefix
	addrMap        *stmtArg // KEY map { ... } choosing the address
	prefix         bool     // snat|dnat prefix to: map a prefix onto a prefix
	portMap        *stmtArg // KEY map { ... } choosing the port
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
		if p.isWord("addr") && p.peekN(1).text == "." && p.peekN(2).text == "port" && p.peekN(3).text == "to" {
			// ADDR . PORT TO: the map's values are address and port,
			// which nft sees from the map itself as well
			p.i += 3
		}
	}
	if (s.kind == natKindSNAT || s.kind == natKindDNAT) && p.acceptWord("prefix") {
		s.prefix = true
	}
	if p.acceptWord("to") || s.kind == natKindSNAT || s.kind == natKindDNAT {
		if p.isPunct(":") || s.kind == natKindMasq || s.kind == natKindRedirect {
			p.acceptPunct(":")
			s.natPort(p)
		} else if t := p.peek(); t.kind == tWord && selectorParsers[t.text] != nil && p.selectorFollows(t) {
			s.addrMap = p.stmtArgument()
			s.addrPos = s.addrMap.srcSpan
		} else {
			at := p.peek()
			s.addrLo, s.addrHi = p.natAddrRange()
			if s.addrHi == "" && p.acceptPunct("/") {
				n := p.next()
				if n.kind != tNum {
					p.unexpected(n)
				}
				s.addrPrefix = n.text
			}
			s.addrPos = srcSpan{at.pos, p.toks[p.i-1].end}
			if p.acceptPunct(":") {
				s.natPort(p)
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

// natPort reads the port part: PORT, PORT-PORT or KEY map { ... }.
func (s *natStmt) natPort(p *parser) {
	if t := p.peek(); t.kind == tWord && selectorParsers[t.text] != nil && p.selectorFollows(t) {
		s.portMap = p.stmtArgument()
		return
	}
	s.portLo, s.portHi = p.natRange()
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

// addrType is the type and NFPROTO_* of the addresses: the table's in ip
// and ip6; in inet the family named, else the network protocol matched
// before (nat_evaluate_family); nil when neither tells.
func (s *natStmt) addrType(r *ruleCtx) (*Datatype, uint32) {
	fam := s.family
	if fam == "" {
		switch {
		case r.fam == xtnl.FamilyIPv4, r.fam == xtnl.FamilyInet && r.proto[baseNetwork] == protoIP:
			fam = "ip"
		case r.fam == xtnl.FamilyIPv6, r.fam == xtnl.FamilyInet && r.proto[baseNetwork] == protoIP6:
			fam = "ip6"
		}
	}
	switch fam {
	case "ip":
		return dtIPv4, unix.NFPROTO_IPV4
	case "ip6":
		return dtIPv6, unix.NFPROTO_IPV6
	}
	return nil, 0
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
	dt, nfproto := s.addrType(r)
	if (s.addrLo != "" || s.addrMap != nil) && dt == nil {
		return r.cc.errAt(s.srcSpan, "ip or ip6 must be specified with address for inet tables.")
	}
	if nf := r.networkFamily(); s.family != "" && (nf == unix.NFPROTO_IPV4 || nf == unix.NFPROTO_IPV6) && nf != nfproto {
		return r.cc.errAt(s.srcSpan, "conflicting protocols specified. You must specify ip or ip6 family in nat statement")
	}
	mapWidth := 0 // registers a map's result takes beyond one
	if s.addrMap != nil {
		mr, width, ok, err := r.loadNatMap(s.addrMap, dt)
		if err != nil {
			return err
		}
		if ok {
			addrMin, addrMax, protoMin, protoMax = mr.addrMin, mr.addrMax, mr.protoMin, mr.protoMax
			mapWidth = width // nft sets no flag for a port the map gives
		} else {
			reg, err := r.loadArg(s.addrMap, dt)
			if err != nil {
				return err
			}
			regs++
			addrMin = reg
		}
	}
	if s.addrLo != "" {
		lo, err := parseValue(dt, s.addrLo, dt.Bits)
		if err != nil {
			return r.cc.errAt(s.addrPos, err.Error())
		}
		var hi []byte
		if s.addrPrefix != "" {
			n, err := strconv.Atoi(s.addrPrefix)
			if err != nil || n < 0 || n > dt.Bits {
				return r.cc.errAt(s.addrPos, "invalid prefix length")
			}
			// nft maps to the prefix's first and last address.
			lo, hi = prefixBounds(lo, n)
		}
		addrMin = imm(lo)
		if hi != nil {
			addrMax = imm(hi)
		} else if s.addrHi != "" {
			hi, err := parseValue(dt, s.addrHi, dt.Bits)
			if err != nil {
				return r.cc.errAt(s.addrPos, err.Error())
			}
			addrMax = imm(hi)
		}
	}
	if (s.portLo != "" || s.portMap != nil || protoMin != 0) && !r.transportMatched() {
		return r.cc.errAt(s.srcSpan, "transport protocol mapping is only valid after transport protocol match")
	}
	if s.portMap != nil {
		reg, err := r.loadArg(s.portMap, dtInetService)
		if err != nil {
			return err
		}
		regs++
		flags |= natProtoSpec
		protoMin = reg
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
		if s.addrLo == "" && s.addrMap == nil && s.portLo == "" && s.portMap == nil {
			return r.cc.errAt(s.srcSpan, "syntax error, unexpected newline")
		}
		if dt == nil {
			// a port alone in inet: either family
			nfproto = unix.NFPROTO_INET
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
		if s.prefix {
			flags |= natNetmap
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
	if mapWidth > 0 {
		r.putReg(mapWidth)
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
			return d.argText(a.u32(attr), dt)
		}
		return formatValue(dt, fit(rv.mask, dt.bytesLen()), &PrintOptions{})
	}
	s := kind
	dt := dtIPv4
	if a.u32(unix.NFTA_NAT_FAMILY) == unix.NFPROTO_IPV6 {
		dt = dtIPv6
	}
	// An address from a map that also gives the port or the upper
	// bound: nft names the family in every table.
	var fromMap *regVal
	if rv := d.regs[a.u32(minA)]; name == "nat" && a.has(minA) && rv != nil && rv.expr != "" {
		fromMap = rv
	}
	mapsMore := fromMap != nil && (a.has(minP) || a.has(maxA) && a.u32(maxA) != a.u32(minA))
	if name == "nat" && (d.fam == xtnl.FamilyInet || mapsMore) {
		switch a.u32(unix.NFTA_NAT_FAMILY) {
		case unix.NFPROTO_IPV4:
			s += " ip"
		case unix.NFPROTO_IPV6:
			s += " ip6"
		}
	}
	if a.u32(flagsA)&natNetmap != 0 && name == "nat" {
		s += " prefix"
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
	port := rangeOf(minP, maxP, dtInetService)
	d.restoreNatPortDeps(a, minP, maxP)
	addr := d.natAddrText(a, minA, maxA, dt, port != "")
	if mapsMore {
		addr, port = fromMap.expr, "" // the map gives them all
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

// prefixBounds is the first and last address of addr/n.
func prefixBounds(addr []byte, n int) (lo, hi []byte) {
	lo, hi = make([]byte, len(addr)), make([]byte, len(addr))
	for i, c := range addr {
		var m byte // the bits of byte i inside the prefix
		switch {
		case n >= (i+1)*8:
			m = 0xff
		case n > i*8:
			m = ^byte(0xff >> (n - i*8))
		}
		lo[i], hi[i] = c&m, c|^m
	}
	return lo, hi
}

// rangePrefix is the length of the prefix whose first and last addresses
// lo and hi are, or -1 (range_expr_to_prefix prints such a range so).
func rangePrefix(lo, hi []byte) int {
	if len(lo) != len(hi) {
		return -1
	}
	for n := 0; n < len(lo)*8; n++ {
		l, h := prefixBounds(lo, n)
		if string(l) == string(lo) && string(h) == string(hi) {
			return n
		}
	}
	return -1
}

// natAddrText prints a nat expression's address: one, a range, or a
// range that is a prefix (as nft prints it); an IPv6 address or range
// followed by a port goes in brackets.
func (d *delin) natAddrText(a attrMap, minAt, maxAt uint16, dt *Datatype, withPort bool) string {
	if minAt == 0 || !a.has(minAt) {
		return ""
	}
	rv := d.regs[a.u32(minAt)]
	if rv == nil || rv.text != "imm" {
		return d.argText(a.u32(minAt), dt)
	}
	lo := fit(rv.mask, dt.bytesLen())
	text := func(b []byte) string {
		t := formatValue(dt, b, d.o)
		if withPort && dt == dtIPv6 {
			t = "[" + t + "]"
		}
		return t
	}
	if !a.has(maxAt) || a.u32(maxAt) == a.u32(minAt) {
		return text(lo)
	}
	rh := d.regs[a.u32(maxAt)]
	if rh == nil || rh.text != "imm" {
		return text(lo) + "-<?>"
	}
	hi := fit(rh.mask, dt.bytesLen())
	if n := rangePrefix(lo, hi); n >= 0 {
		return fmt.Sprintf("%s/%d", formatValue(dt, lo, d.o), n)
	}
	return text(lo) + "-" + text(hi)
}

// restoreNatPortDeps puts back the dependency matches that a port map's
// key dropped: nft forgets the rule's dependencies before it reads a nat
// statement's port (payload_dependency_reset in rule_parse_postprocess),
// so "ip protocol tcp redirect to :tcp dport map { ... }" keeps its match.
func (d *delin) restoreNatPortDeps(a attrMap, attrs ...uint16) {
	for _, at := range attrs {
		if at == 0 || !a.has(at) {
			continue
		}
		if rv := d.regs[a.u32(at)]; rv != nil {
			for i, text := range rv.killed {
				d.stmts[i] = text
			}
		}
	}
}

// killedStmts are the statements of before that after blanked, by index.
func killedStmts(before, after []string) map[int]string {
	var m map[int]string
	for i, s := range before {
		if s != "" && i < len(after) && after[i] == "" {
			if m == nil {
				m = map[int]string{}
			}
			m[i] = s
		}
	}
	return m
}
