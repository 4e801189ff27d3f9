package nft

import "github.com/xtnl/xtnl"

// Ether type dependencies (payload.c's payload_gen_dependency with the
// link layer known to be ethernet): once the link layer is ethernet, a
// network header's dependency is "ether type ip" rather than meta
// nfproto (inet) or meta protocol (netdev); bridge keeps meta protocol
// for ip and ip6 (proto_metaeth) but matches arp and vlan tags on the
// ether type. nft inserts such a dependency as a match of its own
// before the match needing it, so payload merging joins it with a
// neighbour ("ether saddr 00:0f:54:0c:11:04 ip daddr 1.2.3.4" loads
// ether saddr and type as one 8-byte field): explicitEtherDeps makes
// those matches explicit before merging.

// etherTypeNetworkDep says whether network protocol d's dependency is
// an ether type match, the link layer being known and no vlan tag.
func (r *ruleCtx) etherTypeNetworkDep(d *protoDesc) bool {
	if r.vlanOff != 0 || d.number == 0 {
		return false
	}
	switch r.fam {
	case xtnl.FamilyInet, xtnl.FamilyNetdev:
		return r.proto[baseLink] == protoEther // meta iiftype ether
	case xtnl.FamilyBridge:
		return d != protoIP && d != protoIP6
	}
	return false
}

// emitEtherTypeDep inserts "ether type v", the link layer being known.
func (r *ruleCtx) emitEtherTypeDep(v uint64) {
	reg := r.getReg(2)
	emitPayloadLoad(r, baseLink, 12, 2, reg)
	r.emitCmp(reg, opEq, uintBytes(v, 2))
	r.putReg(2)
	r.etherTyped = true
	r.etherDep = v
}

// explicitEtherDeps returns stmts with the ether type dependencies nft
// would insert written out as matches before the statements needing
// them, when the rule has a link layer match they may be merged with.
// It follows the rule on a scratch context as far as its statements are
// matches (with counters, logs and the like between them) and up to the
// first other statement, whose own dependency it still writes out if it
// sets a header field; after that it inserts nothing (the dependencies
// are then inserted as the rule compiles).
func (r *ruleCtx) explicitEtherDeps(stmts []Stmt) []Stmt {
	if !hasEtherMatch(stmts) {
		return stmts
	}
	scratch := &ruleCtx{cc: r.cc, fam: r.fam, table: r.table, chain: r.chain, hook: r.hook, reg: r.reg}
	var out []Stmt
	for i, s := range stmts {
		m, ok := s.(*matchStmt)
		if !ok && transparentStmt(s) {
			out = append(out, s)
			continue
		}
		if !ok {
			// a header field's set statement (vlan id set 2) has its
			// dependency inserted before it too; what follows is not
			// followed
			if x, isSet := s.(*setStmt); isSet {
				if pl, isPayload := x.lhs.(*payloadExpr); isPayload {
					scratch.etherDep = 0
					if pl.deps(scratch) == nil && scratch.etherDep != 0 {
						out = append(out, etherTypeMatch(x.srcSpan, scratch.etherDep))
					}
				}
			}
			return append(out, stmts[i:]...)
		}
		scratch.etherDep = 0
		if err := scratch.predictMatch(m); err != nil {
			// compiling the rule reports it
			return append(out, stmts[i:]...)
		}
		if v := scratch.etherDep; v != 0 {
			out = append(out, etherTypeMatch(m.srcSpan, v))
		}
		out = append(out, s)
	}
	return out
}

// hasEtherMatch tells whether a match on an ethernet header field
// (daddr, saddr: what an ether type may be merged with) is in stmts.
func hasEtherMatch(stmts []Stmt) bool {
	for _, s := range stmts {
		if m, ok := s.(*matchStmt); ok {
			if pl, ok := m.rel.l.(*payloadExpr); ok && pl.desc == protoEther {
				return true
			}
		}
	}
	return false
}

// predictMatch follows match m on the scratch context r: a plain match
// whole, another (a set lookup, which tells nothing of the protocols)
// only as far as its dependencies, so that no set is declared.
func (r *ruleCtx) predictMatch(m *matchStmt) error {
	if plainMatch(m) {
		return r.compileMatch(m.rel)
	}
	li, err := r.evalLHS(m.rel.l)
	if err != nil {
		return err
	}
	for _, s := range li.sels {
		if err := s.deps(r); err != nil {
			return err
		}
	}
	return nil
}

// plainMatch tells whether m compares a header or meta field with a
// constant: compiling it touches nothing but the rule's own context.
func plainMatch(m *matchStmt) bool {
	switch m.rel.l.(type) {
	case *payloadExpr, *metaExpr:
	default:
		return false
	}
	switch m.rel.r.(type) {
	case *symbolExpr, *valueExpr, *prefixExpr, *rangeExpr:
		return true
	}
	return false
}

// transparentStmt tells the statements that tell nothing about the
// packet's protocols, and that a pending match merges across.
func transparentStmt(s Stmt) bool {
	switch x := s.(type) {
	case *counterStmt, *limitStmt, *logStmt, *quotaStmt, *notrackStmt:
		return true
	case *setStmt:
		// meta mark set 1, ct mark set 1: a constant into a meta or
		// ct key
		switch x.lhs.(type) {
		case *metaExpr, *ctExpr:
		default:
			return false
		}
		switch x.val.(type) {
		case *symbolExpr, *valueExpr:
			return true
		}
	}
	return false
}

// etherTypeMatch is the match "ether type v" nft inserts as a
// dependency, located at the statement needing it.
func etherTypeMatch(at srcSpan, v uint64) *matchStmt {
	pl := &payloadExpr{srcSpan: at, desc: protoEther, field: protoEther.field("type")}
	val := &valueExpr{srcSpan: at, dt: dtEtherType, b: uintBytes(v, 2), bits: 16}
	return &matchStmt{srcSpan: at, rel: &relExpr{srcSpan: at, l: pl, r: val}}
}
