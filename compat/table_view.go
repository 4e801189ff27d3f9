package compat

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/internal/enginehooks"
)

// tableView is one iptables table as the kernel holds it: its built-in
// chains (present or not: iptables-nft shows them either way, with policy
// ACCEPT) and its user chains sorted by name. It is compat's one view of a
// ruleset: each chain's rules are a chainSnap (snapshot.go), and both are
// kept per generation in the connection's state (cache.go), so List,
// Exists, Delete and the other rule operations read the same snapshots.
// Save and ListTable print a whole table and keep none of it: they read
// the same tableView, then its rules through streamTable.
type tableView struct {
	fam    Family
	name   string
	exists bool
	chains []*chainView
	// byName indexes chains (readTable's views): a kube-proxy table has
	// tens of thousands, looked up twice per rule.
	byName map[string]*chainView
}

type chainView struct {
	name     string
	builtin  bool
	exists   bool // in the kernel; built-ins may not be yet
	policy   string
	counters Counters
	handle   uint64
}

func (t *tableView) chain(name string) *chainView {
	if t.byName != nil {
		return t.byName[name]
	}
	for _, c := range t.chains {
		if c.name == name {
			return c
		}
	}
	return nil
}

// readTable reads a table's chains.
func readTable(conn *xtnl.Conn, fam Family, table string) (*tableView, error) {
	if !isTable(table) {
		return nil, notFound(errNoChain)
	}
	f := fam.xtnlFamily()
	t := &tableView{fam: fam, name: table}
	chains, err := conn.ListChains(f, table)
	if err != nil {
		return nil, err
	}
	byName := map[string]*xtnl.Chain{}
	for _, ch := range chains {
		byName[ch.Name] = ch
	}
	for _, b := range builtinTables[table] {
		cv := &chainView{name: b.name, builtin: true, policy: "ACCEPT"}
		if ch := byName[b.name]; ch != nil && ch.Base != nil {
			cv.exists, cv.handle = true, ch.Handle
			if ch.Base.Policy != nil && *ch.Base.Policy == xtnl.PolicyDrop {
				cv.policy = "DROP"
			}
			if ch.Counters != nil {
				cv.counters = Counters{Packets: ch.Counters.Packets, Bytes: ch.Counters.Bytes}
			}
			delete(byName, b.name)
		}
		t.chains = append(t.chains, cv)
	}
	var user []*chainView
	for _, ch := range chains {
		if _, ok := byName[ch.Name]; !ok || ch.Base != nil {
			continue
		}
		user = append(user, &chainView{name: ch.Name, exists: true, handle: ch.Handle})
	}
	slices.SortFunc(user, func(a, b *chainView) int { return strings.Compare(a.name, b.name) })
	t.chains = append(t.chains, user...)
	t.byName = make(map[string]*chainView, len(t.chains))
	for _, c := range t.chains {
		t.byName[c.name] = c
	}
	t.exists = len(chains) > 0
	if !t.exists {
		// The table may exist without chains; an empty dump tells too.
		tables, err := conn.ListTables(f)
		if err != nil {
			return nil, err
		}
		for _, tb := range tables {
			if tb.Name == table {
				t.exists = true
			}
		}
		return t, nil
	}
	return t, nil
}

// rulesetAt reads a table at one generation (chain "" for all its
// chains, else that one) with each chain's snapshot; with counts, both
// are read anew, for their counters.
//
// Each chain is dumped on its own, as iptables-nft reads a table (one
// dump of a whole table makes the kernel walk it again from the start for
// every datagram), with the generation read once before and once after.
// (Save and ListTable, which print a whole table and keep nothing, read
// through streamTable instead.)
func (ipt *IPTables) rulesetAt(table, chain string, counts bool) (r ruleset, err error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			backoff(attempt)
		}
		var gen uint32
		if gen, err = ipt.conn.Generation(); err != nil {
			return r, err
		}
		r, err = ipt.rulesetPinned(gen, table, chain, counts)
		if err == nil {
			var now uint32
			if now, err = ipt.conn.Generation(); err != nil {
				return r, err
			}
			if now == gen {
				return r, nil
			}
		} else if !errors.Is(err, enginehooks.ErrGenerationMoved) {
			return r, err
		}
		ipt.state().forgetAt(ipt.fam, table, gen)
	}
	return r, fmt.Errorf("compat: reading table %s: gave up after %d attempts, the ruleset kept changing: %w", table, maxAttempts, enginehooks.ErrGenerationMoved)
}

// backoff waits a little, randomly and longer after each attempt, so a
// reader that keeps losing to writers spreads out.
func backoff(attempt int) {
	time.Sleep(time.Duration(rand.Int64N(int64(100 * time.Microsecond << min(attempt, 6)))))
}

// rulesetPinned is one attempt of rulesetAt, at generation gen.
func (ipt *IPTables) rulesetPinned(gen uint32, table, chain string, counts bool) (r ruleset, err error) {
	if r.table, err = ipt.tableAt(gen, table, counts); err != nil {
		return r, err
	}
	r.chains = r.table.chains
	if chain != "" {
		c := r.table.chain(chain)
		if c == nil {
			return r, notFound(errNoChain)
		}
		r.chains = []*chainView{c}
	}
	r.snaps = make([]*chainSnap, len(r.chains))
	for i, c := range r.chains {
		if !c.exists {
			continue
		}
		if r.snaps[i], err = ipt.chainAt(gen, table, c.name, counts, true); err != nil {
			return r, err
		}
	}
	return r, nil
}

// ruleset is what rulesetAt read: the table, the chains asked for and
// their snapshots (nil for a built-in chain not in the kernel yet).
type ruleset struct {
	table  *tableView
	chains []*chainView
	snaps  []*chainSnap
}

func isNotExist(err error) bool {
	oe, ok := err.(*xtnl.OpError)
	return ok && oe.Errno == 2 // ENOENT
}

// policyLine prints "-P CHAIN POLICY" (with " -c P B" when counters).
func (c *chainView) policyLine(counters bool) string {
	s := "-P " + c.name + " " + c.policy
	if counters {
		s += " -c " + strconv.FormatUint(c.counters.Packets, 10) + " " + strconv.FormatUint(c.counters.Bytes, 10)
	}
	return s
}

// headerLine is "-P ..." for a built-in chain, "-N NAME" for a user chain.
func (c *chainView) headerLine(counters bool) string {
	if c.builtin {
		return c.policyLine(counters)
	}
	return "-N " + c.name
}
