package nft

import (
	"bytes"
	"sort"

	"github.com/xtnl/xtnl"
)

// nft reads an interval set's elements before it changes them
// (intervals.c): it refuses to add an element inside, or across, an
// interval the set holds ("interval overlaps with an existing one") and
// to delete an interval the set does not hold as such ("element does not
// exist"), pointing at the element. Checked here for sets of one key in
// network byte order (addresses, ports) that do not merge their elements.

// intervalLister is a Lookup that can read a kernel set's intervals.
type intervalLister interface {
	setIntervals(fam xtnl.Family, table, set string) ([]span, bool)
}

// span is an interval's lowest and highest key, big-endian.
type span struct{ lo, hi []byte }

func (l connLookup) setIntervals(fam xtnl.Family, table, set string) ([]span, bool) {
	rs := &ruleset{tables: []*kTable{{fam: fam, name: table}}}
	if err := readSets(l.c, rs, fam, table); err != nil {
		return nil, false
	}
	s := rs.tables[0].set(set)
	if s == nil {
		return nil, false
	}
	elems := append([]kElem(nil), s.elems...)
	sortElems(elems, orderBig)
	var out []span
	for i, e := range elems {
		if e.flags&elemIntervalEnd != 0 || e.key == nil {
			continue
		}
		hi := bytes.Repeat([]byte{0xff}, len(e.key))
		if i+1 < len(elems) {
			hi = decrement(elems[i+1].key)
		}
		out = append(out, span{e.key, hi})
	}
	return out, true
}

// checkIntervals makes nft's checks of an element command on a kernel
// interval set; nil when they pass or do not apply.
func (cc *compileCtx) checkIntervals(c *Command, si *setInfo) error {
	il, ok := cc.lookup.(intervalLister)
	if !ok || !si.interval || si.li == nil || si.li.concat || si.li.order != orderBig {
		return nil
	}
	if sl, ok := cc.lookup.(SetLookup); ok {
		if d, ok := sl.Set(c.Family, c.Table, c.Name); ok {
			if v, ok := udataU32(d.Userdata, udataSetMerge); ok && v != 0 {
				return nil // auto-merge: nft merges instead
			}
		}
	}
	existing, ok := il.setIntervals(c.Family, c.Table, c.Name)
	if !ok {
		return nil
	}
	type item struct {
		span
		at     srcSpan
		kernel bool
	}
	items := make([]item, 0, len(existing)+len(c.elems.elems))
	for _, s := range existing {
		items = append(items, item{span: s, kernel: true})
	}
	r := &ruleCtx{cc: cc, reg: 1}
	for _, e := range c.elems.elems {
		key := e
		if m, ok := key.(*mappingExpr); ok {
			key = m.key
		}
		if el, ok := key.(*elemExpr); ok {
			key = el.key
		}
		if _, ok := key.(*catchallExpr); ok {
			continue
		}
		b, err := r.natBounds(key, si.li)
		if err != nil || len(b.lo) != len(b.hi) {
			return nil // the compiler says what is wrong with it
		}
		items = append(items, item{span: span{b.lo, b.hi}, at: key.span()})
	}
	sort.SliceStable(items, func(i, j int) bool { return bytes.Compare(items[i].lo, items[j].lo) < 0 })
	if c.Op == "delete" || c.Op == "destroy" {
		// setelem_delete: each interval to delete is the last one held
		// before it, exactly
		var prev *item
		for i := range items {
			it := &items[i]
			if it.kernel {
				prev = it
				continue
			}
			if prev == nil || !bytes.Equal(prev.lo, it.lo) || !bytes.Equal(prev.hi, it.hi) {
				return cc.errAt(it.at, "element does not exist")
			}
		}
		return nil
	}
	// setelem_overlap
	for i := 1; i < len(items); i++ {
		prev, it := &items[i-1], &items[i]
		if bytes.Equal(prev.lo, it.lo) && bytes.Equal(prev.hi, it.hi) {
			continue
		}
		inside := bytes.Compare(prev.lo, it.lo) <= 0 && bytes.Compare(prev.hi, it.hi) >= 0
		if inside || bytes.Compare(it.lo, prev.hi) <= 0 {
			switch {
			case prev.kernel && !it.kernel:
				return cc.errAt(it.at, "interval overlaps with an existing one")
			case it.kernel && !prev.kernel:
				return cc.errAt(prev.at, "interval overlaps with an existing one")
			}
			return nil // two of the script's: left to the compiler
		}
	}
	return nil
}

// kernelSetHasElements reports whether a kernel interval set holds
// elements already (then nft writes no first segment).
func (cc *compileCtx) kernelSetHasElements(c *Command, si *setInfo) bool {
	il, ok := cc.lookup.(intervalLister)
	if !ok || !si.interval {
		return false
	}
	existing, ok := il.setIntervals(c.Family, c.Table, c.Name)
	return ok && len(existing) > 0
}
