package compat

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/xtnl/xtnl"
)

// builder turns rulespecs into encoded rules, reusing its memory from one
// rule to the next: Append, Restore and the rule comparisons build
// thousands of rules without allocating for each. What a builder returns
// (Specs, encoded rules) is valid until it parses or encodes again.
type builder struct {
	p      parser
	exprs  []byte
	compat xtnl.RuleCompat
	raw    xtnl.RawRule
}

// Builders are reused: one spare kept at hand (a single append, the
// common case, takes it with one atomic swap and finds it warm, even
// right after a collection has emptied the pool), the others pooled.
var (
	spareBuilder atomic.Pointer[builder]
	builders     = sync.Pool{New: func() any { return new(builder) }}
)

func getBuilder() *builder {
	if b := spareBuilder.Swap(nil); b != nil {
		return b
	}
	return builders.Get().(*builder)
}

// putBuilder returns b for reuse; nothing it returned may be used after.
func putBuilder(b *builder) {
	if cap(b.exprs) > 64<<10 {
		return // an outsized rule: let its memory go
	}
	if !spareBuilder.CompareAndSwap(nil, b) {
		builders.Put(b)
	}
}

// parse parses a rulespec (see ParseIn).
func (b *builder) parse(nsFd int, fam Family, table, chain string, args []string) ([]*Spec, error) {
	return b.p.parse(nsFd, fam, table, chain, args)
}

// encode encodes s as the kernel takes it: the rule iptables-nft writes,
// its expressions already encoded (Spec.appendExprs).
func (b *builder) encode(s *Spec) (*xtnl.RawRule, error) {
	if s.Table == "" || s.Chain == "" {
		return nil, fmt.Errorf("compat: rule without table or chain: %w", ErrBadSpec)
	}
	var err error
	if b.exprs, err = s.appendExprs(b.exprs[:0]); err != nil {
		return nil, err
	}
	b.compat = s.compat()
	b.raw = xtnl.RawRule{Family: s.Family.xtnlFamily(), Table: s.Table, Chain: s.Chain, Exprs: b.exprs, Compat: &b.compat}
	return &b.raw, nil
}
