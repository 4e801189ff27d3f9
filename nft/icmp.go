package nft

import (
	"fmt"

	"github.com/xtnl/xtnl"
)

// ICMP's and ICMPv6's headers (proto.c's proto_icmp, proto_icmp6) and
// their code types.
var (
	protoICMP = &protoDesc{name: "icmp", base: baseTransport, number: 1, needs: protoIP, fields: []protoField{
		{"type", dtICMPType, 0, 8}, {"code", dtICMPCode, 8, 8}, intField("checksum", 16, 16), intField("id", 32, 16),
		intField("sequence", 48, 16), intField("gateway", 32, 32), intField("mtu", 48, 16)}}
	protoICMP6 = &protoDesc{name: "icmpv6", base: baseTransport, number: 58, needs: protoIP6, fields: []protoField{
		{"type", dtICMP6Type, 0, 8}, {"code", dtICMPv6Code, 8, 8}, intField("checksum", 16, 16),
		intField("parameter-problem", 32, 32), intField("mtu", 32, 32), intField("id", 32, 16), intField("sequence", 48, 16),
		intField("max-delay", 32, 16)}}
	dtICMPCode = &Datatype{ID: typeICMPCode, Name: "icmp_code", Desc: "icmp code", Bits: 8, Order: orderBig, Base: dtInteger,
		Symbols: []symbol{{"net-unreachable", 0}, {"host-unreachable", 1}, {"prot-unreachable", 2}, {"port-unreachable", 3},
			{"frag-needed", 4}, {"net-prohibited", 9}, {"host-prohibited", 10}, {"admin-prohibited", 13}}}
	dtICMPv6Code = &Datatype{ID: typeICMPv6Code, Name: "icmpv6_code", Desc: "icmpv6 code", Bits: 8, Order: orderBig, Base: dtInteger,
		Symbols: []symbol{{"no-route", 0}, {"admin-prohibited", 1}, {"addr-unreachable", 3}, {"port-unreachable", 4},
			{"policy-fail", 5}, {"reject-route", 6}}}
)

// ICMP and ICMPv6 fields that exist only in some message types (proto.c's
// icmp_dep): nft matches the type first, and when printing splits a load
// only into the fields of the type the rule matched.

// icmpFieldType is the message type a field belongs to; echo fields
// stand for echo-request and echo-reply alike.
var icmpFieldType = map[string]uint8{
	"icmp id": 8, "icmp sequence": 8, "icmp gateway": 5, "icmp mtu": 3,
	"icmpv6 id": 128, "icmpv6 sequence": 128, "icmpv6 mtu": 2, "icmpv6 max-delay": 130, "icmpv6 parameter-problem": 4,
}

// icmpFieldFits tells whether f may be read in a rule whose ICMP type is
// known (payload_expr_expand's icmp_dep test).
func (d *delin) icmpFieldFits(desc *protoDesc, f *protoField) bool {
	t, ok := icmpFieldType[desc.name+" "+f.name]
	return !ok || d.icmpType == 0 || d.icmpType == t
}

// isICMPType reports "icmp type" and "icmpv6 type", the protocol keys of
// ICMP(v6).
func isICMPType(p *payloadExpr) bool {
	return p.field != nil && (p.desc == protoICMP || p.desc == protoICMP6) && p.field.name == "type"
}

// icmpEcho is the type an echo field's dependency settles on: echo
// replies count as requests (payload_expr_pctx_update).
func icmpEcho(desc *protoDesc, t uint64) uint8 {
	switch {
	case desc == protoICMP && t == 0:
		return 8
	case desc == protoICMP6 && t == 129:
		return 128
	}
	return uint8(t)
}

// learnICMPType records the type an equality on "icmp type" settles.
func (r *ruleCtx) learnICMPType(p *payloadExpr, t uint64) {
	if isICMPType(p) {
		r.icmpType = icmpEcho(p.desc, t)
	}
}

// icmpDep inserts the type match a field of some ICMP messages needs
// (payload_gen_icmp_dependency): echo fields match "type { echo-request,
// echo-reply }", the others their one type.
func (r *ruleCtx) icmpDep(e *payloadExpr) error {
	if e.field == nil {
		return nil
	}
	t, ok := icmpFieldType[e.desc.name+" "+e.field.name]
	if !ok {
		return nil
	}
	if r.icmpType == t {
		return nil
	}
	if r.icmpType != 0 {
		return r.cc.errAt(e.srcSpan, fmt.Sprintf("incompatible icmp match: rule has %d, need %d", r.icmpType, t))
	}
	typ := &payloadExpr{srcSpan: e.srcSpan, desc: e.desc, field: e.desc.field("type")}
	val := func(v uint8) Expr { return &valueExpr{srcSpan: e.srcSpan, dt: typ.dtype(), b: []byte{v}, bits: 8} }
	var err error
	if t == 8 || t == 128 {
		reply := uint8(0)
		if t == 128 {
			reply = 129
		}
		set := &setExpr{srcSpan: e.srcSpan, elems: []Expr{val(t), val(reply)}}
		err = r.compileMatch(&relExpr{srcSpan: e.srcSpan, l: typ, r: set})
	} else {
		err = r.compileMatch(&relExpr{srcSpan: e.srcSpan, op: "==", l: typ, r: val(t)})
	}
	r.icmpType = t
	return err
}

// learnICMPType records, when printing, the type an equality on "icmp
// type" settles (the protocol context's th_dep).
func (d *delin) learnICMPType(p *payloadExpr, t uint64) {
	if isICMPType(p) {
		d.icmpType = icmpEcho(p.desc, t)
	}
}

// storeICMPDep remembers a printed "icmp type X" (X not an echo type) as
// a match a later field of that type's messages makes redundant
// (payload_dependency_store_icmp_type).
func (d *delin) storeICMPDep(p *payloadExpr, v []byte, idx int) {
	if !isICMPType(p) || len(v) != 1 {
		return
	}
	t := v[0]
	if p.desc == protoICMP && t == 0 {
		t = 8
	}
	if t == 8 || p.desc == protoICMP6 && (t == 128 || t == 129) {
		return
	}
	d.icmpDep, d.icmpDepType = idx+1, t
}

// killICMPDep drops the stored "icmp type X" when p is a field of type
// X's messages (payload_may_dependency_kill_icmp).
func (d *delin) killICMPDep(p *payloadExpr) {
	if d.icmpDep == 0 || p.field == nil || isICMPType(p) {
		return
	}
	t, ok := icmpFieldType[p.desc.name+" "+p.field.name]
	if ok && t == d.icmpDepType {
		d.stmts[d.icmpDep-1] = ""
		d.icmpDep = 0
	}
}

// icmpLookupType is payload_icmp_check: a set lookup on "icmp type"
// settles the type of the set's first element, when none is known.
func (d *delin) icmpLookupType(p *payloadExpr, first []byte) {
	if isICMPType(p) && d.icmpType == 0 && len(first) == 1 {
		d.icmpType = first[0]
	}
}

// minElemKey is the lowest key of a set, the first nft lists.
func minElemKey(s *kSet) []byte {
	k := s.elems[0].key
	for _, e := range s.elems[1:] {
		if string(e.key) < string(k) {
			k = e.key
		}
	}
	return k
}

// learnICMPSet records the type an "icmp type { ... }" match settles:
// each element updates the context in turn, the last one stays.
func (r *ruleCtx) learnICMPSet(rel *relExpr, s *setExpr) {
	p, ok := rel.l.(*payloadExpr)
	if !ok || !isICMPType(p) || (rel.op != "" && rel.op != "==") {
		return
	}
	li := &lhsInfo{sels: []selector{p}, dt: p.dtype(), bits: 8, order: orderBig, lenBytes: 1}
	for _, e := range s.elems {
		switch e.(type) {
		case *symbolExpr, *valueExpr:
			if v, err := r.constValue(e, li); err == nil && len(v) == 1 {
				r.learnICMPType(p, uint64(v[0]))
			}
		}
	}
}

// needICMPNetwork inserts the network header icmp, icmpv6 and igmp
// belong to when none is known (payload_gen_special_dependency): in
// bridge tables as the ethernet header's type, not meta protocol.
func (r *ruleCtx) needICMPNetwork(d *protoDesc, e *payloadExpr) error {
	if r.fam != xtnl.FamilyBridge || r.proto[baseLink] != nil && r.proto[baseLink] != protoEther {
		return r.needNetwork(d, e)
	}
	r.emitEtherTypeDep(d.number) // etherdep.go
	r.proto[baseLink] = protoEther
	r.proto[baseNetwork] = d
	return nil
}
