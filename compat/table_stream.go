package compat

import (
	"errors"
	"fmt"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/internal/enginehooks"
)

// tableStream is what reads a whole table for printing it (Save,
// ListTable) does with it: the table's chains, then every rule of every
// chain in order, each decoded into scratch memory that the next rule
// reuses. Nothing is kept but what the consumer prints, so a save of a
// kube-proxy-sized table touches little fresh memory (a first write to a
// fresh page is a fault that costs ~10 µs on a virtual machine: most of a
// save that kept snapshots went there), and the connection's cache of
// snapshots is neither used nor filled.
type tableStream struct {
	// head starts every attempt: what an attempt that started over gave
	// the consumer is to be dropped. An error ends the read.
	head func(t *tableView) error
	// begin runs before each dump of chain i: once, or again when its
	// dump started over, dropping what this chain gave so far.
	begin func(i int, c *chainView)
	// rule is a rule of chain i, in scratch memory valid until the next
	// call.
	rule func(i int, c *chainView, s *Spec) error
}

// streamTable reads a table at one generation, each chain dumped on its
// own as iptables-nft reads a table, with the generation read once before
// and once after: a table that changed meanwhile is read again. With
// counts, the chains' counters are read anew.
func (ipt *IPTables) streamTable(table string, counts bool, ts tableStream) (*tableView, error) {
	var sc decodeScratch
	nsFd := ipt.nsFd()
	fam := ipt.fam.xtnlFamily()
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			backoff(attempt)
		}
		gen, err := ipt.conn.Generation()
		if err != nil {
			return nil, err
		}
		t, err := ipt.tableAt(gen, table, counts)
		if err != nil {
			return nil, err
		}
		if err := ts.head(t); err != nil {
			return nil, err
		}
		for i, c := range t.chains {
			ts.begin(i, c)
			if !c.exists {
				continue
			}
			err = engine.EachRuleRawAt(ipt.conn, gen, fam, table, c.name, func() { ts.begin(i, c) }, func(r *xtnl.RawRule) error {
				s, err := sc.decode(nsFd, ipt.fam, r, false)
				if err != nil {
					return err
				}
				return ts.rule(i, c, s)
			})
			if err != nil {
				break
			}
		}
		if err == nil {
			var now uint32
			if now, err = ipt.conn.Generation(); err != nil {
				return nil, err
			}
			if now == gen {
				return t, nil
			}
			continue
		}
		// A chain gone (ENOENT) is the ruleset moving on as well.
		if !errors.Is(err, enginehooks.ErrGenerationMoved) && !isNotExist(err) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("compat: reading table %s: gave up after %d attempts, the ruleset kept changing: %w", table, maxAttempts, enginehooks.ErrGenerationMoved)
}
