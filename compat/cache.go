package compat

import (
	"encoding/binary"
	"sync"

	"github.com/xtnl/xtnl"
)

// A per-connection cache of what the kernel holds, valid while the
// ruleset generation is unchanged: an unchanged chain costs one GETGEN
// round trip to re-read, and a chain re-read after a change elsewhere
// costs its dump and map lookups, because rules are decoded only when
// their encoding is new. Decisions taken from the cache are committed
// conditionally on the generation they were read at (IPTables.update), so
// a stale read can never be acted on.
type ruleCache struct {
	mu     sync.Mutex
	rules  [2]map[string]decoded // per family (IPv4, IPv6): raw expression bytes → decoded rule
	specs  map[string][]string   // rulespec (appendSpecKey) → canonical bodies
	key    []byte                // appendSpecKey's buffer for look-ups
	chains map[chainKey]*chainSnap
	tables map[tableKey]*tableSnap
}

type chainKey struct {
	fam          Family
	table, chain string
}

type tableKey struct {
	fam   Family
	table string
}

// decoded is one rule's iptables form, or why it has none.
type decoded struct {
	spec *Spec
	body string
	err  error
}

// chainSnap is one chain's rules at generation gen.
type chainSnap struct {
	gen    uint32
	exists bool
	rules  []*xtnl.RawRule
	dec    []decoded
	index  map[string][]int // canonical body → positions

	linesOnce sync.Once
	lines     []string // -S lines, computed once per snapshot
	linesErr  error
}

// sLines returns the chain's rules as -S prints them (no counters).
func (s *chainSnap) sLines() ([]string, error) {
	s.linesOnce.Do(func() {
		s.lines = make([]string, 0, len(s.dec))
		for _, d := range s.dec {
			if d.err != nil {
				s.linesErr = d.err
				return
			}
			s.lines = append(s.lines, "-A "+d.spec.Chain+d.body)
		}
	})
	return s.lines, s.linesErr
}

// tableSnap is a table's chains (without rules) at generation gen.
type tableSnap struct {
	gen   uint32
	table *tableView
}

// cacheLimit bounds the decoded-rule memo; past it the memo starts over.
const cacheLimit = 1 << 18

var caches sync.Map // *xtnl.Conn → *ruleCache

func cacheFor(conn *xtnl.Conn) *ruleCache {
	if c, ok := caches.Load(conn); ok {
		return c.(*ruleCache)
	}
	c, _ := caches.LoadOrStore(conn, &ruleCache{
		rules:  [2]map[string]decoded{{}, {}},
		specs:  map[string][]string{},
		chains: map[chainKey]*chainSnap{},
		tables: map[tableKey]*tableSnap{},
	})
	return c.(*ruleCache)
}

// decode returns the iptables form of a raw rule, decoding it only the
// first time its encoding is seen.
func (rc *ruleCache) decode(nsFd int, fam Family, r *xtnl.RawRule) decoded {
	memo := rc.rules[0]
	if fam == IPv6 {
		memo = rc.rules[1]
	}
	rc.mu.Lock()
	d, ok := memo[string(r.Exprs)] // no allocation for the lookup
	rc.mu.Unlock()
	if ok {
		if d.spec != nil && (d.spec.Table != r.Table || d.spec.Chain != r.Chain) {
			// Same expressions in another chain: share the decoding,
			// not the chain name.
			s := *d.spec
			s.Table, s.Chain = r.Table, r.Chain
			d.spec = &s
		}
		return d
	}
	rule, err := r.Decode()
	if err == nil {
		var s *Spec
		if s, err = DecodeIn(nsFd, fam, rule); err == nil {
			d = decoded{spec: s, body: s.Body()}
		}
	}
	if err != nil {
		d = decoded{err: err, body: "\x00unrepresentable"}
	}
	rc.mu.Lock()
	if len(memo) >= cacheLimit {
		clear(memo)
	}
	memo[string(r.Exprs)] = d
	rc.mu.Unlock()
	return d
}

// chain returns a snapshot of a chain no older than the current
// generation.
func (ipt *IPTables) chain(table, chain string) (*chainSnap, error) {
	gen, err := ipt.conn.Generation()
	if err != nil {
		return nil, err
	}
	return ipt.chainAt(gen, table, chain)
}

// chainAt is chain for a generation just read.
func (ipt *IPTables) chainAt(gen uint32, table, chain string) (*chainSnap, error) {
	var err error
	rc := cacheFor(ipt.conn)
	key := chainKey{ipt.fam, table, chain}
	rc.mu.Lock()
	snap := rc.chains[key]
	rc.mu.Unlock()
	if snap != nil && snap.gen == gen {
		return snap, nil
	}
	snap = &chainSnap{gen: gen, exists: true}
	if isTable(table) {
		snap.rules, err = ipt.conn.ListRulesRaw(ipt.fam.xtnlFamily(), table, chain)
	}
	switch {
	case !isTable(table) || isNotExist(err):
		// A built-in chain exists (empty) before its first use.
		snap.exists, snap.rules = IsBuiltinChain(table, chain) && isTable(table), nil
	case err != nil:
		return nil, err
	}
	snap.dec = make([]decoded, len(snap.rules))
	snap.index = make(map[string][]int, len(snap.rules))
	for i, r := range snap.rules {
		d := rc.decode(ipt.nsFd(), ipt.fam, r)
		snap.dec[i] = d
		snap.index[d.body] = append(snap.index[d.body], i)
	}
	rc.mu.Lock()
	rc.chains[key] = snap
	rc.mu.Unlock()
	return snap, nil
}

// find returns the position of the first rule whose canonical body is
// body, or -1.
func (s *chainSnap) find(body string) int {
	if pos := s.index[body]; len(pos) > 0 {
		return pos[0]
	}
	return -1
}

// canonicals returns the canonical bodies of a rulespec's rules (one per
// combination of its addresses), memoized by the rulespec: a rule asked
// about again is neither parsed nor encoded again, and the look-up
// allocates nothing.
func (ipt *IPTables) canonicals(table, chain string, rulespec []string) ([]string, error) {
	if err := checkTableChain(table, chain); err != nil {
		return nil, err
	}
	rc := cacheFor(ipt.conn)
	rc.mu.Lock()
	rc.key = appendSpecKey(rc.key[:0], ipt.fam, table, chain, rulespec)
	bodies, ok := rc.specs[string(rc.key)]
	rc.mu.Unlock()
	if ok {
		return bodies, nil
	}
	b := getBuilder()
	defer putBuilder(b)
	specs, err := ipt.parse(b, table, chain, rulespec)
	if err != nil {
		return nil, err
	}
	bodies = make([]string, len(specs))
	for i, s := range specs {
		r, err := b.encode(s)
		if err != nil {
			return nil, wrapErr(err)
		}
		d := rc.decode(ipt.nsFd(), ipt.fam, r)
		if d.err != nil {
			return nil, wrapErr(d.err)
		}
		bodies[i] = d.body
	}
	key := string(appendSpecKey(nil, ipt.fam, table, chain, rulespec))
	rc.mu.Lock()
	if len(rc.specs) >= cacheLimit {
		clear(rc.specs)
	}
	rc.specs[key] = bodies
	rc.mu.Unlock()
	return bodies, nil
}

// appendSpecKey appends the memo key of a rulespec: every part
// length-prefixed, so no two rulespecs share one.
func appendSpecKey(b []byte, fam Family, table, chain string, rulespec []string) []byte {
	b = append(b, byte(fam))
	b = binary.AppendUvarint(b, uint64(len(table)))
	b = append(b, table...)
	b = binary.AppendUvarint(b, uint64(len(chain)))
	b = append(b, chain...)
	for _, a := range rulespec {
		b = binary.AppendUvarint(b, uint64(len(a)))
		b = append(b, a...)
	}
	return b
}

// tableAt returns a table's chains (no rules) for a generation just read.
func (ipt *IPTables) tableAt(gen uint32, table string) (*tableView, error) {
	rc := cacheFor(ipt.conn)
	key := tableKey{ipt.fam, table}
	rc.mu.Lock()
	ts := rc.tables[key]
	rc.mu.Unlock()
	if ts != nil && ts.gen == gen {
		return ts.table, nil
	}
	t, err := readTable(ipt.conn, ipt.fam, table, false)
	if err != nil {
		return nil, err
	}
	rc.mu.Lock()
	rc.tables[key] = &tableSnap{gen: gen, table: t}
	rc.mu.Unlock()
	return t, nil
}

// handles lists a snapshot's rule handles, in order.
func (s *chainSnap) handles() []uint64 {
	h := make([]uint64, len(s.rules))
	for i, r := range s.rules {
		h[i] = r.Handle
	}
	return h
}
