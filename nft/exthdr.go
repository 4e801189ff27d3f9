package nft

import "golang.org/x/sys/unix"

// exthdrExpr is a field of an IPv6 extension header (frag id, rt type,
// mh type, ...), a TCP option's field (tcp option maxseg size), or, with
// present set, whether such a header or option is there at all (exthdr
// hbh, tcp option sack-perm). Its syntax follows exthdr.c and tcpopt.c;
// the kernel finds the header itself, so the load names the header's
// type (its IPv6 next-header value, or the TCP option's kind) and an
// offset within it.
type exthdrExpr struct {
	srcSpan
	op      uint32 // unix.NFT_EXTHDR_OP_IPV6 or unix.NFT_EXTHDR_OP_TCPOPT
	desc    *exthdrDesc
	field   *protoField // nil with present, or a raw field (rawBits)
	present bool
	// typ is the header's type: the desc's, or a TCP option kind that
	// has no description (tcp option 6 exists).
	typ uint8
	// rawOffset and rawBits are tcp option @kind,offset,bits (bits).
	rawOffset, rawBits int
}

// exthdrDesc describes one extension header or TCP option: its name, its
// type, and its fields (offsets in bits from the header's start).
type exthdrDesc struct {
	name   string
	typ    uint8
	fields []protoField
}

func (d *exthdrDesc) field(name string) *protoField {
	for i := range d.fields {
		if d.fields[i].name == name {
			return &d.fields[i]
		}
	}
	return nil
}

// dtMHType is the mobility header's message type (exthdr.c's mh_type).
var dtMHType = &Datatype{ID: 17, Name: "mh_type", Desc: "Mobility Header Type", Bits: 8, Order: orderBig, Base: dtInteger,
	Symbols: []symbol{{"binding-refresh-request", 0}, {"home-test-init", 1}, {"careof-test-init", 2}, {"home-test", 3},
		{"careof-test", 4}, {"binding-update", 5}, {"binding-acknowledgement", 6}, {"binding-error", 7},
		{"fast-binding-update", 8}, {"fast-binding-acknowledgement", 9}, {"fast-binding-advertisement", 10},
		{"experimental-mobility-header", 11}, {"home-agent-switch-message", 12}}}

// The IPv6 extension headers. rt, srh, rt0 and rt2 share the routing
// header's type (43): the printer tries them in that order.
var (
	exthdrHBH = &exthdrDesc{name: "hbh", typ: 0, fields: []protoField{
		{"nexthdr", dtInetProto, 0, 8}, intField("hdrlength", 8, 8)}}
	exthdrRT = &exthdrDesc{name: "rt", typ: 43, fields: []protoField{
		{"nexthdr", dtInetProto, 0, 8}, intField("hdrlength", 8, 8), intField("type", 16, 8), intField("seg-left", 24, 8)}}
	exthdrSRH = &exthdrDesc{name: "srh", typ: 43, fields: []protoField{
		intField("last-entry", 32, 8), intField("flags", 40, 8), intField("tag", 48, 16),
		{"sid[1]", dtIPv6, 64, 128}, {"sid[2]", dtIPv6, 192, 128}}}
	exthdrRT0 = &exthdrDesc{name: "rt0", typ: 43, fields: []protoField{
		intField("reserved", 32, 32), {"addr[1]", dtIPv6, 64, 128}, {"addr[2]", dtIPv6, 192, 128}}}
	exthdrRT2 = &exthdrDesc{name: "rt2", typ: 43, fields: []protoField{
		intField("reserved", 32, 32), {"addr", dtIPv6, 64, 128}}}
	exthdrFrag = &exthdrDesc{name: "frag", typ: 44, fields: []protoField{
		{"nexthdr", dtInetProto, 0, 8}, intField("reserved", 8, 8), intField("frag-off", 16, 13),
		intField("reserved2", 29, 2), intField("more-fragments", 31, 1), intField("id", 32, 32)}}
	exthdrDst = &exthdrDesc{name: "dst", typ: 60, fields: []protoField{
		{"nexthdr", dtInetProto, 0, 8}, intField("hdrlength", 8, 8)}}
	exthdrMH = &exthdrDesc{name: "mh", typ: 135, fields: []protoField{
		{"nexthdr", dtInetProto, 0, 8}, intField("hdrlength", 8, 8), {"type", dtMHType, 16, 8},
		intField("reserved", 24, 8), intField("checksum", 32, 16)}}
)

var ipv6Exthdrs = []*exthdrDesc{exthdrHBH, exthdrRT, exthdrSRH, exthdrRT0, exthdrRT2, exthdrFrag, exthdrDst, exthdrMH}

func init() {
	for _, d := range ipv6Exthdrs {
		d := d
		if d == exthdrRT {
			// "rt" also starts the routing expression (rt nexthop),
			// which owns the keyword: primaryExpr tries rt's header
			// fields first (rtExthdrField).
			continue
		}
		selectorParsers[d.name] = func(p *parser, t token) Expr { return p.exthdrField(t, d) }
	}
	selectorParsers["exthdr"] = func(p *parser, t token) Expr { return p.exthdrPresence(t) }
}

// exthdrField parses "frag id", "srh sid[1]": a header's name then one
// of its fields; anything else is not this selector (nil).
func (p *parser) exthdrField(t token, d *exthdrDesc) Expr {
	n := p.peekN(1)
	if n.kind != tWord {
		return nil
	}
	name, end, used := n.text, n.end, 2
	// sid[1], addr[2]: the scanner splits the index off the word
	if b, i, c := p.peekN(2), p.peekN(3), p.peekN(4); b.kind == tPunct && b.text == "[" && i.kind == tNum && c.kind == tPunct && c.text == "]" {
		name, end, used = name+"["+i.text+"]", c.end, 5
	}
	f := d.field(name)
	if f == nil {
		return nil
	}
	p.i += used
	return &exthdrExpr{srcSpan: srcSpan{t.pos, end}, op: unix.NFT_EXTHDR_OP_IPV6, desc: d, field: f, typ: d.typ}
}

// exthdrPresence parses "exthdr hbh": whether the header is there.
func (p *parser) exthdrPresence(t token) Expr {
	n := p.peekN(1)
	if n.kind != tWord {
		p.i++
		p.unexpected(n)
	}
	for _, d := range []*exthdrDesc{exthdrHBH, exthdrRT, exthdrFrag, exthdrDst, exthdrMH} {
		if d.name == n.text {
			p.i += 2
			return &exthdrExpr{srcSpan: srcSpan{t.pos, n.end}, op: unix.NFT_EXTHDR_OP_IPV6, desc: d, present: true, typ: d.typ}
		}
	}
	p.i++
	p.unexpected(n)
	return nil
}

func (e *exthdrExpr) dtype() *Datatype {
	switch {
	case e.present:
		return dtBoolean
	case e.field == nil:
		return dtInteger
	}
	return e.field.dt
}

func (e *exthdrExpr) bits() int {
	switch {
	case e.present:
		return 8
	case e.field == nil:
		return e.rawBits
	}
	return e.field.bits
}

func (e *exthdrExpr) order() byteOrder { return orderBig }

// offset is the field's offset in bits from the header's start.
func (e *exthdrExpr) offset() int {
	switch {
	case e.present:
		return 0
	case e.field == nil:
		return e.rawOffset
	}
	return e.field.offset
}

func (e *exthdrExpr) geom() (int, int, bool) {
	if e.present {
		return 1, 0, false
	}
	off, bits := e.offset(), e.bits()
	n := (off%8 + bits + 7) / 8
	shift := n*8 - off%8 - bits
	return n, shift, off%8 != 0 || bits%8 != 0
}

// deps: an IPv6 extension header needs the packet to be IPv6, which the
// ip6 family implies and inet, bridge and netdev match; a TCP option
// needs nothing (the kernel finds no option in a packet that is not TCP).
func (e *exthdrExpr) deps(r *ruleCtx) error {
	if e.op != unix.NFT_EXTHDR_OP_IPV6 {
		return nil
	}
	return r.needNetwork(protoIP6, e)
}

func (e *exthdrExpr) load(r *ruleCtx, dreg uint32) {
	n, _, _ := e.geom()
	var a attrBuf
	a.u32(unix.NFTA_EXTHDR_DREG, kernelReg(dreg))
	a.raw(unix.NFTA_EXTHDR_TYPE, []byte{e.typ})
	a.u32(unix.NFTA_EXTHDR_OFFSET, uint32(e.offset()/8))
	a.u32(unix.NFTA_EXTHDR_LEN, uint32(n))
	a.u32(unix.NFTA_EXTHDR_OP, e.op)
	var flags uint32
	if e.present {
		flags = unix.NFT_EXTHDR_F_PRESENT
	}
	a.u32(unix.NFTA_EXTHDR_FLAGS, flags)
	r.emit("exthdr", &a)
}

// compileSet writes a value into the field (tcp option maxseg size set
// 1360); the kernel rewrites only TCP options.
func (e *exthdrExpr) compileSet(r *ruleCtx, val Expr) error {
	if e.op != unix.NFT_EXTHDR_OP_TCPOPT || e.present {
		return r.cc.errAt(e.srcSpan, "unsupported set statement")
	}
	n, _, bf := e.geom()
	if bf {
		return r.cc.errAt(e.srcSpan, "unsupported set statement: bit field")
	}
	li := &lhsInfo{dt: e.dtype(), bits: e.bits(), order: e.order(), lenBytes: n}
	reg, err := r.loadValue(val, li)
	if err != nil {
		return err
	}
	var a attrBuf
	a.u32(unix.NFTA_EXTHDR_SREG, kernelReg(reg))
	a.raw(unix.NFTA_EXTHDR_TYPE, []byte{e.typ})
	a.u32(unix.NFTA_EXTHDR_OFFSET, uint32(e.offset()/8))
	a.u32(unix.NFTA_EXTHDR_LEN, uint32(n))
	a.u32(unix.NFTA_EXTHDR_OP, e.op)
	r.emit("exthdr", &a)
	r.putReg(n)
	return nil
}

// text prints the selector as exthdr.c's exthdr_expr_print does.
func (e *exthdrExpr) text() string {
	if e.op == unix.NFT_EXTHDR_OP_TCPOPT {
		return e.tcpoptText()
	}
	name := "unknown-exthdr"
	if e.desc != nil {
		name = e.desc.name
	}
	if e.present {
		return "exthdr " + name
	}
	if e.field == nil {
		return name + " unknown"
	}
	return name + " " + e.field.name
}

// exthdrAt finds the field an exthdr load reads, as exthdr_init_raw
// does: by type, offset and length, the routing header's variants
// tried after its common fields. A bit field loaded in whole bytes
// stays unresolved until its mask is known (resolveMask).
func exthdrAt(op uint32, typ uint8, off, n int, present bool) *exthdrExpr {
	if op == unix.NFT_EXTHDR_OP_TCPOPT {
		return tcpoptAt(typ, off, n, present)
	}
	e := &exthdrExpr{op: op, typ: typ, present: present, rawOffset: off, rawBits: n}
	for _, d := range ipv6Exthdrs {
		if d.typ != typ {
			continue
		}
		if e.desc == nil {
			e.desc = d
		}
		if present {
			return e
		}
		for i := range d.fields {
			f := &d.fields[i]
			if f.offset == off && f.bits == n {
				e.desc, e.field = d, f
				return e
			}
		}
	}
	return e
}

// resolveMask picks the bit field a masked load selects (frag
// more-fragments from frag reserved2, which share a byte).
func (e *exthdrExpr) resolveMask(mask []byte) *exthdrExpr {
	if e.field != nil || e.desc == nil || e.present {
		return e
	}
	for _, d := range ipv6Exthdrs {
		if d.typ != e.typ {
			continue
		}
		if x := resolveMaskIn(e, d, mask); x != nil {
			return x
		}
	}
	return e
}

func resolveMaskIn(e *exthdrExpr, d *exthdrDesc, mask []byte) *exthdrExpr {
	for i := range d.fields {
		f := &d.fields[i]
		c := &exthdrExpr{op: e.op, desc: d, field: f, typ: e.typ}
		n, shift, bf := c.geom()
		if !bf || f.offset/8 != e.rawOffset/8 || n*8 != e.rawBits || len(mask) != n {
			continue
		}
		want := fieldMask(f.bits, shift, n)
		if string(want) == string(mask) {
			return c
		}
	}
	return nil
}

// fieldMask is the mask selecting a bits-wide field shifted by shift in
// n bytes, big-endian.
func fieldMask(bits, shift, n int) []byte {
	m := make([]byte, n)
	for b := shift; b < shift+bits; b++ {
		m[n-1-b/8] |= 1 << (b % 8)
	}
	return m
}

// delinExthdr reads an exthdr expression back: a load into a register,
// a write (set), or a TCP option reset.
func (d *delin) delinExthdr(a attrMap) {
	op := a.u32(unix.NFTA_EXTHDR_OP)
	if op != unix.NFT_EXTHDR_OP_IPV6 && op != unix.NFT_EXTHDR_OP_TCPOPT {
		if f := exthdrOpPrinters[op]; f != nil {
			f(d, a)
			return
		}
		d.stmts = append(d.stmts, "<exthdr>")
		return
	}
	var typ uint8
	if b := a[unix.NFTA_EXTHDR_TYPE]; len(b) > 0 {
		typ = b[0]
	}
	off := int(a.u32(unix.NFTA_EXTHDR_OFFSET)) * 8
	n := int(a.u32(unix.NFTA_EXTHDR_LEN)) * 8
	present := a.u32(unix.NFTA_EXTHDR_FLAGS)&unix.NFT_EXTHDR_F_PRESENT != 0
	switch {
	case a.has(unix.NFTA_EXTHDR_DREG):
		d.regs[a.u32(unix.NFTA_EXTHDR_DREG)] = &regVal{sel: exthdrAt(op, typ, off, n, present), lenB: n / 8}
	case a.has(unix.NFTA_EXTHDR_SREG):
		e := exthdrAt(op, typ, off, n, false)
		d.stmts = append(d.stmts, d.setText(e.text(), e, a.u32(unix.NFTA_EXTHDR_SREG)))
	case op == unix.NFT_EXTHDR_OP_TCPOPT:
		e := tcpoptAt(typ, 0, 8, true)
		d.stmts = append(d.stmts, "reset "+e.text())
	default:
		d.stmts = append(d.stmts, "<exthdr>")
	}
}

// exthdrOpPrinters read back exthdr expressions of the other ops (ip
// option, sctp chunk), which their own files register.
var exthdrOpPrinters = map[uint32]func(d *delin, a attrMap){}

// killExthdrDeps drops the IPv6 match (meta nfproto ipv6, meta protocol
// ip6) an IPv6 extension header implies.
func (d *delin) killExthdrDeps(e *exthdrExpr) {
	if e.op != unix.NFT_EXTHDR_OP_IPV6 {
		return
	}
	keep := d.deps[:0]
	for _, dep := range d.deps {
		if dep.base == baseNetwork && dep.proto == protoIP6 {
			d.stmts[dep.idx] = ""
			continue
		}
		keep = append(keep, dep)
	}
	d.deps = keep
}

// fieldSelector is sel when it names a header field whose bits a mask
// may select (payload and exthdr fields; not raw loads).
func fieldSelector(sel selector) (selector, bool) {
	switch x := sel.(type) {
	case *payloadExpr:
		return x, x.field != nil
	case *exthdrExpr:
		return x, x.field != nil && !x.present
	}
	return nil, false
}

// parseInetProtoKeyword resolves the protocol keywords nft's grammar
// reads as inet_proto constants but /etc/protocols does not name (comp,
// icmpv6); other words fall through to the type's symbols.
func parseInetProtoKeyword(_ *Datatype, s string) ([]byte, error) {
	switch s {
	case "comp":
		return []byte{108}, nil
	case "icmpv6":
		return []byte{58}, nil
	}
	return nil, &errSymbol{dtInetProto, s}
}

func init() { dtInetProto.parse = parseInetProtoKeyword }

// rtExthdrField parses "rt nexthdr" and the routing header's other
// fields; nil for anything else after "rt" (rt nexthop, rt classid).
func (p *parser) rtExthdrField(t token) Expr {
	if t.kind != tWord || t.text != "rt" {
		return nil
	}
	return p.exthdrField(t, exthdrRT)
}
