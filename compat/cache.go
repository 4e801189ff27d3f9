package compat

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
)

// What compat keeps of the kernel's state, per connection, valid while the
// ruleset generation is unchanged: an unchanged chain costs one GETGEN
// round trip to re-read, and a chain re-read after a change elsewhere
// costs its dump, the comparison keys of its rules and map look-ups:
// rules are decoded only when their key is new, and only when something
// asks for their meaning (Exists finds a rule by key). Decisions taken
// from the cache are committed conditionally on the generation they were
// read at (IPTables.update), so a stale read can never be acted on.
//
// The state is attached to its connection (enginehooks' Attached) and goes
// with it.
type connState struct {
	mu sync.Mutex
	// memo decodes by comparison key, per family (IPv4, IPv6), filed
	// under the key's hash (see decoded.src); the decoded rules'
	// counters are zero (each rule's own are in its bytes, see
	// chainSnap.spec).
	memo   [2]map[uint64]*decoded
	specs  map[string][]wanted // rulespec (appendSpecKey) → its rules
	key    []byte              // appendSpecKey's buffer for look-ups
	chains map[chainKey]*chainSnap
	tables map[tableKey]*tableSnap
	// bytes is about what memo, specs and chains hold; past budget
	// (CacheBudget when the state was made) they start over.
	bytes, budget int64
	// update serializes this connection's read-decide-commit cycles.
	update sync.Mutex
	// appended is where this connection's latest appends went
	// (own_appends.go), for Exists to find them without a dump.
	appended map[appendedKey]uint64
}

// DefaultCacheBudget is CacheBudget's value until SetCacheBudget changes
// it: 64 MiB.
const DefaultCacheBudget = 64 << 20

var cacheBudget atomic.Int64

func init() { cacheBudget.Store(DefaultCacheBudget) }

// SetCacheBudget bounds, in bytes, what compat keeps per connection (one
// per network namespace) of what it has read and parsed: chain snapshots,
// rules' decoded forms, rulespecs asked about. Past the budget the cache
// starts over, so memory stays bounded whatever callers ask, at the cost
// of reading and parsing again. It applies to connections first used
// after the call; n <= 0 restores the default. A ruleset of about 100k
// rules needs about 100 MiB to be kept whole.
func SetCacheBudget(n int64) {
	if n <= 0 {
		n = DefaultCacheBudget
	}
	cacheBudget.Store(n)
}

// Approximate costs, in bytes, of a cache entry beyond its strings and
// slices: the structs and their map slots.
const (
	decodedOverhead = 160
	wantedOverhead  = 64
	specOverhead    = 96
	ruleOverhead    = 120 // a snapshot's rule: RawRule, hash, slots
)

// chargeLocked counts n more bytes kept; past the budget everything
// starts over. st.mu is held.
func (st *connState) chargeLocked(n int64) {
	st.bytes += n
	if st.bytes > st.budget {
		st.startOverLocked()
	}
}

// startOverLocked drops what the state keeps; the kernel is read again
// and rulespecs parsed again as they are asked for.
func (st *connState) startOverLocked() {
	for i := range st.memo {
		st.memo[i] = map[uint64]*decoded{}
	}
	st.specs = map[string][]wanted{}
	st.chains = map[chainKey]*chainSnap{}
	st.tables = map[tableKey]*tableSnap{}
	st.bytes = 0
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
	// spec is the rule's form, once asked for (chainSnap.spec): a listing
	// needs only body and line, and decodes into reused memory.
	spec atomic.Pointer[Spec]
	body string
	line string // "-A CHAIN"+body, when it was printed whole
	err  error
	// src is the expressions it was decoded from: the memo keeps them,
	// not their comparison key (expr.AppendKey), and derives the key
	// again to tell keys of one hash apart. A dumped rule's are its own
	// bytes, not a copy: a first listing of 10k rules would otherwise
	// copy ~3.5 MB of keys into fresh memory.
	src  []byte
	next *decoded // a memo entry of another key with the same hash
}

// reserve makes room in fam's memo for n more entries, when that is more
// than it holds: a first listing of a large chain would otherwise grow
// the map again and again, leaving each smaller table as garbage.
func (st *connState) reserve(fam Family, n int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	memo := st.memoOf(fam)
	if n <= len(memo) {
		return
	}
	if int64(n)*decodedOverhead > st.budget-st.bytes {
		return
	}
	bigger := make(map[uint64]*decoded, len(memo)+n)
	for h, d := range memo {
		bigger[h] = d
	}
	st.memo[memoIndex(fam)] = bigger
}

// memoOf is fam's memo; st.mu is held.
func (st *connState) memoOf(fam Family) map[uint64]*decoded { return st.memo[memoIndex(fam)] }

func memoIndex(fam Family) int {
	if fam == IPv6 {
		return 1
	}
	return 0
}

// lineChain is the chain of d's line.
func (d *decoded) lineChain() string {
	return d.line[len("-A ") : len(d.line)-len(d.body)]
}

// wanted is a rule a rulespec makes, as the chain snapshots compare it:
// by comparison key first, by canonical -S body (meaning) when no key is
// equal.
type wanted struct {
	key  string
	hash uint64 // of key, with keySeed
	body string
}

// tableSnap is a table's chains (without rules) at generation gen.
type tableSnap struct {
	gen   uint32
	table *tableView
}

type stateKey struct{}

func connStateOf(conn *xtnl.Conn) *connState {
	return engine.Attached(conn, stateKey{}, func() any { return newConnState() }).(*connState)
}

// newConnState is a connection's state before anything is known.
func newConnState() *connState {
	return &connState{
		memo:   [2]map[uint64]*decoded{{}, {}},
		specs:  map[string][]wanted{},
		chains: map[chainKey]*chainSnap{},
		tables: map[tableKey]*tableSnap{},
		budget: cacheBudget.Load(),
	}
}

// state is the compat state of ipt's connection: a bound IPTables'
// (bind), or, for tests looking in, that of the connection a call made
// now would use.
func (ipt *IPTables) state() *connState {
	if ipt.cache != nil {
		return ipt.cache
	}
	if ipt.conn != nil {
		return connStateOf(ipt.conn)
	}
	b, held, err := ipt.bind()
	if err != nil {
		return newConnState()
	}
	defer b.release(held)
	return b.cache
}

// decode returns the iptables form of a rule whose comparison key has
// the hash hash, decoding it only the first time the key is seen. The
// form's counters are zero (a rule without a counter has none).
//
// A dumped rule's bytes are its own for good, and are decoded in sc, the
// memory the caller reuses from rule to rule, keeping the form (the Spec)
// only when keep is set; for any other rule (an encoding in a builder)
// sc is nil, and the form and a copy of the bytes are kept.
func (st *connState) decode(nsFd int, fam Family, r *xtnl.RawRule, hash uint64, sc *decodeScratch, keep bool) *decoded {
	st.mu.Lock()
	d := st.memoOf(fam)[hash]
	st.mu.Unlock()
	// Entries are never changed once filed: compared without the lock.
	// The keys are derived only for an entry of the hash whose bytes
	// differ (other counters, or another key): a first listing's rules
	// find no entry at all.
	var key []byte
	for ; d != nil; d = d.next {
		if bytes.Equal(d.src, r.Exprs) {
			break // the same bytes: the same key
		}
		if key == nil {
			key = expr.AppendKey(nil, r.Exprs)
		}
		if bytes.Equal(expr.AppendKey(nil, d.src), key) {
			break
		}
	}
	if d != nil {
		if d.line != "" && d.lineChain() != r.Chain {
			// Same expressions in another chain: share the decoding,
			// not the line (chainSnap.spec sees to the form's chain).
			o := &decoded{body: d.body, src: d.src}
			o.spec.Store(d.spec.Load())
			return o
		}
		return d
	}
	var s *Spec
	var err error
	if sc == nil {
		s, err = formOf(nsFd, fam, r)
		keep = true
	} else {
		s, err = sc.decode(nsFd, fam, r, keep)
	}
	switch {
	case err != nil:
		d = &decoded{err: err, body: "\x00unrepresentable"}
	case sc == nil:
		line, body := s.line(s.writer())
		d = &decoded{body: body, line: line}
	default:
		line, body := s.line(sc.writer(s))
		d = sc.entries.New()
		d.line = sc.keep(line)
		d.body = d.line[len(d.line)-len(body):]
	}
	if err == nil && keep {
		d.spec.Store(s)
	}
	d.src = r.Exprs
	if sc == nil {
		d.src = bytes.Clone(r.Exprs)
	}
	st.mu.Lock()
	st.chargeLocked(int64(decodedOverhead + len(d.src) + len(d.line)))
	memo := st.memoOf(fam)
	d.next = memo[hash]
	memo[hash] = d
	st.mu.Unlock()
	return d
}

// formOf decodes r's iptables form for good, in memory of its own, as the
// memo keeps it (memoForm).
func formOf(nsFd int, fam Family, r *xtnl.RawRule) (*Spec, error) {
	rule, err := r.Decode()
	if err != nil {
		return nil, err
	}
	return memoForm(DecodeIn(nsFd, fam, rule))
}

// memoForm makes a form decoded for good fit the memo: its counters zero
// (a rule without a counter keeps none), since rules of one key differ in
// theirs (each rule's own are in its bytes: chainSnap.spec).
func memoForm(s *Spec, err error) (*Spec, error) {
	if err == nil && s.Counters != nil {
		s.Counters = &Counters{}
	}
	return s, err
}

// canonicals returns the rules a rulespec makes (one per combination of
// its addresses), as snapshots compare them, memoized by the rulespec: a
// rule asked about again is neither parsed nor encoded again, and the
// look-up allocates nothing.
func (ipt *IPTables) canonicals(table, chain string, rulespec []string) ([]wanted, error) {
	return ipt.canonicalsOf(nil, nil, table, chain, rulespec)
}

// canonicalsOf is canonicals for a caller that has parsed the rulespec
// into b already (specs; nil: not parsed), which it then is not again.
func (ipt *IPTables) canonicalsOf(b *builder, specs []*Spec, table, chain string, rulespec []string) ([]wanted, error) {
	if err := checkTableChain(table, chain); err != nil {
		return nil, err
	}
	st := ipt.state()
	st.mu.Lock()
	st.key = appendSpecKey(st.key[:0], ipt.fam, table, chain, rulespec)
	wants, ok := st.specs[string(st.key)]
	var specKey string
	if !ok {
		specKey = string(st.key) // st.key is shared: copied while held
	}
	st.mu.Unlock()
	if ok {
		return wants, nil
	}
	if specs == nil {
		b = getBuilder()
		defer putBuilder(b)
		var err error
		if specs, err = ipt.parse(b, table, chain, rulespec); err != nil {
			return nil, err
		}
	}
	wants = make([]wanted, len(specs))
	for i, s := range specs {
		r, err := b.encode(s)
		if err != nil {
			return nil, wrapErr(err)
		}
		key := string(expr.AppendKey(nil, r.Exprs))
		hash := maphash.String(keySeed, key)
		d := st.decode(ipt.nsFd(), ipt.fam, r, hash, nil, true)
		if d.err != nil {
			return nil, wrapErr(d.err)
		}
		wants[i] = wanted{key: key, hash: hash, body: d.body}
	}
	size := int64(specOverhead + len(specKey))
	for _, w := range wants {
		size += int64(wantedOverhead + len(w.key) + len(w.body))
	}
	st.mu.Lock()
	st.chargeLocked(size)
	st.specs[specKey] = wants
	st.mu.Unlock()
	return wants, nil
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

// tableAt returns a table's chains (no rules) for a generation just
// read; with counts, read anew (see chainRead).
func (ipt *IPTables) tableAt(gen uint32, table string, counts bool) (*tableView, error) {
	st := ipt.state()
	key := tableKey{ipt.fam, table}
	st.mu.Lock()
	ts := st.tables[key]
	st.mu.Unlock()
	if ts != nil && ts.gen == gen && !counts {
		return ts.table, nil
	}
	t, err := readTable(ipt.conn, ipt.fam, table)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	st.tables[key] = &tableSnap{gen: gen, table: t}
	st.mu.Unlock()
	return t, nil
}
