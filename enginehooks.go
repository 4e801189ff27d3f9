package xtnl

import (
	"slices"

	"github.com/xtnl/xtnl/internal/enginehooks"
)

// compat's speed hooks (per-connection state, chain re-reads from an
// earlier listing, transactions built on several goroutines) go through
// an internal package rather than this package's API.
func init() {
	enginehooks.Register(enginehooks.Hooks[*Conn, *Tx, *RawRule, Family]{
		Attached:     (*Conn).attachedValue,
		ListRulesRaw: (*Conn).listRulesRaw,
		ListRulesRawAt: func(c *Conn, gen uint32, fam Family, table, chain string, prev []*RawRule, reuse bool) ([]*RawRule, []int32, error) {
			return c.listRulesRawAt(pinnedGen{set: true, gen: gen}, fam, table, chain, prev, reuse)
		},
		EachRuleRawAt: func(c *Conn, gen uint32, fam Family, table, chain string, start func(), each func(r *RawRule) error) error {
			return c.eachRuleRawAt(pinnedGen{set: true, gen: gen}, fam, table, chain, start, each)
		},
		GetRuleRaw: (*Conn).getRuleRaw,
		Sibling:    (*Conn).sibling,
		Reserve:    (*Tx).reserve,
		ReserveOps: func(tx *Tx, n int) { tx.ops = slices.Grow(tx.ops, n) },
		Cut:        (*Tx).cut,
		Merge:      (*Tx).merge,
	})
}
