package compat

import (
	"hash/maphash"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
)

// An agent appends a rule, then asks whether it is there (kube-proxy,
// CNI plugins checking their own rules). Answering from a snapshot means
// dumping the chain again, since the append moved the generation: tens
// of milliseconds on a chain of 10k rules. So the connection remembers
// where its latest appends went (the kernel echoes each new rule's
// handle), and Exists first asks the kernel for those rules by handle,
// one round trip each. A rule found there, with the very bytes asked
// about, is in the chain; anything else (deleted, replaced, forgotten)
// falls back to reading the chain.

// The echo costs every append a message back (~8 µs, a tenth of a small
// commit), while a re-read of a small chain costs little more than the
// get: a chain this connection read and found smaller than
// echoAboveRules is appended to without it.
const echoAboveRules = 1000

// echoAppends reports whether appends to the chain ask for the kernel's
// echo: unless the chain is known to be small.
func (ipt *IPTables) echoAppends(table, chain string) bool {
	st := ipt.state()
	st.mu.Lock()
	defer st.mu.Unlock()
	snap := st.chains[chainKey{ipt.fam, table, chain}]
	return snap == nil || len(snap.rules) >= echoAboveRules
}

// maxAppended bounds the appends remembered per connection; past it the
// record starts over (memory stays bounded for callers that append
// forever).
const maxAppended = 4096

type appendedKey struct {
	fam          Family
	table, chain string
	hash         uint64 // of the rule's comparison key (expr.AppendKey), with keySeed
}

// noteAppended records the handles of rules just appended to a chain.
func (st *connState) noteAppended(fam Family, table, chain string, rules []*xtnl.RawRule) {
	var buf [512]byte
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, r := range rules {
		if r.Handle == 0 {
			continue
		}
		if st.appended == nil || len(st.appended) >= maxAppended {
			st.appended = make(map[appendedKey]uint64)
		}
		hash := maphash.Bytes(keySeed, expr.AppendKey(buf[:0], r.Exprs))
		st.appended[appendedKey{fam, table, chain, hash}] = r.Handle
	}
}

// ownAppends reports whether every rule wanted is one this connection
// appended to the chain and the kernel still holds, as it was written.
// False means only "not known this way".
func (ipt *IPTables) ownAppends(table, chain string, wants []wanted) bool {
	st := ipt.state()
	for _, w := range wants {
		k := appendedKey{ipt.fam, table, chain, w.hash}
		st.mu.Lock()
		h, ok := st.appended[k]
		st.mu.Unlock()
		if !ok {
			return false
		}
		found := false
		var buf [512]byte
		err := engine.GetRuleRaw(ipt.conn, ipt.fam.xtnlFamily(), table, chain, h, func(r *xtnl.RawRule) error {
			found = string(expr.AppendKey(buf[:0], r.Exprs)) == w.key
			return nil
		})
		if err != nil || !found {
			st.mu.Lock()
			delete(st.appended, k)
			st.mu.Unlock()
			return false
		}
	}
	return true
}
