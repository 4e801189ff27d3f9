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
	xor  []byte // register order; nil when zero
	// shift is " >> N" or " << N" applied to the selector's value.
	shift string
	sel2  []selector
	lenB  int
	text  string // for selectors printed by name only
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
		d.stmts = append(d.stmts, "<payload set>")
	case "bitwise":
		if d.shift(a) {
			return
		}
		if rv := d.regs[a.u32(unix.NFTA_BITWISE_SREG)]; rv != nil && a.has(unix.NFTA_BITWISE_MASK) {
			nv := *rv
			nv.mask = a.value(unix.NFTA_BITWISE_MASK)
			if x := a.value(unix.NFTA_BITWISE_XOR); !isZero(x) {
				nv.xor = x
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
		op := ""
		if a.u32(unix.NFTA_RANGE_OP) == unix.NFT_RANGE_NEQ {
			op = "!= "
		}
		d.stmts = append(d.stmts, fmt.Sprintf("%s %s%s", selText(rv.sel), op, d.rangeText(rv, a.value(unix.NFTA_RANGE_FROM_DATA), a.value(unix.NFTA_RANGE_TO_DATA), true)))
	case "lookup":
		d.lookup(a)
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
		if d.o.Stateless {
			d.stmts = append(d.stmts, "counter")
		} else {
			d.stmts = append(d.stmts, fmt.Sprintf("counter packets %d bytes %d", a.u64(unix.NFTA_COUNTER_PACKETS), a.u64(unix.NFTA_COUNTER_BYTES)))
		}
	case "notrack":
		d.stmts = append(d.stmts, "notrack")
	case "reject":
		d.stmts = append(d.stmts, d.rejectText(a))
	case "nat", "masq", "redir":
		d.stmts = append(d.stmts, d.natText(e.name, a))
	case "log":
		d.stmts = append(d.stmts, logText(a))
	case "limit":
		d.stmts = append(d.stmts, limitText(a))
	default:
		if load, ok := selectorLoads[e.name]; ok {
			if sel, dreg, ok := load(a); ok {
				d.regs[dreg] = &regVal{sel: sel}
				return
			}
		}
		d.stmts = append(d.stmts, "<"+e.name+">")
	}
}

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
	if rv.text == "imm" {
		return name + " set " + formatValue(s.dtype(), fromReg(fit(rv.mask, (s.bits()+7)/8), s.order()), d.o)
	}
	text := selText(rv.sel)
	if rv.mask != nil {
		// a selector's value with a mask and xor (meta mark set ct mark & 0xff)
		text = d.maskedSelText(rv)
	}
	return name + " set " + text + rv.shift
}

// payloadAt finds the header field at base/offset/bits from what the rule
// established so far.
func (d *delin) payloadAt(base, off, bits int) selector {
	desc := d.proto[base]
	if desc != nil {
		for i := range desc.fields {
			f := &desc.fields[i]
			if desc.offset+f.offset == off && f.bits == bits {
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

// cmp prints a comparison, dropping dependencies that a later header
// makes implicit.
func (d *delin) cmp(a attrMap) {
	reg := a.u32(unix.NFTA_CMP_SREG)
	rv := d.regs[reg]
	v := a.value(unix.NFTA_CMP_DATA)
	op := a.u32(unix.NFTA_CMP_OP)
	if rv == nil || rv.sel == nil {
		d.stmts = append(d.stmts, "<cmp>")
		return
	}
	// gte followed by lte on the same register is a range
	if op == opGte {
		d.pendingRange = &struct {
			reg uint32
			lo  []byte
			idx int
		}{reg, v, len(d.stmts)}
		d.stmts = append(d.stmts, fmt.Sprintf("%s >= %s", selText(rv.sel), d.valText(rv, v, false)))
		return
	}
	if op == opLte && d.pendingRange != nil && d.pendingRange.reg == reg && d.pendingRange.idx == len(d.stmts)-1 {
		pr := d.pendingRange
		d.pendingRange = nil
		d.stmts[pr.idx] = fmt.Sprintf("%s %s", selText(rv.sel), d.rangeText(rv, pr.lo, v, false))
		return
	}
	sel := rv.sel
	// flag test: (x & m) != 0
	if rv.mask != nil && op == opNeq && isZero(v) {
		d.killDeps(sel)
		dt := sel.dtype()
		if dt.Bitmask {
			m := fromReg(rv.mask, sel.order())
			d.stmts = append(d.stmts, selText(sel)+" "+strings.ReplaceAll(formatBitmask(dt, m, d.o), " | ", ","))
			return
		}
	}
	opText := map[uint32]string{opEq: "", opNeq: "!= ", opLt: "< ", opLte: "<= ", opGt: "> ", opGte: ">= "}[op]
	if pl, ok := sel.(*payloadExpr); ok && pl.desc == nil && len(v) > 0 {
		// A shorter load of an address field: a prefix.
		if p2, plen, ok := d.prefixField(pl, len(v)); ok {
			d.killDeps(p2)
			d.stmts = append(d.stmts, fmt.Sprintf("%s %s%s/%d", p2.text(), opText, formatValue(p2.dtype(), fit(append(append([]byte(nil), v...), make([]byte, (p2.bits()+7)/8-len(v))...), (p2.bits()+7)/8), d.o), plen))
			return
		}
	}
	d.killDeps(sel)
	if rv.mask != nil {
		if p, ok := sel.(*payloadExpr); ok && p.field != nil {
			_, shift, bf := p.geom()
			if bf {
				fm := new(big.Int).Lsh(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(p.bits())), big.NewInt(1)), uint(shift))
				if new(big.Int).SetBytes(rv.mask).Cmp(fm) == 0 {
					rv = &regVal{sel: sel}
					val := new(big.Int).Rsh(new(big.Int).SetBytes(v), uint(shift))
					d.stmts = append(d.stmts, fmt.Sprintf("%s %s%s", selText(sel), opText, formatValue(sel.dtype(), fit(val.Bytes(), (p.bits()+7)/8), d.o)))
					d.learn(sel, fit(val.Bytes(), (p.bits()+7)/8), op)
					return
				}
			}
		}
		if plen, ok := maskPrefix(fromReg(rv.mask, sel.order())); ok && rv.xor == nil && prefixType(sel.dtype()) {
			d.stmts = append(d.stmts, fmt.Sprintf("%s %s%s/%d", selText(sel), opText, d.valText(rv, v, false), plen))
			return
		}
		if rv.xor != nil {
			d.stmts = append(d.stmts, d.maskXorText(rv, opText, v))
			return
		}
		d.stmts = append(d.stmts, fmt.Sprintf("%s & %s %s%s", selText(sel), d.valText(&regVal{sel: sel}, rv.mask, false), map[string]string{"": "== "}[opText]+opText, d.valText(rv, v, false)))
		return
	}
	idx := len(d.stmts)
	d.stmts = append(d.stmts, fmt.Sprintf("%s %s%s", selText(sel), opText, d.valText(rv, v, false)))
	if op == opEq {
		if d.isDependency(sel, v, idx) {
			return
		}
	}
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
	return formatValue(dt, fit(fromReg(v, o), n), d.o)
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
	p, ok := sel.(*payloadExpr)
	if !ok || p.desc == nil {
		return
	}
	keep := d.deps[:0]
	for _, dep := range d.deps {
		implied := dep.proto == p.desc || dep.base == baseNetwork && p.desc.needs == dep.proto
		if dep.base == baseNetwork && p.desc.base == baseTransport && p.desc.needs == nil {
			implied = false
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
	d.killDeps(rv.sel)
	lhs := selText(rv.sel)
	kts := []*Datatype{rv.sel.dtype()}
	s := d.t.set(name)
	if s != nil {
		if sels := d.concatAt(a.u32(unix.NFTA_LOOKUP_SREG), int(s.keyLen)); len(sels) > 1 {
			var texts []string
			kts = nil
			for _, sel := range sels {
				d.killDeps(sel)
				texts = append(texts, selText(sel))
				kts = append(kts, sel.dtype())
			}
			lhs = strings.Join(texts, " . ")
		}
	}
	var rhs string
	if s != nil && s.flags&setAnonymous != 0 {
		var dt *Datatype
		if s.flags&setMap != 0 && s.dataType != unix.NFT_DATA_VERDICT {
			dt = keyTypes(s.dataType, s.dataLen)[0]
		}
		order := rv.sel.order()
		if rv.text == "hton" {
			order = orderBig // a host-endian key converted for an interval set
		}
		rhs = "{ " + strings.Join(setElemTexts(s, kts, dt, order, d.o), ", ") + " }"
	} else {
		rhs = "@" + name
	}
	if a.has(unix.NFTA_LOOKUP_DREG) {
		if a.u32(unix.NFTA_LOOKUP_DREG) == 0 {
			d.stmts = append(d.stmts, lhs+" vmap "+rhs)
			return
		}
		d.stmts = append(d.stmts, lhs+" map "+rhs)
		return
	}
	if a.u32(unix.NFTA_LOOKUP_FLAGS)&unix.NFT_LOOKUP_F_INV != 0 {
		lhs += " !="
	}
	d.stmts = append(d.stmts, lhs+" "+rhs)
}

func logText(a attrMap) string {
	s := "log"
	if a.has(unix.NFTA_LOG_PREFIX) {
		s += fmt.Sprintf(" prefix %q", a.str(unix.NFTA_LOG_PREFIX))
	}
	if a.has(unix.NFTA_LOG_GROUP) {
		g := a[unix.NFTA_LOG_GROUP]
		s += fmt.Sprintf(" group %d", int(g[0])<<8|int(g[1]))
	}
	if a.has(unix.NFTA_LOG_SNAPLEN) {
		s += fmt.Sprintf(" snaplen %d", a.u32(unix.NFTA_LOG_SNAPLEN))
	}
	if a.has(unix.NFTA_LOG_QTHRESHOLD) {
		g := a[unix.NFTA_LOG_QTHRESHOLD]
		s += fmt.Sprintf(" queue-threshold %d", int(g[0])<<8|int(g[1]))
	}
	if a.has(unix.NFTA_LOG_LEVEL) {
		lv := a.u32(unix.NFTA_LOG_LEVEL)
		for name, v := range logLevels {
			if uint32(v) == lv && lv != 4 {
				s += " level " + name
			}
		}
	}
	return s
}

func limitText(a attrMap) string {
	rate, unit, burst := a.u64(unix.NFTA_LIMIT_RATE), a.u64(unix.NFTA_LIMIT_UNIT), a.u32(unix.NFTA_LIMIT_BURST)
	over := ""
	if a.u32(unix.NFTA_LIMIT_FLAGS)&unix.NFT_LIMIT_F_INV != 0 {
		over = "over "
	}
	u := map[uint64]string{1: "second", 60: "minute", 3600: "hour", 86400: "day", 604800: "week"}[unit]
	if a.u32(unix.NFTA_LIMIT_TYPE) == unix.NFT_LIMIT_PKT_BYTES {
		r, ru := rate, "bytes"
		if r%(1024*1024) == 0 && r > 0 {
			r, ru = r/(1024*1024), "mbytes"
		} else if r%1024 == 0 && r > 0 {
			r, ru = r/1024, "kbytes"
		}
		s := fmt.Sprintf("limit rate %s%d %s/%s", over, r, ru, u)
		if burst != 0 {
			s += fmt.Sprintf(" burst %d bytes", burst)
		}
		return s
	}
	s := fmt.Sprintf("limit rate %s%d/%s", over, rate, u)
	if burst != 5 {
		s += fmt.Sprintf(" burst %d packets", burst)
	}
	return s
}
