package nft

// VLAN tags (proto.c's proto_vlan): a vlan header sits inside the link
// layer, after the ethernet header (ether type 8021q or 8021ad) or after
// another vlan tag (vlan type 8021q or 8021ad), 32 bits further each
// time. Its fields need the tag known: nft inserts "ether type 8021q"
// before the first, and once a tag is known, a network header's
// dependency is the tag's type field rather than meta protocol.

const (
	etherTypeVlan   = 0x8100 // 802.1Q
	etherType8021ad = 0x88a8 // 802.1ad (QinQ)
	etherHdrBits    = 112
	vlanHdrBits     = 32
)

func isVlanType(u uint64) bool { return u == etherTypeVlan || u == etherType8021ad }

// needVlan makes a vlan field's tag present: the link layer and "ether
// type 8021q", unless a match already settled where the tag is. An
// ether type settled to something else conflicts, as in nft.
func (r *ruleCtx) needVlan(e *payloadExpr) error {
	if r.vlanOff == 0 {
		if r.etherTyped {
			return r.conflict(e, "conflicting protocols specified: ether vs. vlan")
		}
		if err := r.needLink(e); err != nil {
			return err
		}
		r.emitEtherTypeDep(etherTypeVlan)
		r.vlanOff = etherHdrBits
	}
	e.stackOff = r.vlanOff - protoVlan.offset
	return nil
}

// learnVlan follows an equality match on ether type or vlan type: a vlan
// ethertype puts the next tag right after the matched header.
func (r *ruleCtx) learnVlan(s *payloadExpr, u uint64) {
	if s.desc == protoEther {
		r.etherTyped = true
	}
	if !isVlanType(u) {
		return
	}
	if s.desc == protoEther {
		r.vlanOff = etherHdrBits
	} else {
		r.vlanOff = s.offset() - 16 + vlanHdrBits
	}
}

// vlanTypeDep is a network protocol's dependency inside a vlan tag:
// "vlan type ip".
func (r *ruleCtx) vlanTypeDep(d *protoDesc) {
	reg := r.getReg(2)
	emitPayloadLoad(r, baseLink, (r.vlanOff+16)/8, 2, reg)
	r.emitCmp(reg, opEq, uintBytes(d.number, 2))
	r.putReg(2)
}

// The printer's side.

// vlanFieldAt finds the vlan field at bit offset off of the link layer,
// once a match put a tag there.
func (d *delin) vlanFieldAt(off, bits int) selector {
	if d.vlanOff == 0 || off < d.vlanOff {
		return nil
	}
	rel := off - d.vlanOff
	for i := range protoVlan.fields {
		f := &protoVlan.fields[i]
		if f.name == "cfi" {
			continue // printed as dei
		}
		if f.offset == rel && f.bits == bits {
			return &payloadExpr{desc: protoVlan, field: f, stackOff: d.vlanOff - protoVlan.offset}
		}
	}
	// a bit field loaded in whole bytes: resolved once the mask is known
	for i := range protoVlan.fields {
		f := &protoVlan.fields[i]
		if f.name == "cfi" {
			continue
		}
		if f.offset/8 == rel/8 && (f.offset%8+f.bits+7)/8*8 == bits && (f.offset%8 != 0 || f.bits%8 != 0) {
			return &payloadExpr{desc: protoVlan, field: f, stackOff: d.vlanOff - protoVlan.offset}
		}
	}
	return nil
}

// learnVlan follows "ether type 8021q" and "vlan type 8021q" read back.
// An ether type 8021q is what nft inserts before a vlan field, so it
// stays a dependency a vlan field drops; 8021ad and a nested tag's type
// were written by hand and stay. A vlan type naming a network protocol
// is that protocol's dependency.
func (d *delin) learnVlan(s *payloadExpr, u uint64, idx int) {
	if s.field == nil || s.field.name != "type" || (s.desc != protoEther && s.desc != protoVlan) {
		return
	}
	if isVlanType(u) {
		if s.desc == protoEther {
			d.vlanOff = etherHdrBits
			if u == etherTypeVlan {
				d.deps = append(d.deps, depStmt{idx, baseLink, protoVlan})
			}
		} else {
			d.vlanOff = s.offset() - 16 + vlanHdrBits
		}
		return
	}
	if s.desc == protoVlan {
		if p := protoByNumber(baseNetwork, u); p != nil {
			d.deps = append(d.deps, depStmt{idx, baseNetwork, p})
		}
	}
}

// vlanImplies says whether a vlan field p makes dependency dep
// redundant: the link layer (meta iiftype ether) and, unless p is the
// tag's own type field, the ether type 8021q before it.
func vlanImplies(dep depStmt, p *payloadExpr) bool {
	if dep.base != baseLink {
		return false
	}
	if dep.proto == protoEther {
		return true
	}
	return dep.proto == protoVlan && p.field != nil && p.field.name != "type"
}
