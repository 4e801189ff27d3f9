package nftfake

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/xtnl/xtnl/expr"
)

// What a test reads: copies of the kernel's state, taken under its lock,
// which the kernel never changes afterwards.

// A Table is a table as the kernel holds it, with what it holds.
type Table struct {
	Family byte // NFPROTO_* (unix.NFPROTO_IPV4, ...)
	Name   string
	Flags  uint32
	Handle uint64
	Chains []Chain // in creation order
	Sets   []Set   // in creation order
}

// A Chain is a chain and its rules.
type Chain struct {
	Name   string
	Handle uint64
	Flags  uint32
	Base   *BaseChain // nil for a regular chain
	Rules  []Rule     // in order
}

// A BaseChain is what a base chain has beyond a regular one.
type BaseChain struct {
	Type     string // "filter", "nat", "route"
	Hook     uint32 // NF_INET_* or NF_NETDEV_*
	Priority int32
	Device   string // netdev ingress and egress only
	Policy   uint32 // NF_ACCEPT or NF_DROP
	Counters *Counters
}

// Counters are packet and byte counts.
type Counters struct {
	Packets, Bytes uint64
}

// A Rule is a rule as the kernel stores it.
type Rule struct {
	Family byte // its table's
	Handle uint64
	// Position is the handle of the rule before it in its chain (0 for
	// the first), which the kernel dumps as NFTA_RULE_POSITION.
	Position uint64
	// Exprs is the NFTA_RULE_EXPRESSIONS payload as the kernel dumps it;
	// Expressions decodes it.
	Exprs    []byte
	UserData []byte
}

// Expressions decodes the rule's expressions (expr.UnmarshalList).
func (r Rule) Expressions() ([]expr.Expr, error) { return expr.UnmarshalList(r.Family, r.Exprs) }

// A Set is a named set or map and its elements.
type Set struct {
	Name             string
	Handle           uint64
	Flags            uint32 // NFT_SET_*
	KeyType, KeyLen  uint32
	DataType         uint32 // maps only
	DataLen          uint32
	Elements         []SetElement // in the order they were added
	DefaultTimeoutMs uint64
}

// A SetElement is one element of a set; an interval's end is an element
// of its own (flagged NFT_SET_ELEM_INTERVAL_END), as the kernel keeps it.
type SetElement struct {
	Key, KeyEnd []byte
	Flags       uint32
	Data        []byte // a data map's value
	Verdict     uint32 // a verdict map's verdict code (NF_*, NFT_*)
	Chain       string // the chain of a jump or goto in a verdict map
	TimeoutMs   uint64 // 0: the element does not expire
	UserData    []byte
}

// Generation is the ruleset's generation id, as NFT_MSG_GETGEN gives it.
func (k *Kernel) Generation() uint32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.genID
}

// Tables returns the ruleset: every table, in creation order, with its
// chains, rules and sets.
func (k *Kernel) Tables() []Table {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]Table, 0, len(k.st.tables))
	for _, t := range k.st.tables {
		out = append(out, t.inspect())
	}
	return out
}

// Table returns the table of family fam named name, if there is one.
func (k *Kernel) Table(fam byte, name string) (Table, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	t := k.st.table(fam, name)
	if t == nil {
		return Table{}, false
	}
	return t.inspect(), true
}

// Dump renders the ruleset's rules as `nft --debug=netlink list ruleset`
// prints them before its listing: for each rule, in table, chain and rule
// order, a line "FAMILY TABLE CHAIN HANDLE [POSITION]" and its
// expressions (see expr.FormatRule). xtnl's TestFakeDumpMatchesNft holds
// it to what nft prints for the same ruleset in a kernel.
func (k *Kernel) Dump() string {
	var sb strings.Builder
	for _, t := range k.Tables() {
		for _, ch := range t.Chains {
			for _, r := range ch.Rules {
				exprs, err := r.Expressions()
				if err != nil {
					fmt.Fprintf(&sb, "%s %s %d: %v\n", t.Name, ch.Name, r.Handle, err)
					continue
				}
				sb.WriteString(expr.FormatRule(t.Family, t.Name, ch.Name, r.Handle, r.Position, exprs, r.UserData))
			}
		}
	}
	return sb.String()
}

func (t *table) inspect() Table {
	out := Table{Family: t.fam, Name: t.name, Flags: t.flags, Handle: t.handle}
	for _, ch := range t.chains {
		c := Chain{Name: ch.name, Handle: ch.handle, Flags: ch.flags}
		if b := ch.base; b != nil {
			c.Base = &BaseChain{Type: b.typ, Hook: b.hook, Priority: b.prio, Device: b.dev, Policy: b.policy}
			if b.counters != nil {
				cnt := *b.counters
				c.Base.Counters = &cnt
			}
		}
		for i, r := range ch.rules {
			var pos uint64
			if i > 0 {
				pos = ch.rules[i-1].handle
			}
			c.Rules = append(c.Rules, Rule{Family: t.fam, Handle: r.handle, Position: pos,
				Exprs: bytes.Clone(r.exprs), UserData: bytes.Clone(r.udata)})
		}
		out.Chains = append(out.Chains, c)
	}
	for _, s := range t.sets {
		set := Set{Name: s.name, Handle: s.handle, Flags: s.flags, KeyType: s.ktype, KeyLen: s.klen,
			DataType: s.dtype, DataLen: s.dlen, DefaultTimeoutMs: s.timeout}
		for _, el := range s.elems {
			e := SetElement{Key: slices.Clone(el.key), KeyEnd: slices.Clone(el.keyEnd), Flags: el.flags,
				Data: slices.Clone(el.data), TimeoutMs: el.timeout, UserData: slices.Clone(el.udata)}
			if v := el.verdict; v != nil {
				e.Verdict, e.Chain = v.code, v.chain
			}
			set.Elements = append(set.Elements, e)
		}
		out.Sets = append(out.Sets, set)
	}
	return out
}
