package nft

import (
	"fmt"
	"sort"
)

// Payload merging (rule.c's stmt_reduce and payload_do_merge): equality
// matches on adjacent whole bytes of one header become one wider load
// and compare, "tcp sport 1 tcp dport 2" loading four bytes once. Each
// match's dependencies stay where nft inserted them, before the match
// as written; the joined match takes the place of the one lowest in the
// header. An ether type nft inserts as a dependency merges too: it is
// written out as a match beforehand (etherdep.go).

// mergeCand is a match nft may merge: a byte-aligned header field
// compared for (in)equality with a constant.
type mergeCand struct {
	idx   int // in the rule's statements
	pl    *payloadExpr
	op    string // "==" or "!="
	base  int
	off   int // bits
	bits  int
	value []byte // big-endian, bits/8 bytes; set by withValues
	proto bool   // a protocol key (ip protocol, ether type): EXPR_F_PROTOCOL
	rhs   Expr   // the constant compared with
}

// mergedMatch is the joined compare, at the place of the match it
// replaced; members are the matches joined, whose dependencies it
// inserts when it stands at their place.
type mergedMatch struct {
	srcSpan
	base, off, bits int
	value           []byte
	op              string
	own             *mergeCand // the match at this place, nil if none
}

// mergedMember stands at the place of a match joined into a
// mergedMatch elsewhere: it inserts the match's dependencies and what it
// tells about the packet's protocols, nothing else.
type mergedMember struct {
	srcSpan
	c *mergeCand
}

// mergePayloads returns the rule's statements with mergeable matches
// joined.
func (r *ruleCtx) mergePayloads(stmts []Stmt) []Stmt {
	out := stmts // copied before the first merge changes it
	// The run of candidates, by value: most runs merge nothing, and
	// withValues moves to the heap those of the runs that may.
	var buf [8]mergeCand
	group := buf[:0]
	flush := func() {
		if len(group) > 1 && anyMerge(group) {
			if vg := r.withValues(group); len(vg) > 1 {
				if &out[0] == &stmts[0] {
					out = append([]Stmt(nil), stmts...)
				}
				r.mergeGroup(out, vg)
			}
		}
		group = group[:0]
	}
	for i, s := range stmts {
		m, ok := s.(*matchStmt)
		if !ok {
			// Another kind of statement ends a run of two or more
			// matches; a lone match stays pending and may still merge
			// with one after it, as stmt_reduce does ("tcp sport 1
			// counter tcp dport 2" loads both ports before the counter).
			// A run counts its matches before their constants are
			// evaluated: one that does not evaluate fails the rule.
			if len(group) > 1 {
				flush()
			}
			continue
		}
		if c, ok := r.mergeCandidate(m); ok {
			c.idx = i
			group = append(group, c)
		}
	}
	flush()
	return out
}

// mergeCandidate tells whether m is a match nft may merge.
func (r *ruleCtx) mergeCandidate(m *matchStmt) (mergeCand, bool) {
	pl, ok := m.rel.l.(*payloadExpr)
	if !ok {
		return mergeCand{}, false
	}
	op := m.rel.op
	switch op {
	case "", "==":
		if op == "" && pl.dtype().Bitmask {
			return mergeCand{}, false // a flag test
		}
		op = "=="
	case "!=":
	default:
		return mergeCand{}, false
	}
	switch m.rel.r.(type) {
	case *symbolExpr, *valueExpr, *binopExpr:
	default:
		return mergeCand{}, false
	}
	off, bits := pl.offset(), pl.bits()
	if off%8 != 0 || bits%8 != 0 {
		return mergeCand{}, false
	}
	return mergeCand{pl: pl, op: op, base: pl.base(), off: off, bits: bits, proto: isProtocolKey(pl), rhs: m.rel.r}, true
}

// withValues gives the candidates their values, leaving out those whose
// constant does not evaluate (compiling the match alone reports it). It
// runs only for runs of matches that may merge: most do not, and need
// no value twice.
func (r *ruleCtx) withValues(group []mergeCand) []*mergeCand {
	var out []*mergeCand
	for i := range group {
		c := &mergeCand{}
		*c = group[i]
		li := &lhsInfo{sels: []selector{c.pl}, dt: c.pl.dtype(), bits: c.bits, order: c.pl.order(), lenBytes: c.bits / 8}
		v, err := r.constValue(c.rhs, li)
		if err != nil {
			continue
		}
		c.value = fit(v, c.bits/8)
		out = append(out, c)
	}
	return out
}

// isProtocolKey reports the fields that name the next header.
func isProtocolKey(pl *payloadExpr) bool {
	if pl.field == nil {
		return false
	}
	switch pl.desc.name + " " + pl.field.name {
	case "ip protocol", "ip6 nexthdr", "ether type", "vlan type", "icmp type", "icmpv6 type", "ah nexthdr", "comp nexthdr":
		return true
	}
	return false
}

// canMerge is payload_can_merge: adjacent, and small enough to still be
// loaded fast (or already past that).
func canMerge(a, b *mergeCand) bool {
	if a.base != b.base || a.off+a.bits != b.off {
		return false
	}
	total := a.bits + b.bits
	switch {
	case total > 128:
		return false
	case total <= 32, a.base == baseLink, a.bits > 32, b.bits > 32:
		return true
	}
	return false
}

// anyMerge says whether two of the candidates can merge: most runs of
// matches have none, and mergeGroup need not sort them.
func anyMerge(group []mergeCand) bool {
	for i := range group {
		for j := range group {
			if a, b := &group[i], &group[j]; a.op == b.op && canMerge(a, b) {
				return true
			}
		}
	}
	return false
}

// mergeGroup joins the candidates of one run of matches in out.
func (r *ruleCtx) mergeGroup(out []Stmt, group []*mergeCand) {
	sa := append([]*mergeCand(nil), group...)
	sort.SliceStable(sa, func(i, j int) bool {
		if sa[i].base != sa[j].base {
			return sa[i].base < sa[j].base
		}
		return sa[i].off < sa[j].off
	})
	// cur[i] is what the statement of sa[i] compares now.
	cur := make([]*mergeCand, len(sa))
	copy(cur, sa)
	joined := make([]bool, len(sa))
	last := 0
	for i := 1; i < len(sa); i++ {
		this := cur[i]
		if !canMerge(cur[last], this) || cur[last].op != this.op {
			last = i
			continue
		}
		m := &mergeCand{op: this.op, base: cur[last].base, off: cur[last].off, bits: cur[last].bits + this.bits,
			value: append(append([]byte(nil), cur[last].value...), this.value...)}
		joined[last], joined[i] = true, true
		if this.proto {
			// the joined match must not come before the protocol it
			// tests: it takes the protocol match's place
			m.proto = true
			cur[last] = nil
			cur[i] = m
			last = i
		} else {
			cur[last] = m
			cur[i] = nil
		}
	}
	for i, c := range sa {
		if !joined[i] {
			continue
		}
		s := out[c.idx]
		if cur[i] == nil {
			out[c.idx] = &mergedMember{srcSpan: s.span(), c: c}
			continue
		}
		m := cur[i]
		out[c.idx] = &mergedMatch{srcSpan: s.span(), base: m.base, off: m.off, bits: m.bits, value: m.value, op: m.op, own: c}
	}
}

func (m *mergedMember) compile(r *ruleCtx) error { return r.mergedDeps(m.c) }

func (m *mergedMatch) compile(r *ruleCtx) error {
	if err := r.mergedDeps(m.own); err != nil {
		return err
	}
	n := m.bits / 8
	reg := r.getReg(n)
	emitPayloadLoad(r, m.base, m.off/8, n, reg)
	r.emitCmp(reg, cmpOp(m.op), m.value)
	r.putReg(n)
	return nil
}

// mergedDeps inserts a joined match's dependencies and learns what its
// equality tells.
func (r *ruleCtx) mergedDeps(c *mergeCand) error {
	if err := c.pl.deps(r); err != nil {
		return err
	}
	if c.op == "==" {
		r.learn(c.pl, c.value)
	}
	return nil
}

// expandPayload splits a load back into the header fields it covers, as
// nft's payload_expr_expand does for every compared load: fields in
// their template order, each starting where the previous ended. nil when
// the load does not end on a field's end (a prefix, or no header known).
func (d *delin) expandPayload(base, off, bits int) []*payloadExpr {
	desc := d.proto[base]
	if desc == nil {
		return nil
	}
	var out []*payloadExpr
	for i := range desc.fields {
		f := &desc.fields[i]
		if desc.offset+f.offset != off || !d.icmpFieldFits(desc, f) {
			continue
		}
		if f.bits > bits {
			return nil
		}
		out = append(out, &payloadExpr{desc: desc, field: f})
		off += f.bits
		bits -= f.bits
		if bits == 0 {
			return out
		}
	}
	return nil
}

// expandCmp prints a compare of a load covering several fields as one
// match per field (split values), each its own statement as in nft's
// payload_match_expand, so that a protocol field among them (the ether
// type nft merged in as a dependency) is dropped when a later header
// implies it. It reports false, printing nothing, when the load does
// not cover several fields.
func (d *delin) expandCmp(pl *payloadExpr, v []byte, op uint32) bool {
	if op != opEq && op != opNeq {
		return false
	}
	fields := d.expandPayload(pl.base(), pl.offset(), len(v)*8)
	if len(fields) < 2 {
		return false
	}
	at := 0
	for _, f := range fields {
		n := f.bits() / 8
		fv := v[at : at+n]
		at += n
		d.killDeps(f)
		opText := ""
		if op == opNeq {
			opText = "!= "
		}
		idx := len(d.stmts)
		d.stmts = append(d.stmts, fmt.Sprintf("%s %s%s", f.text(), opText, formatValue(f.dtype(), fv, d.o)))
		if op == opEq {
			d.isDependency(f, fv, idx) // learns what it tells too
		}
	}
	return true
}
