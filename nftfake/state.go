package nftfake

import (
	"encoding/binary"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// ruleset is a ruleset. A batch works on a clone (tables and chains
// copied, rules shared: a rule is never modified once stored, only
// replaced) and the clone replaces the committed state on success.
type ruleset struct {
	tables []*table // in creation order, as nft_net->tables
}

// table is a table. Its chains and sets count in use() as in the
// kernel's table->use (objects and flowtables will too).
type table struct {
	fam    byte
	name   string
	flags  uint32
	handle uint64
	// hgen is table->hgenerator, the last handle given to a chain or rule
	// (later: set, object) of the table. Shared by every version of the
	// table: the kernel does not roll it back when a batch aborts.
	hgen   *uint64
	chains []*chain // in creation order
	sets   []*set   // in creation order (set.go)
}

// chain is a chain; base is nil for a regular chain.
type chain struct {
	name   string
	handle uint64
	flags  uint32
	base   *baseChain
	rules  []*rule
	refs   int // jumps and gotos to this chain from rules
	// rename is a new name waiting for the commit: the kernel applies a
	// rename only then, so the batch still finds the chain by its old name.
	rename string
}

type baseChain struct {
	hook     uint32
	prio     int32
	dev      string
	typ      string
	policy   uint32
	counters *Counters // nil unless NFTA_CHAIN_COUNTERS was given
}

// rule is a rule: its expressions kept as received.
type rule struct {
	handle uint64
	exprs  []byte
	udata  []byte
	jumps  []string // chains its verdicts jump or go to
}

// use is chain->use: its rules plus the references to it.
func (ch *chain) use() uint32 { return uint32(len(ch.rules) + ch.refs) }

// use is table->use: what the table holds (chains and sets; later
// objects, ...).
func (t *table) use() uint32 { return uint32(len(t.chains) + len(t.sets)) }

func (s *ruleset) clone() *ruleset {
	n := &ruleset{tables: make([]*table, len(s.tables))}
	for i, t := range s.tables {
		nt := *t
		nt.chains = make([]*chain, len(t.chains))
		for j, ch := range t.chains {
			nc := *ch
			nc.rules = append([]*rule(nil), ch.rules...)
			if ch.base != nil {
				b := *ch.base
				if b.counters != nil {
					cnt := *b.counters
					b.counters = &cnt
				}
				nc.base = &b
			}
			nt.chains[j] = &nc
		}
		nt.sets = make([]*set, len(t.sets))
		for j, s := range t.sets {
			nt.sets[j] = s.clone()
		}
		n.tables[i] = &nt
	}
	return n
}

func (s *ruleset) table(fam byte, name string) *table {
	for _, t := range s.tables {
		if t.fam == fam && t.name == name {
			return t
		}
	}
	return nil
}

func (t *table) chain(name string) *chain {
	for _, ch := range t.chains {
		if ch.name == name {
			return ch
		}
	}
	return nil
}

func (t *table) chainByHandle(h uint64) *chain {
	for _, ch := range t.chains {
		if ch.handle == h {
			return ch
		}
	}
	return nil
}

func (ch *chain) ruleIndex(h uint64) int {
	for i, r := range ch.rules {
		if r.handle == h {
			return i
		}
	}
	return -1
}

// dumpPart is the size at which a dump datagram is cut: the kernel
// fills skbs of about this size.
const dumpPart = 16 << 10

// dumpParts answers a dump request: NLM_F_MULTI messages cut into
// datagrams, then NLMSG_DONE in a datagram of its own, as netlink_dump
// sends them. Filters are those the kernel applies: the family for every
// dump, and table and chain names for rules only (a chain dump is never
// filtered by table; a missing table or chain is an empty dump, not an
// error).
func (k *Kernel) dumpParts(port uint32, m *request) [][]byte {
	var parts [][]byte
	var e nfnl.Encoder
	flush := func() {
		if len(e.B) > 0 {
			parts = append(parts, e.B)
			e = nfnl.Encoder{}
		}
	}
	emit := func(fill func(e *nfnl.Encoder)) {
		fill(&e)
		if len(e.B) >= dumpPart {
			flush()
		}
	}
	match := func(t *table) bool { return m.fam == unix.AF_UNSPEC || m.fam == t.fam }
	typ := m.typ & 0xff
	switch typ {
	case unix.NFT_MSG_GETTABLE:
		for _, t := range k.st.tables {
			if match(t) {
				emit(func(e *nfnl.Encoder) { k.tableMsg(e, port, m.seq, t) })
			}
		}
	case unix.NFT_MSG_GETCHAIN:
		for _, t := range k.st.tables {
			if !match(t) {
				continue
			}
			for _, ch := range t.chains {
				emit(func(e *nfnl.Encoder) { k.chainMsg(e, port, m.seq, t, ch) })
			}
		}
	case unix.NFT_MSG_GETSET, unix.NFT_MSG_GETSETELEM:
		k.dumpSets(port, m, emit, match)
	case unix.NFT_MSG_GETRULE, unix.NFT_MSG_GETRULE_RESET:
		reset := typ == unix.NFT_MSG_GETRULE_RESET
		tname, cname := m.str(unix.NFTA_RULE_TABLE), m.str(unix.NFTA_RULE_CHAIN)
		for _, t := range k.st.tables {
			if !match(t) || (tname != "" && t.name != tname) {
				continue
			}
			for _, ch := range t.chains {
				if tname != "" && cname != "" && ch.name != cname {
					continue
				}
				for i, r := range ch.rules {
					var prev uint64
					if i > 0 {
						prev = ch.rules[i-1].handle
					}
					emit(func(e *nfnl.Encoder) {
						k.ruleMsg(e, port, m.seq, nfnl.Type(unix.NFT_MSG_NEWRULE), unix.NLM_F_MULTI|unix.NLM_F_APPEND, t, ch, r, prev)
					})
					if reset {
						ch.rules[i] = r.resetCounters(t.fam)
					}
				}
			}
			if tname != "" {
				break
			}
		}
	}
	flush()
	return append(parts, k.doneMsg(port, m.seq))
}

// getRule is nf_tables_getrule without NLM_F_DUMP: one rule by table,
// chain and handle, or the errno and offending attribute the kernel
// answers with.
func (k *Kernel) getRule(port uint32, m *request) ([]byte, unix.Errno, uint16) {
	tname, cname := m.str(unix.NFTA_RULE_TABLE), m.str(unix.NFTA_RULE_CHAIN)
	var t *table
	for _, tb := range k.st.tables {
		if tb.fam == m.fam && tb.name == tname {
			t = tb
		}
	}
	if t == nil {
		return nil, unix.ENOENT, unix.NFTA_RULE_TABLE
	}
	ch := t.chain(cname)
	if ch == nil {
		return nil, unix.ENOENT, unix.NFTA_RULE_CHAIN
	}
	h, ok := m.u64(unix.NFTA_RULE_HANDLE)
	if !ok {
		return nil, unix.EINVAL, 0
	}
	for _, r := range ch.rules {
		if r.handle != h {
			continue
		}
		// A single get names no previous rule (no NFTA_RULE_POSITION).
		var e nfnl.Encoder
		k.ruleMsg(&e, port, m.seq, nfnl.Type(unix.NFT_MSG_NEWRULE), 0, t, ch, r, 0)
		return e.B, 0, 0
	}
	return nil, unix.ENOENT, unix.NFTA_RULE_HANDLE
}

// tableMsg is nf_tables_fill_table_info.
func (k *Kernel) tableMsg(e *nfnl.Encoder, port, seq uint32, t *table) {
	s := k.reply(e, nfnl.Type(unix.NFT_MSG_NEWTABLE), unix.NLM_F_MULTI, seq, port, t.fam)
	e.String(unix.NFTA_TABLE_NAME, t.name)
	e.Uint32(unix.NFTA_TABLE_USE, t.use())
	e.Uint64(nfnl.NFTA_TABLE_HANDLE, t.handle)
	e.Uint32(unix.NFTA_TABLE_FLAGS, t.flags)
	e.End(s)
}

// chainMsg is nf_tables_fill_chain_info.
func (k *Kernel) chainMsg(e *nfnl.Encoder, port, seq uint32, t *table, ch *chain) {
	s := k.reply(e, nfnl.Type(unix.NFT_MSG_NEWCHAIN), unix.NLM_F_MULTI, seq, port, t.fam)
	e.String(unix.NFTA_CHAIN_TABLE, t.name)
	e.String(unix.NFTA_CHAIN_NAME, ch.name)
	e.Uint64(unix.NFTA_CHAIN_HANDLE, ch.handle)
	if b := ch.base; b != nil {
		// The kernel nests without NLA_F_NESTED (nla_nest_start_noflag).
		h := nestNoFlag(e, unix.NFTA_CHAIN_HOOK)
		e.Uint32(unix.NFTA_HOOK_HOOKNUM, b.hook)
		e.Uint32(unix.NFTA_HOOK_PRIORITY, uint32(b.prio))
		if b.dev != "" {
			e.String(unix.NFTA_HOOK_DEV, b.dev)
		}
		e.EndNest(h)
		e.Uint32(unix.NFTA_CHAIN_POLICY, b.policy)
		e.String(unix.NFTA_CHAIN_TYPE, b.typ)
		if b.counters != nil {
			n := nestNoFlag(e, unix.NFTA_CHAIN_COUNTERS)
			e.Uint64(unix.NFTA_COUNTER_PACKETS, b.counters.Packets)
			e.Uint64(unix.NFTA_COUNTER_BYTES, b.counters.Bytes)
			e.EndNest(n)
		}
	}
	if ch.flags != 0 {
		e.Uint32(nfnl.NFTA_CHAIN_FLAGS, ch.flags)
	}
	e.Uint32(unix.NFTA_CHAIN_USE, ch.use())
	e.End(s)
}

func nestNoFlag(e *nfnl.Encoder, typ uint16) int {
	s := e.Nest(typ)
	binary.NativeEndian.PutUint16(e.B[s+2:], typ)
	return s
}

// ruleMsg is nf_tables_fill_rule_info; pos is the previous rule's handle
// (0: none, the attribute is left out).
func (k *Kernel) ruleMsg(e *nfnl.Encoder, port, seq uint32, typ, flags uint16, t *table, ch *chain, r *rule, pos uint64) {
	s := k.reply(e, typ, flags, seq, port, t.fam)
	e.String(unix.NFTA_RULE_TABLE, t.name)
	e.String(unix.NFTA_RULE_CHAIN, ch.name)
	e.Uint64(unix.NFTA_RULE_HANDLE, r.handle)
	if pos != 0 {
		e.Uint64(unix.NFTA_RULE_POSITION, pos)
	}
	// The kernel nests the expression list without NLA_F_NESTED.
	e.Bytes(unix.NFTA_RULE_EXPRESSIONS, r.exprs)
	if len(r.udata) > 0 {
		e.Bytes(unix.NFTA_RULE_USERDATA, r.udata)
	}
	e.End(s)
}

// resetCounters returns r with its counter expressions zeroed, every
// other expression left byte for byte as it was; r itself is not changed
// (a dump already taken may still hold it).
func (r *rule) resetCounters(fam byte) *rule {
	var out []byte
	changed := false
	d := nlattr.NewDecoder(r.exprs)
	for d.Next() {
		if elemName(d.Bytes()) == "counter" {
			if data, err := expr.Marshal(fam, &nftexpr.Counter{}); err == nil {
				out = nlattr.AppendBytes(out, unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, data)
				changed = true
				continue
			}
		}
		// The element as it came, its padding made zeros.
		out = nlattr.Pad(append(out, d.Attr()[:4+len(d.Bytes())]...))
	}
	if !changed {
		return r
	}
	nr := *r
	nr.exprs = out
	return &nr
}

// elemName returns NFTA_EXPR_NAME of one list element's payload.
func elemName(b []byte) string {
	a := nlattr.NewDecoder(b)
	for a.Next() {
		if a.Type() == unix.NFTA_EXPR_NAME {
			return a.String()
		}
	}
	return ""
}
