package nft

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// Delinearization: a rule's kernel expressions back to nft's text
// (netlink_delinearize.c), with the dependencies nft inserted dropped.

// regVal is what a register holds while a rule is read back.
type regVal struct {
	sel  selector
	mask []byte // register order
	xor  []byte // a bitwise's xor, register order
	sel2 []selector
	lenB int
	text string // for selectors printed by name only
	// str is a statement value computed by a bitwise (ct mark | 0x1).
	str  string
	expr string // a value computed into the register (a map lookup)
	// killed are the dependency matches the map's key dropped, by index
	// in stmts: a nat port keeps them (nat.go).
	killed map[int]string
}

type delin struct {
	t     *kTable
	fam   xtnl.Family
	o     *PrintOptions
	regs  map[uint32]*regVal
	stmts []string
	// dep is the index in stmts of a dependency match that the next
	// header of its protocol makes redundant, and that protocol.
	deps         []depStmt
	proto        [4]*protoDesc
	icmpType     uint8 // the ICMP(v6) type matched so far (icmp.go)
	icmpDep      int   // index+1 in stmts of an "icmp type" match a later field may imply
	icmpDepType  uint8
	vlanOff      int // where the known vlan tag starts (vlan.go)
	pendingRange *struct {
		reg uint32
		lo  []byte
		idx int
	}
}

type depStmt struct {
	idx   int
	base  int
	proto *protoDesc
}

func ruleText(t *kTable, ch *kChain, r *kRule, o *PrintOptions) string {
	d := &delin{t: t, fam: t.fam, o: o, regs: map[uint32]*regVal{}}
	switch t.fam {
	case xtnl.FamilyIPv4:
		d.proto[baseNetwork] = protoIP
	case xtnl.FamilyIPv6:
		d.proto[baseNetwork] = protoIP6
	case xtnl.FamilyARP:
		d.proto[baseNetwork] = protoARP
	case xtnl.FamilyBridge, xtnl.FamilyNetdev:
		d.proto[baseLink] = protoEther
	}
	for _, e := range r.exprs {
		n := len(d.stmts)
		d.expr(e)
		if len(d.stmts) > n && e.name != "cmp" && e.name != "lookup" && e.name != "range" {
			// a statement other than a match: nft forgets the
			// dependencies seen before it (counter between meta
			// nfproto ipv4 and ip saddr keeps both)
			d.deps = nil
		}
	}
	var out []string
	for _, s := range d.stmts {
		if s != "" {
			out = append(out, s)
		}
	}
	text := strings.Join(out, " ")
	if c := udataString(r.udata, 0); c != "" {
		if text != "" {
			text += " "
		}
		text += fmt.Sprintf("comment %q", c)
	}
	return text
}

func (d *delin) expr(e kExpr) {
	a := e.a
	n := len(d.stmts)
	defer func() {
		// a statement other than a match ends what later matches may
		// make redundant (rule_maybe_reset_payload_deps)
		isMatch := e.name == "cmp" || e.name == "range" || e.name == "lookup" && !a.has(unix.NFTA_LOOKUP_DREG)
		if len(d.stmts) > n && !isMatch {
			d.deps, d.icmpDep = nil, 0
		}
	}()
	switch e.name {
	case "meta":
		if a.has(unix.NFTA_META_DREG) {
			d.regs[a.u32(unix.NFTA_META_DREG)] = &regVal{sel: &metaExpr{key: a.u32(unix.NFTA_META_KEY)}}
			return
		}
		m := &metaExpr{key: a.u32(unix.NFTA_META_KEY)}
		d.stmts = append(d.stmts, d.setText(m.text(), m, a.u32(unix.NFTA_META_SREG)))
	case "ct":
		dir := -1
		if b, ok := a[unix.NFTA_CT_DIRECTION]; ok && len(b) > 0 {
			dir = int(b[0])
		}
		c := &ctExpr{key: a.u32(unix.NFTA_CT_KEY), dir: dir}
		if c.key == 8 || c.key == 9 {
			c.net = d.proto[baseNetwork] // ct original saddr of ip: ct original ip saddr
		}
		if a.has(unix.NFTA_CT_DREG) {
			d.regs[a.u32(unix.NFTA_CT_DREG)] = &regVal{sel: c}
			return
		}
		d.stmts = append(d.stmts, d.setText(c.text(), c, a.u32(unix.NFTA_CT_SREG)))
	case "payload":
		if a.has(unix.NFTA_PAYLOAD_DREG) {
			base := int(a.u32(unix.NFTA_PAYLOAD_BASE))
			off := int(a.u32(unix.NFTA_PAYLOAD_OFFSET))
			n := int(a.u32(unix.NFTA_PAYLOAD_LEN))
			d.regs[a.u32(unix.NFTA_PAYLOAD_DREG)] = &regVal{sel: d.payloadAt(base, off*8, n*8), lenB: n}
			return
		}
		d.stmts = append(d.stmts, d.delinPayloadWrite(a)) // payload_set.go
	case "exthdr":
		d.delinExthdr(a) // exthdr.go
	case "bitwise":
		if rv := d.regs[a.u32(unix.NFTA_BITWISE_SREG)]; rv != nil && (a.has(unix.NFTA_BITWISE_MASK) || a.has(nftaBitwiseData)) {
			nv := *rv
			nv.mask = a.value(unix.NFTA_BITWISE_MASK)
			// what a statement setting this register prints
			nv.str = d.bitwiseValue(a, rv)
			nv.xor = a.value(unix.NFTA_BITWISE_XOR)
			if a.has(unix.NFTA_BITWISE_MASK) {
				switch x := nv.sel.(type) {
				case *exthdrExpr:
					nv.sel = x.resolveMask(nv.mask)
				case *payloadExpr:
					nv.sel = resolvePayloadMask(x, nv.mask) // bitfield_print.go
				}
			}
			if allOnes(nv.mask) && allZero(nv.xor) {
				// nft drops a mask that keeps every bit loaded
				nv.mask = nil
			}
			d.regs[a.u32(unix.NFTA_BITWISE_DREG)] = &nv
		}
	case "byteorder":
		if rv := d.regs[a.u32(unix.NFTA_BYTEORDER_SREG)]; rv != nil {
			nv := *rv
			nv.text = "hton"
			d.regs[a.u32(unix.NFTA_BYTEORDER_DREG)] = &nv
		}
	case "cmp":
		d.cmp(a)
	case "range":
		rv := d.regs[a.u32(unix.NFTA_RANGE_SREG)]
		if rv == nil {
			d.stmts = append(d.stmts, "<range>")
			return
		}
		d.killDeps(rv.sel)
		op := ""
		if a.u32(unix.NFTA_RANGE_OP) == unix.NFT_RANGE_NEQ {
			op = "!= "
		}
		d.killDeps(rv.sel)
		d.stmts = append(d.stmts, fmt.Sprintf("%s %s%s", selText(rv.sel), op, d.rangeText(rv, a.value(unix.NFTA_RANGE_FROM_DATA), a.value(unix.NFTA_RANGE_TO_DATA), true)))
	case "lookup":
		d.lookup(a)
	case "dynset":
		d.stmts = append(d.stmts, d.dynsetText(a))
	case "immediate":
		if code, ch, ok := a.verdict(unix.NFTA_IMMEDIATE_DATA); ok {
			v := verdictName(code)
			if ch != "" {
				v += " " + ch
			}
			d.stmts = append(d.stmts, v)
			return
		}
		d.regs[a.u32(unix.NFTA_IMMEDIATE_DREG)] = &regVal{text: "imm", mask: a.value(unix.NFTA_IMMEDIATE_DATA)}
	case "counter":
		d.stmts = append(d.stmts, counterText(a, d.o))
	case "notrack":
		d.stmts = append(d.stmts, "notrack")
	case "flow_offload":
		d.stmts = append(d.stmts, flowOffloadText(a))
	case "reject":
		d.stmts = append(d.stmts, d.rejectText(a))
	case "nat", "masq", "redir":
		d.stmts = append(d.stmts, d.natText(e.name, a))
	case "tproxy":
		d.stmts = append(d.stmts, d.tproxyText(a))
	case "dup":
		d.stmts = append(d.stmts, d.dupText(a))
	case "fwd":
		d.stmts = append(d.stmts, d.fwdText(a))
	case "log":
		d.stmts = append(d.stmts, logText(a))
	case "limit":
		d.stmts = append(d.stmts, limitText(a))
	default:
		if f := exprPrinters[e.name]; f != nil {
			f(d, a)
			return
		}
		d.stmts = append(d.stmts, "<"+e.name+">")
	}
}

// exprPrinters read back the kernel expressions whose files register
// them: a statement appends its text (d.add), a selector records what
// its destination register holds.
var exprPrinters = map[string]func(d *delin, a attrMap){}

// registerSelectorLoad registers the printer of an expression kind whose
// load puts a selector in a register (rt, fib).
func registerSelectorLoad(name string, load func(a attrMap) (selector, uint32, bool)) {
	exprPrinters[name] = func(d *delin, a attrMap) {
		if sel, dreg, ok := load(a); ok {
			d.regs[dreg] = &regVal{sel: sel}
			return
		}
		d.add("<" + name + ">")
	}
}

// add appends a statement's text.
func (d *delin) add(s string) { d.stmts = append(d.stmts, s) }

func selText(s selector) string {
	switch x := s.(type) {
	case *payloadExpr:
		return x.text()
	case *metaExpr:
		return x.text()
	case *ctExpr:
		return x.text()
	case interface{ text() string }:
		return x.text()
	}
	return "<?>"
}

// setText prints "key set value" for a register loaded by immediate.
func (d *delin) setText(name string, s selector, sreg uint32) string {
	rv := d.regs[sreg]
	if rv == nil {
		return name + " set <?>"
	}
	if rv.str != "" {
		return name + " set " + rv.str
	}
	if rv.text == "imm" {
		v := formatValue(s.dtype(), fromReg(fit(rv.mask, (s.bits()+7)/8), s.order()), d.o)
		if s.dtype().Bitmask {
			v = strings.ReplaceAll(v, " | ", ",")
		}
		return name + " set " + v
	}
	if rv.expr != "" {
		return name + " set " + rv.expr
	}
	return name + " set " + selText(rv.sel)
}

// payloadAt finds the header field at base/offset/bits from what the rule
// established so far.
func (d *delin) payloadAt(base, off, bits int) selector {
	if base == baseLink {
		if s := d.vlanFieldAt(off, bits); s != nil {
			return s
		}
	}
	desc := d.proto[base]
	if desc == nil && base == baseTransport {
		desc = protoTH // ports of a transport header not named
	}
	if desc != nil {
		for i := range desc.fields {
			f := &desc.fields[i]
			if desc.offset+f.offset == off && f.bits == bits && d.icmpFieldFits(desc, f) {
				return &payloadExpr{desc: desc, field: f}
			}
		}
		// a bit field loaded in whole bytes: resolved once the mask is known
		for i := range desc.fields {
			f := &desc.fields[i]
			fo := desc.offset + f.offset
			if fo/8 == off/8 && (fo%8+f.bits+7)/8*8 == bits && (fo%8 != 0 || f.bits%8 != 0) {
				return &payloadExpr{desc: desc, field: f}
			}
		}
	}
	return &payloadExpr{rawBase: base, rawOffset: off, rawBits: bits}
}

// prefixField maps a short load at an address field's offset to that
// field and prefix length.
func (d *delin) prefixField(pl *payloadExpr, n int) (*payloadExpr, int, bool) {
	desc := d.proto[pl.rawBase]
	if desc == nil {
		return nil, 0, false
	}
	for i := range desc.fields {
		f := &desc.fields[i]
		if desc.offset+f.offset == pl.rawOffset && f.bits > n*8 && (f.dt == dtIPv4 || f.dt == dtIPv6) {
			return &payloadExpr{desc: desc, field: f}, n * 8, true
		}
	}
	return nil, 0, false
}

func maskPrefix(m []byte) (int, bool) {
	n := 0
	seenZero := false
	for _, c := range m {
		for i := 7; i >= 0; i-- {
			if c>>i&1 == 1 {
				if seenZero {
					return 0, false
				}
				n++
			} else {
				seenZero = true
			}
		}
	}
	return n, true
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// valText prints a register value of rv's selector.
func (d *delin) valText(rv *regVal, v []byte, bigEndian bool) string {
	sel := rv.sel
	dt := sel.dtype()
	n := (sel.bits() + 7) / 8
	if dt.root() == dtString {
		s := v
		if i := indexZero(s); i >= 0 {
			s = s[:i]
			if len(s) > 0 && s[len(s)-1] == '*' {
				// a name ending in the star itself, not a wildcard
				return fmt.Sprintf("\"%s\\*\"", s[:len(s)-1])
			}
			return fmt.Sprintf("%q", string(s))
		}
		return fmt.Sprintf("\"%s*\"", string(s))
	}
	o := sel.order()
	if bigEndian || rv.text == "hton" {
		o = orderBig
	}
	b := fromReg(v, o)
	if sh := bitfieldShift(rv); sh > 0 {
		b = unshiftField(b, sh, sel)
	}
	return formatValue(dt, fit(b, n), d.o)
}

// isDependency records a match that may be a dependency inserted by nft
// (meta l4proto tcp before tcp dport), to be dropped if a later match
// makes it implicit.
func (d *delin) isDependency(sel selector, v []byte, idx int) bool {
	var u uint64
	rv := fromReg(v, sel.order())
	for _, c := range rv {
		u = u<<8 | uint64(c)
	}
	switch s := sel.(type) {
	case *metaExpr:
		switch s.key {
		case metaL4Proto:
			if p := protoByNumber(baseTransport, u); p != nil {
				d.proto[baseTransport] = p
				d.deps = append(d.deps, depStmt{idx, baseTransport, p})
			}
		case metaNfproto:
			p := map[uint64]*protoDesc{2: protoIP, 10: protoIP6}[u]
			if p != nil {
				d.proto[baseNetwork] = p
				d.deps = append(d.deps, depStmt{idx, baseNetwork, p})
			}
		case metaProtocol:
			if p := protoByNumber(baseNetwork, u); p != nil {
				d.proto[baseNetwork] = p
				d.deps = append(d.deps, depStmt{idx, baseNetwork, p})
			}
		case metaIIFType:
			if u == 1 {
				d.proto[baseLink] = protoEther
				d.deps = append(d.deps, depStmt{idx, baseLink, protoEther})
			}
		}
	case *payloadExpr:
		d.learn(s, rv, opEq)
		d.storeICMPDep(s, rv, idx)
		// ip protocol / ip6 nexthdr: implied by a later header in the
		// ip and ip6 families (payload_may_dependency_kill keeps it in
		// inet, bridge and netdev)
		if (d.fam == xtnl.FamilyIPv4 || d.fam == xtnl.FamilyIPv6) && isProtocolKey(s) && s.desc.base == baseNetwork {
			if p := protoByNumber(baseTransport, u); p != nil {
				d.deps = append(d.deps, depStmt{idx, baseTransport, p})
			}
		}
		// ether type ip: implied by an ip header field, or by icmp's
		if s.desc == protoEther && s.field != nil && s.field.name == "type" {
			if p := protoByNumber(baseNetwork, u); p != nil {
				d.deps = append(d.deps, depStmt{idx, baseNetwork, p})
			}
		}
		d.learnVlan(s, u, idx)
	}
	return false
}

func (d *delin) learn(sel selector, v []byte, op uint32) {
	if op != opEq {
		return
	}
	s, ok := sel.(*payloadExpr)
	if !ok || s.field == nil {
		return
	}
	var u uint64
	for _, c := range v {
		u = u<<8 | uint64(c)
	}
	d.learnICMPType(s, u)
	switch {
	case s.desc == protoIP && s.field.name == "protocol", s.desc == protoIP6 && s.field.name == "nexthdr":
		if p := protoByNumber(baseTransport, u); p != nil {
			d.proto[baseTransport] = p
		}
	case s.field.name == "type" && (s.desc == protoEther || s.desc == protoVlan):
		if p := protoByNumber(baseNetwork, u); p != nil {
			d.proto[baseNetwork] = p
		}
	}
}

// killDeps drops the dependency matches that sel's protocol implies.
func (d *delin) killDeps(sel selector) {
	if x, ok := sel.(*exthdrExpr); ok {
		d.killExthdrDeps(x)
		return
	}
	if c, ok := sel.(*ctExpr); ok && c.net != nil {
		// ct saddr needed its network protocol: meta nfproto ipv4 goes
		keep := d.deps[:0]
		for _, dep := range d.deps {
			if dep.base == baseNetwork && dep.proto == c.net {
				d.stmts[dep.idx] = ""
				continue
			}
			keep = append(keep, dep)
		}
		d.deps = keep
		return
	}
	p, ok := sel.(*payloadExpr)
	if !ok || p.desc == nil {
		return
	}
	d.killICMPDep(p)
	keep := d.deps[:0]
	for _, dep := range d.deps {
		implied := dep.proto == p.desc || dep.base == baseNetwork && p.desc.needs == dep.proto ||
			dep.base == baseLink && dep.proto == protoEther && p.desc == protoVlan
		if dep.base == baseNetwork && p.desc.base == baseTransport && p.desc.needs == nil {
			implied = false
		}
		if p.desc == protoVlan {
			implied = vlanImplies(dep, p)
		}
		if implied {
			d.stmts[dep.idx] = ""
			continue
		}
		keep = append(keep, dep)
	}
	d.deps = keep
}

func (d *delin) lookup(a attrMap) {
	rv := d.regs[a.u32(unix.NFTA_LOOKUP_SREG)]
	name := a.str(unix.NFTA_LOOKUP_SET)
	if rv == nil || rv.sel == nil {
		d.stmts = append(d.stmts, "<lookup>")
		return
	}
	s := d.t.set(name)
	sreg := a.u32(unix.NFTA_LOOKUP_SREG)
	var kts []*Datatype // a concatenation's parts (concat_print.go)
	if s != nil {
		if parts := keyTypes(s.keyType, s.keyLen); len(parts) > 1 {
			kts = d.concatPartTypes(sreg, parts)
		}
	}
	var lhs, rhs string
	var before []string // to undo a data map key's dependency kills (nat.go)
	if a.u32(unix.NFTA_LOOKUP_DREG) != 0 {
		before = append(before, d.stmts...)
	}
	if kts != nil {
		lhs = d.keyText(sreg, s)
	} else {
		d.killDeps(rv.sel)
		lhs = selText(rv.sel)
		if rv.mask != nil && rv.sel.dtype().Bitmask {
			// a masked left side prints its operator (must_print_eq_op)
			m := new(big.Int).SetBytes(fromReg(rv.mask, rv.sel.order())).Uint64()
			lhs += " & " + flagBinop(rv.sel.dtype(), m) + " =="
			if a.u32(unix.NFTA_LOOKUP_FLAGS)&unix.NFT_LOOKUP_F_INV != 0 {
				lhs = strings.TrimSuffix(lhs, "==")
			}
		} else {
			lhs += maskText(rv) // ip6 saddr & ::ffff
		}
		if pl, ok := rv.sel.(*payloadExpr); ok && s != nil && s.flags&setAnonymous != 0 && len(s.elems) > 0 {
			d.icmpLookupType(pl, minElemKey(s))
		}
	}
	if s != nil && s.flags&setAnonymous != 0 {
		var dt *Datatype
		if s.flags&setMap != 0 && s.dataType != unix.NFT_DATA_VERDICT {
			dt = keyTypes(s.dataType, s.dataLen)[0]
		}
		vs, order := s, rv.sel.order()
		if kts == nil {
			var kt *Datatype
			vs, kt = lookupSetView(rv, s) // bitfield_print.go
			kts = []*Datatype{kt}
			if rv.text == "hton" {
				order = orderBig // an interval set's keys, converted
			}
		} else {
			sorted := *s
			sorted.elems = concatSorted(s.elems, kts) // as nft lists them
			vs, order = &sorted, orderInvalid
		}
		rhs = "{ " + strings.Join(setElemTexts(vs, kts, dt, order, d.o), ", ") + " }"
	} else {
		rhs = "@" + name
	}
	if a.has(unix.NFTA_LOOKUP_DREG) {
		if a.u32(unix.NFTA_LOOKUP_DREG) == 0 {
			d.stmts = append(d.stmts, lhs+" vmap "+rhs)
			return
		}
		// A data map's result feeds the statement that reads its
		// register (dup to ip saddr map { ... }).
		d.regs[a.u32(unix.NFTA_LOOKUP_DREG)] = &regVal{expr: lhs + " map " + rhs, killed: killedStmts(before, d.stmts)}
		return
	}
	if a.u32(unix.NFTA_LOOKUP_FLAGS)&unix.NFT_LOOKUP_F_INV != 0 {
		lhs += " !="
	}
	d.stmts = append(d.stmts, lhs+" "+rhs)
}
