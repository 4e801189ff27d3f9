package compat

import (
	"hash/maphash"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/internal/prefault"
)

// chainSnap is one chain's rules at generation gen, made from the dump:
// the rules and the hashes of their comparison keys. What else is asked
// of it is worked out once, when first asked: an index by key (Exists),
// the rules' iptables forms and -S lines (listings; a rule not found by
// key), an index by meaning (Delete).
//
// A chain read again after a change is mostly the rules it held before:
// each rule dumped with the same handle and the very same bytes as in the
// previous snapshot is that snapshot's rule (not a copy: see
// the engine's listing from an earlier one, enginehooks) and takes its key hash, form and line, so a
// re-read costs its dump and a comparison per rule, plus the work for
// what really changed.
type chainSnap struct {
	gen    uint32
	exists bool
	rules  []*xtnl.RawRule
	size   int64 // about what it holds, charged to st
	// dropped counts the rules that were in the chain when it was last
	// read whole into fresh memory and are gone since (see chainAt).
	dropped int
	// hashes are the hashes of the rules' comparison keys
	// (expr.AppendKey); the keys themselves are not kept, but made again
	// where a hash matches: a 10k chain's keys are megabytes of fresh
	// memory, and a first Exists needs none of them.
	hashes []uint64

	st   *connState
	nsFd int
	fam  Family

	byKeyOnce sync.Once
	byKey     map[uint64]int32 // key hash → first position with it
	nextKey   []int32          // → next position with the same hash, or -1

	decodeOnce sync.Once
	decodeDone atomic.Bool
	dec        []*decoded // filled from the previous snapshot where it could be

	byBodyOnce sync.Once
	byBody     map[string][]int32 // canonical -S body → positions

	linesOnce sync.Once
	linesDone atomic.Bool
	lines     []string // -S lines, filled from the previous snapshot where it could be
	linesErr  error
}

// keySeed hashes comparison keys for the by-key index.
var keySeed = maphash.MakeSeed()

// chain returns a snapshot of a chain no older than the current
// generation.
func (ipt *IPTables) chain(table, chain string) (*chainSnap, error) {
	return ipt.chainRead(table, chain, false)
}

// chainRead is chain; with counts, the snapshot is read anew even if the
// generation is unchanged: traffic moves counters without moving it.
func (ipt *IPTables) chainRead(table, chain string, counts bool) (*chainSnap, error) {
	gen, err := ipt.conn.Generation()
	if err != nil {
		return nil, err
	}
	return ipt.chainAt(gen, table, chain, counts, false)
}

// chainAt is chainRead for a generation just read. With pinned, the chain
// is read only if the ruleset is still at gen (enginehooks'
// ListRulesRawAt: the caller reads the generation again after reading
// many chains), else it fails with enginehooks.ErrGenerationMoved.
func (ipt *IPTables) chainAt(gen uint32, table, chain string, counts, pinned bool) (*chainSnap, error) {
	var err error
	st := ipt.state()
	key := chainKey{ipt.fam, table, chain}
	st.mu.Lock()
	prev := st.chains[key]
	st.mu.Unlock()
	if prev != nil && prev.gen == gen && !counts {
		return prev, nil
	}
	snap := &chainSnap{gen: gen, exists: true, st: st, nsFd: ipt.nsFd(), fam: ipt.fam}
	var from []int32 // each rule's position in prev, -1 if new
	whole := true    // every rule read into fresh memory
	if isTable(table) {
		var known []*xtnl.RawRule
		if prev != nil {
			known = prev.rules
		}
		// Since the chain was last read whole, more rules went than
		// half of it: the memory they were read into may be kept by the
		// few read with them still there. Read it whole again (what
		// prev knows is still used), not reusing prev's rules.
		whole = prev == nil || prev.dropped > len(prev.rules)/2
		if pinned {
			snap.rules, from, err = engine.ListRulesRawAt(ipt.conn, gen, ipt.fam.xtnlFamily(), table, chain, known, !whole)
		} else {
			snap.rules, from, err = engine.ListRulesRaw(ipt.conn, ipt.fam.xtnlFamily(), table, chain, known, !whole)
		}
	}
	switch {
	case !isTable(table) || isNotExist(err):
		// A built-in chain exists (empty) before its first use.
		snap.exists, snap.rules, from = IsBuiltinChain(table, chain) && isTable(table), nil, nil
	case err != nil:
		return nil, err
	}
	snap.index(prev, from, whole)
	snap.size = int64(ruleOverhead + len(table) + len(chain))
	for _, r := range snap.rules {
		snap.size += int64(ruleOverhead + len(r.Exprs))
	}
	st.mu.Lock()
	if old := st.chains[key]; old != nil {
		st.bytes -= old.size
	}
	st.chains[key] = snap
	st.chargeLocked(snap.size)
	st.mu.Unlock()
	return snap, nil
}

// forgetAt drops the snapshots of a table's chains made at generation
// gen: a pinned read found the ruleset moved on while it read them.
func (st *connState) forgetAt(fam Family, table string, gen uint32) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for key, snap := range st.chains {
		if key.fam == fam && key.table == table && snap.gen == gen {
			st.bytes -= snap.size
			delete(st.chains, key)
		}
	}
}

// index hashes the rules' comparison keys, taking from prev (the
// chain's previous snapshot, or nil) what it knows of the rules it held:
// from gives each rule's position in prev, -1 for a rule it does not hold
// (nil: none); whole tells that every rule was read into fresh memory.
func (s *chainSnap) index(prev *chainSnap, from []int32, whole bool) {
	n := len(s.rules)
	s.hashes = prefault.Slice(make([]uint64, n))
	// The forms and lines are made here only to take prev's; otherwise
	// when first asked for (an Exists needs neither).
	decDone, linesDone := prev != nil && prev.decodeDone.Load(), prev != nil && prev.linesDone.Load()
	if decDone {
		s.dec = prefault.Slice(make([]*decoded, n))
	}
	if linesDone {
		s.lines = prefault.Slice(make([]string, n))
	}
	kept := 0
	var key []byte
	for i, r := range s.rules {
		j := -1
		if from != nil {
			j = int(from[i])
		}
		if j < 0 {
			key = expr.AppendKey(key[:0], r.Exprs)
			s.hashes[i] = maphash.Bytes(keySeed, key)
			continue
		}
		kept++
		s.hashes[i] = prev.hashes[j]
		if decDone {
			s.dec[i] = prev.dec[j]
		}
		if linesDone {
			s.lines[i] = prev.lines[j]
		}
	}
	if !whole {
		s.dropped = prev.dropped + len(prev.rules) - kept
	}
}

// has reports whether the chain holds the rule: one with its comparison
// key, or else one that means the same (decoding the chain, once).
func (s *chainSnap) has(w wanted) bool {
	s.byKeyOnce.Do(func() {
		s.byKey = make(map[uint64]int32, len(s.hashes))
		s.nextKey = make([]int32, len(s.hashes))
		for i := len(s.hashes) - 1; i >= 0; i-- {
			h := s.hashes[i]
			if first, ok := s.byKey[h]; ok {
				s.nextKey[i] = first
			} else {
				s.nextKey[i] = -1
			}
			s.byKey[h] = int32(i)
		}
	})
	if i, ok := s.byKey[w.hash]; ok {
		var buf [512]byte
		for ; i >= 0; i = s.nextKey[i] {
			if string(expr.AppendKey(buf[:0], s.rules[i].Exprs)) == w.key {
				return true
			}
		}
	}
	return len(s.positions(w.body)) > 0
}

// positions lists the positions of the rules whose canonical body is body.
func (s *chainSnap) positions(body string) []int32 {
	s.byBodyOnce.Do(func() {
		dec := s.decoded()
		s.byBody = make(map[string][]int32, len(dec))
		for i, d := range dec {
			s.byBody[d.body] = append(s.byBody[d.body], int32(i))
		}
	})
	return s.byBody[body]
}

// decoded returns the rules' iptables forms (counters zero; see spec).
// A large chain is decoded on all CPUs.
func (s *chainSnap) decoded() []*decoded { return s.decodedKeeping(false) }

// decodedKeeping is decoded for a caller that goes on to ask for every
// rule's Spec (keep), which the decoding then keeps rather than makes
// again.
func (s *chainSnap) decodedKeeping(keep bool) []*decoded {
	s.decodeOnce.Do(func() {
		missing := len(s.rules)
		if s.dec == nil {
			s.dec = prefault.Slice(make([]*decoded, len(s.rules)))
		} else {
			missing = 0
			for _, d := range s.dec {
				if d == nil {
					missing++
				}
			}
		}
		decode := func(lo, hi int) {
			var sc decodeScratch
			for i := lo; i < hi; i++ {
				if s.dec[i] == nil {
					s.dec[i] = s.st.decode(s.nsFd, s.fam, s.rules[i], s.hashes[i], &sc, keep)
				}
			}
		}
		s.st.reserve(s.fam, missing)
		n, workers := len(s.rules), runtime.GOMAXPROCS(0)
		if missing < minParallelDecode || workers < 2 {
			decode(0, n)
		} else {
			var wg sync.WaitGroup
			per := (n + workers - 1) / workers
			for lo := per; lo < n; lo += per {
				wg.Add(1)
				go func() {
					defer wg.Done()
					decode(lo, min(lo+per, n))
				}()
			}
			decode(0, per)
			wg.Wait()
		}
		s.decodeDone.Store(true)
	})
	return s.dec
}

// minParallelDecode is the chain size from which decoding is spread over
// the CPUs.
const minParallelDecode = 1024

// spec returns rule i's iptables form with its own counters, or why it
// has none.
func (s *chainSnap) spec(i int) (*Spec, error) {
	d := s.decodedKeeping(true)[i]
	if d.err != nil {
		return nil, d.err
	}
	r := s.rules[i]
	form := d.spec.Load()
	if form == nil {
		// Decoded for a listing, which kept only the line: decode it
		// again, for good.
		var err error
		if form, err = formOf(s.nsFd, s.fam, r); err != nil {
			return nil, err
		}
		d.spec.CompareAndSwap(nil, form)
		form = d.spec.Load()
	}
	if form.Counters == nil && form.Table == r.Table && form.Chain == r.Chain {
		return form, nil
	}
	// The form of the same expressions elsewhere, or counters of its own.
	c := *form
	c.Table, c.Chain = r.Table, r.Chain
	if c.Counters != nil {
		p, b, _ := expr.CounterOf(r.Exprs)
		c.Counters = &Counters{Packets: p, Bytes: b}
	}
	return &c, nil
}

// sLines returns the chain's rules as -S prints them (no counters).
func (s *chainSnap) sLines() ([]string, error) {
	s.linesOnce.Do(func() {
		if s.lines == nil {
			s.lines = prefault.Slice(make([]string, len(s.rules)))
		}
		for i, d := range s.decoded() {
			if d.err != nil {
				s.linesErr = d.err
				return
			}
			if s.lines[i] == "" {
				if d.line != "" {
					s.lines[i] = d.line
				} else {
					s.lines[i] = "-A " + s.rules[i].Chain + d.body
				}
			}
		}
		s.linesDone.Store(true)
	})
	return s.lines, s.linesErr
}

// handles lists a snapshot's rule handles, in order.
func (s *chainSnap) handles() []uint64 {
	h := make([]uint64, len(s.rules))
	for i, r := range s.rules {
		h[i] = r.Handle
	}
	return h
}
