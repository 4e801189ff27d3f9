package xtnl

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/internal/nfnl"
	"golang.org/x/sys/unix"
)

// Rule is an nf_tables rule: a list of expressions in a chain.
type Rule struct {
	Family Family
	Table  string
	Chain  string
	// Handle identifies the rule in its chain. Set by the kernel; filled in
	// after Conn.AppendRule / Conn.InsertRule (and after a commit of a Tx
	// that asked for ReturnHandles). Required by ReplaceRule and DelRule.
	Handle uint64
	// Position is a rule handle: AppendRule adds after it, InsertRule
	// before it. Zero means the end (append) or the top (insert). Rules
	// read back have it zero (the kernel's dump names the previous rule
	// there, which would be a trap when writing the rule elsewhere).
	Position uint64
	Exprs    []expr.Expr
	// UserData is opaque to the kernel; nft keeps comments in it
	// (TLV-encoded).
	UserData []byte
	// Compat is the NFTA_RULE_COMPAT attribute iptables-nft attaches to
	// every rule: the -p protocol, which xt matches check against.
	Compat *RuleCompat
}

// RuleCompat carries the layer 4 protocol an iptables rule names with -p,
// for the xt matches and targets that depend on it.
type RuleCompat struct {
	Proto uint32
	// Invert is set for "! -p PROTO".
	Invert bool
}

const (
	nftaRuleCompatProto = 1
	nftaRuleCompatFlags = 2
	nftRuleCompatFInv   = 1 << 1
)

func (r *Rule) String() string {
	if r.Handle != 0 {
		return fmt.Sprintf("rule %s %s %s handle %d", r.Family, r.Table, r.Chain, r.Handle)
	}
	return fmt.Sprintf("rule %s %s %s", r.Family, r.Table, r.Chain)
}

// Counters sums the rule's counter expressions; ok is false if it has none.
func (r *Rule) Counters() (c Counters, ok bool) {
	for _, e := range r.Exprs {
		if ce, is := e.(*nftexpr.Counter); is {
			c.Packets += ce.Packets
			c.Bytes += ce.Bytes
			ok = true
		}
	}
	return c, ok
}

func (r *Rule) check() error { return checkRule(r.Family, r.Table, r.Chain, r.String) }

// checkRule checks the names a rule is written under; name names the
// rule in the error.
func checkRule(fam Family, table, chain string, name func() string) error {
	if !fam.valid() {
		return invalidf("%s: unknown family %d", name(), byte(fam))
	}
	if err := checkName("table", table); err != nil {
		return err
	}
	return checkName("chain", chain)
}

// ReturnHandles asks the kernel to echo every rule added from now on in this
// transaction, so Commit can fill in their handles (Rule.Handle, and
// RawRule.Handle for raw rules). It costs one message
// back per rule: leave it off for bulk loads that do not need them.
func (tx *Tx) ReturnHandles() { tx.echo = true }

// AppendRule adds r at the end of its chain, or after the rule whose handle
// is r.Position.
func (tx *Tx) AppendRule(r *Rule) {
	tx.rule("append rule", r, unix.NLM_F_CREATE|unix.NLM_F_APPEND, false)
}

// InsertRule adds r at the top of its chain, or before the rule whose handle
// is r.Position.
func (tx *Tx) InsertRule(r *Rule) { tx.rule("insert rule", r, unix.NLM_F_CREATE, false) }

// ReplaceRule replaces the rule whose handle is r.Handle with r.
func (tx *Tx) ReplaceRule(r *Rule) {
	if r.Handle == 0 {
		tx.fail(invalidf("%s: replace needs a handle", r))
		return
	}
	tx.rule("replace rule", r, unix.NLM_F_REPLACE, true)
}

func (tx *Tx) rule(op string, r *Rule, flags uint16, withHandle bool) {
	if err := r.check(); err != nil {
		tx.fail(err)
		return
	}
	h := ruleHeader{ruleRef: ruleRef{r.Family, r.Table, r.Chain, r.Handle}, position: r.Position, compat: r.Compat, userData: r.UserData}
	if tx.echo {
		h.echo = &r.Handle
	}
	tx.ruleMsg(op, &h, flags, withHandle, nil, r.Exprs)
}

// ruleHeader is what a rule message carries besides its expressions.
type ruleHeader struct {
	ruleRef
	position uint64
	compat   *RuleCompat
	userData []byte
	echo     *uint64 // the rule's Handle, filled in after commit
}

// ruleMsg writes one NEWRULE message whose expressions are raw, already
// encoded, or else list, encoded here.
func (tx *Tx) ruleMsg(op string, h *ruleHeader, flags uint16, withHandle bool, raw []byte, list []expr.Expr) {
	if tx.echo {
		flags |= unix.NLM_F_ECHO
	}
	e := &tx.enc
	mark := len(e.B)
	s := tx.labeledMsg(opLabel{op: op, rule: h.ruleRef, echo: h.echo}, unix.NFT_MSG_NEWRULE, flags, byte(h.fam))
	e.String(unix.NFTA_RULE_TABLE, h.table)
	e.String(unix.NFTA_RULE_CHAIN, h.chain)
	if withHandle {
		e.Uint64(unix.NFTA_RULE_HANDLE, h.handle)
	}
	if h.position != 0 {
		e.Uint64(unix.NFTA_RULE_POSITION, h.position)
	}
	n := e.Nest(unix.NFTA_RULE_EXPRESSIONS)
	if list != nil {
		out, err := expr.AppendList(e.B, byte(h.fam), list)
		if err != nil {
			// Undo the half-written message so the batch stays well-formed.
			e.B = e.B[:mark]
			tx.dropLast()
			tx.fail(fmt.Errorf("%s: %w (%w)", h.name(), err, ErrInvalid))
			return
		}
		e.B = out
	} else {
		e.B = append(e.B, raw...)
	}
	e.EndNest(n)
	if h.compat != nil {
		cn := e.Nest(unix.NFTA_RULE_COMPAT)
		e.Uint32(nftaRuleCompatProto, h.compat.Proto)
		var flags uint32
		if h.compat.Invert {
			flags = nftRuleCompatFInv
		}
		e.Uint32(nftaRuleCompatFlags, flags)
		e.EndNest(cn)
	}
	if len(h.userData) > 0 {
		e.Bytes(unix.NFTA_RULE_USERDATA, h.userData)
	}
	e.End(s)
}

// name names the rule h is the header of, for errors.
func (r ruleRef) name() string {
	rule := Rule{Family: r.fam, Table: r.table, Chain: r.chain, Handle: r.handle}
	return rule.String()
}

// AppendRawRule is AppendRule for a rule whose expressions are already
// encoded (r.Exprs, as expr's appenders or expr.AppendList write them):
// the bytes are copied into the batch as they are, which is how large
// batches of rules are built without a value per expression. The rule is
// added after r.Position, or at the end. Handles are not returned.
func (tx *Tx) AppendRawRule(r *RawRule) {
	tx.rawRule("append rule", r, unix.NLM_F_CREATE|unix.NLM_F_APPEND, false)
}

// InsertRawRule is InsertRule for a rule whose expressions are already
// encoded (see AppendRawRule).
func (tx *Tx) InsertRawRule(r *RawRule) { tx.rawRule("insert rule", r, unix.NLM_F_CREATE, false) }

// ReplaceRawRule is ReplaceRule for a rule whose expressions are already
// encoded (see AppendRawRule).
func (tx *Tx) ReplaceRawRule(r *RawRule) {
	if r.Handle == 0 {
		tx.fail(invalidf("%s: replace needs a handle", ruleRef{r.Family, r.Table, r.Chain, 0}.name()))
		return
	}
	tx.rawRule("replace rule", r, unix.NLM_F_REPLACE, true)
}

func (tx *Tx) rawRule(op string, r *RawRule, flags uint16, withHandle bool) {
	h := ruleHeader{ruleRef: ruleRef{r.Family, r.Table, r.Chain, r.Handle}, position: r.Position, compat: r.Compat, userData: r.UserData}
	if err := checkRule(r.Family, r.Table, r.Chain, h.name); err != nil {
		tx.fail(err)
		return
	}
	if tx.echo {
		h.echo = &r.Handle
	}
	tx.ruleMsg(op, &h, flags, withHandle, r.Exprs, nil)
}

// DelRule deletes the rule whose handle is r.Handle.
func (tx *Tx) DelRule(r *Rule) {
	if err := r.check(); err != nil {
		tx.fail(err)
		return
	}
	if r.Handle == 0 {
		tx.fail(invalidf("%s: delete needs a handle", r))
		return
	}
	s := tx.labeledMsg(opLabel{op: "delete rule", rule: ruleRef{r.Family, r.Table, r.Chain, r.Handle}}, unix.NFT_MSG_DELRULE, 0, byte(r.Family))
	tx.enc.String(unix.NFTA_RULE_TABLE, r.Table)
	tx.enc.String(unix.NFTA_RULE_CHAIN, r.Chain)
	tx.enc.Uint64(unix.NFTA_RULE_HANDLE, r.Handle)
	tx.enc.End(s)
}

// AppendRule appends r in its own transaction and sets r.Handle.
func (c *Conn) AppendRule(r *Rule) error {
	return c.single(func(tx *Tx) { tx.ReturnHandles(); tx.AppendRule(r) })
}

// InsertRule inserts r in its own transaction and sets r.Handle.
func (c *Conn) InsertRule(r *Rule) error {
	return c.single(func(tx *Tx) { tx.ReturnHandles(); tx.InsertRule(r) })
}

// InsertRuleAt inserts r so that it becomes the rule at index (0-based) of
// its chain; an index equal to the chain's length appends. The position is
// looked up and the insert committed only if the ruleset did not change in
// between (retried otherwise).
func (c *Conn) InsertRuleAt(r *Rule, index int) error {
	if index < 0 {
		return invalidf("%s: negative index %d", r, index)
	}
	return c.Update(8, func(tx *Tx) error {
		rules, err := c.ListRules(r.Family, r.Table, r.Chain)
		if err != nil {
			return err
		}
		tx.ReturnHandles()
		switch {
		case index < len(rules):
			r.Position = rules[index].Handle
			tx.InsertRule(r)
		case index == len(rules):
			r.Position = 0
			tx.AppendRule(r)
		default:
			return invalidf("%s: index %d out of range, chain has %d rules", r, index, len(rules))
		}
		return nil
	})
}

// ReplaceRule replaces the rule with handle r.Handle by r.
func (c *Conn) ReplaceRule(r *Rule) error { return c.single(func(tx *Tx) { tx.ReplaceRule(r) }) }

// DelRule deletes the rule with handle r.Handle.
func (c *Conn) DelRule(r *Rule) error { return c.single(func(tx *Tx) { tx.DelRule(r) }) }

// ListRules returns the rules of one chain (every chain of table when chain
// is ""), in order, with handles, expressions (counters included) and user
// data.
func (c *Conn) ListRules(fam Family, table, chain string) ([]*Rule, error) {
	return c.listRules(unix.NFT_MSG_GETRULE, fam, table, chain)
}

// ResetCounters zeroes the counters of the rules of a chain (every chain of
// table when chain is ""), returning the rules as they were just before.
// If another writer changes the ruleset during the reset, the listing is
// read again (as every dump is) and rules already reset then report zero.
func (c *Conn) ResetCounters(fam Family, table, chain string) ([]*Rule, error) {
	return c.listRules(unix.NFT_MSG_GETRULE_RESET, fam, table, chain)
}

func (c *Conn) listRules(msgType uint16, fam Family, table, chain string) ([]*Rule, error) {
	var out []*Rule
	var rd rawRuleReader
	err := c.dumpRules(anyGeneration, msgType, fam, table, chain, func() { out, rd = out[:0], rawRuleReader{} }, func(what string, f *ruleFields) error {
		r, err := rd.read(f).Decode()
		if err != nil {
			return fmt.Errorf("xtnl: decode %s: %w", what, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// dumpRules dumps the rules of a chain (every chain of table when chain is
// ""), handing each message's attributes to each; start runs before every
// attempt (a dump interrupted by a commit, or found to have skipped a
// rule, is started over).
func (c *Conn) dumpRules(pin pinnedGen, msgType uint16, fam Family, table, chain string, start func(), each func(what string, f *ruleFields) error) error {
	if fam == 0 || table == "" {
		return invalidf("listing rules needs a family and a table")
	}
	what := fmt.Sprintf("rules of %s %s %s", fam, table, chain)
	var seq ruleSequence
	// One ruleFields serves every message (each does not keep it): one
	// of its own per rule would be 1.6 MB of garbage on a 10k dump.
	var f ruleFields
	return c.dumpAt(pin, what, msgType, byte(fam), func(e *nfnl.Encoder) {
		e.String(unix.NFTA_RULE_TABLE, table)
		if chain != "" {
			e.String(unix.NFTA_RULE_CHAIN, chain)
		}
	}, func() { start(); seq.reset() }, func(m message) error {
		var err error
		f, err = scanRule(m.Data)
		if err != nil {
			return fmt.Errorf("xtnl: decode %s: %w", what, err)
		}
		if err := seq.next(&f); err != nil {
			return err
		}
		return each(what, &f)
	})
}

// RawRule is a rule with its expressions still encoded: as the kernel
// dumped it, or as it is to be written (Tx.AppendRawRule). Listing without
// decoding is what makes re-reading a large chain cheap: a caller that
// caches decoded rules by their encoding (as package compat does) decodes
// only what changed.
type RawRule struct {
	Family Family
	Table  string
	Chain  string
	Handle uint64
	// Position is as in Rule, for writing; rules read back have it zero.
	Position uint64
	// Exprs is the NFTA_RULE_EXPRESSIONS payload; expr.UnmarshalList
	// decodes it.
	Exprs    []byte
	UserData []byte
	Compat   *RuleCompat
}

// Decode decodes the rule's expressions.
func (r *RawRule) Decode() (*Rule, error) {
	exprs, err := expr.UnmarshalList(byte(r.Family), r.Exprs)
	if err != nil {
		return nil, err
	}
	return &Rule{Family: r.Family, Table: r.Table, Chain: r.Chain, Handle: r.Handle, Exprs: exprs, UserData: r.UserData, Compat: r.Compat}, nil
}

// ListRulesRaw is ListRules without decoding the expressions. The rules
// of a listing share a few large allocations (their structures, their
// bytes, their chain names), so a chain of 10k rules costs a handful.
func (c *Conn) ListRulesRaw(fam Family, table, chain string) ([]*RawRule, error) {
	rules, _, err := c.listRulesRaw(fam, table, chain, nil, true)
	return rules, err
}

// listRulesRaw is ListRulesRaw for a caller holding an earlier listing of
// the same rules (prev; compat's chain snapshots, through enginehooks).
// With reuse, a rule dumped exactly as it is in prev (same handle, same
// bytes) comes back as prev's *RawRule, not as a copy, so re-reading a
// large chain that changed a little allocates for what changed only.
// Without, every rule comes back as a copy of its own: a rule handed back
// keeps alive the memory it was first read into, shared with the rules
// read along with it, so a caller that keeps re-reading from its last
// listing reads this way now and then to let rules long gone free it.
// from gives, for each rule returned, its position in prev, or -1 for a
// rule prev does not hold as it is now (nil when prev is empty). RawRules
// read back are never written to, so sharing them is safe.
func (c *Conn) listRulesRaw(fam Family, table, chain string, prev []*RawRule, reuse bool) (rules []*RawRule, from []int32, err error) {
	return c.listRulesRawAt(anyGeneration, fam, table, chain, prev, reuse)
}

// eachRuleRawAt dumps a chain's rules pinned to a generation, handing
// each to each as a RawRule in the receive buffer (its bytes valid during
// the call only; Table, and Chain when named, are the names asked for).
func (c *Conn) eachRuleRawAt(pin pinnedGen, fam Family, table, chain string, start func(), each func(r *RawRule) error) error {
	var r RawRule
	var rc RuleCompat
	return c.dumpRules(pin, unix.NFT_MSG_GETRULE, fam, table, chain, start, func(_ string, f *ruleFields) error {
		r = RawRule{Family: f.family, Table: table, Chain: chain, Handle: f.handle, Exprs: f.exprs, UserData: f.userData}
		if chain == "" {
			r.Chain = string(f.chain)
		}
		if f.hasCompat {
			rc = readRuleCompat(f.compat)
			r.Compat = &rc
		}
		return each(&r)
	})
}

// getRuleRaw asks the kernel for one rule by its handle (a get, not a
// dump: one round trip however long the chain) and hands it to fn as
// eachRuleRawAt does. A rule or chain not there is an *OpError (ENOENT).
func (c *Conn) getRuleRaw(fam Family, table, chain string, handle uint64, fn func(r *RawRule) error) error {
	var e nfnl.Encoder
	e.String(unix.NFTA_RULE_TABLE, table)
	e.String(unix.NFTA_RULE_CHAIN, chain)
	e.Uint64(unix.NFTA_RULE_HANDLE, handle)
	return c.GetRaw(unix.NFT_MSG_GETRULE, fam, e.B, func(m RawMessage) error {
		if m.Type != unix.NFT_MSG_NEWRULE {
			return nil
		}
		f, err := scanRuleAttrs(m.Attrs)
		if err != nil {
			return err
		}
		r := RawRule{Family: fam, Table: table, Chain: chain, Handle: f.handle, Exprs: f.exprs, UserData: f.userData}
		if f.hasCompat {
			rc := readRuleCompat(f.compat)
			r.Compat = &rc
		}
		return fn(&r)
	})
}

// listRulesRawAt is listRulesRaw pinned to a generation (see dumpAt).
func (c *Conn) listRulesRawAt(pin pinnedGen, fam Family, table, chain string, prev []*RawRule, reuse bool) (rules []*RawRule, from []int32, err error) {
	if len(prev) > 0 {
		rules = make([]*RawRule, 0, len(prev)+len(prev)/8)
		from = make([]int32, 0, cap(rules))
	}
	var rd rawRuleReader
	known := knownRules{prev: prev}
	err = c.dumpRules(pin, unix.NFT_MSG_GETRULE, fam, table, chain, func() {
		rules, from, rd, known.next = rules[:0], from[:0], rawRuleReader{}, 0
	}, func(_ string, f *ruleFields) error {
		r, j := known.find(f)
		if r == nil || !reuse {
			r = rd.read(f)
		}
		rules = append(rules, r)
		if len(prev) > 0 {
			from = append(from, int32(j))
		}
		return nil
	})
	return rules, from, err
}
