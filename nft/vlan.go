package nft

// The vlan header's dependency (proto.c's proto_vlan below proto_eth):
// a vlan field needs the ethernet header's type to be 802.1Q, matched
// unless an ether type match already said so; an ether type of another
// protocol conflicts with it.

const etherTypeVlan = 0x8100

func (r *ruleCtx) needVlan(e Expr) error {
	if r.proto[baseLink] == protoVlan {
		return nil
	}
	if r.etherNext != 0 && r.etherNext != etherTypeVlan {
		return r.conflict(e, "conflicting protocols specified: ether vs. vlan")
	}
	reg := r.getReg(2)
	emitPayloadLoad(r, baseLink, 12, 2, reg)
	r.emitCmp(reg, opEq, []byte{0x81, 0x00})
	r.putReg(2)
	r.proto[baseLink] = protoVlan
	r.etherNext = etherTypeVlan
	return nil
}

// learnEtherType records an ether type match: 802.1Q puts a vlan header
// next.
func (r *ruleCtx) learnEtherType(u uint64) {
	r.etherNext = u
	if u == etherTypeVlan {
		r.proto[baseLink] = protoVlan
	}
}

// vlanDep notes, while printing, an ether type match that a later vlan
// field makes implicit.
func (d *delin) vlanDep(p *payloadExpr, u uint64, idx int) {
	if p.desc == protoEther && p.field != nil && p.field.name == "type" && u == etherTypeVlan {
		d.deps = append(d.deps, depStmt{idx, baseLink, protoVlan})
	}
}
