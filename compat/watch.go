package compat

import (
	"context"
	"fmt"

	"github.com/xtnl/xtnl"
)

// RuleEventKind says what changed, in iptables terms.
type RuleEventKind int

// Kinds of RuleEvent.
const (
	// RuleAdded: a rule was appended, inserted or (with a RuleDeleted
	// before it) replaced.
	RuleAdded RuleEventKind = iota + 1
	RuleDeleted
	// ChainCreated: a user chain was created (-N), or a built-in chain
	// came into existence (iptables-nft creates them on first use).
	ChainCreated
	ChainDeleted
	// ChainRenamed: -E; Chain is the new name, OldChain the old one.
	ChainRenamed
	// PolicyChanged: a built-in chain's policy changed (-P).
	PolicyChanged
	// Committed ends the changes one commit made to the watched tables:
	// Gen is the ruleset's new generation, PID and Comm the committer.
	Committed
	// Overrun: notifications were lost (the consumer fell behind or a
	// commit was larger than the socket buffer). List the tables again;
	// events keep coming after it.
	Overrun
	// WatchFailed: the watch ended on an error (Err); it is the last
	// event before the channel is closed.
	WatchFailed
)

var ruleEventNames = [...]string{
	RuleAdded:     "rule added",
	RuleDeleted:   "rule deleted",
	ChainCreated:  "chain created",
	ChainDeleted:  "chain deleted",
	ChainRenamed:  "chain renamed",
	PolicyChanged: "policy changed",
	Committed:     "committed",
	Overrun:       "overrun",
	WatchFailed:   "watch failed",
}

// String returns the kind in words ("rule added").
func (k RuleEventKind) String() string {
	if k > 0 && int(k) < len(ruleEventNames) {
		return ruleEventNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// RuleEvent is one change to the iptables tables of a family.
type RuleEvent struct {
	Kind  RuleEventKind
	Table string
	Chain string
	// OldChain is the chain's previous name (ChainRenamed).
	OldChain string
	// Line is the line of `iptables -S` the change added or removed: the
	// rule ("-A CHAIN ..."), "-N CHAIN" for a user chain, "-P CHAIN
	// POLICY" for a built-in one. Empty when Err is set.
	Line string
	// Spec is the decoded rule (RuleAdded, RuleDeleted), nil when Err is
	// set.
	Spec *Spec
	// Handle is the rule's nf_tables handle (RuleAdded, RuleDeleted).
	Handle uint64
	// Gen is the ruleset generation the change belongs to.
	Gen uint32
	// PID and Comm name the committing process (Committed); PID is the
	// committing thread's id, which is the process id of single-threaded
	// tools like iptables-nft.
	PID  uint32
	Comm string
	// Err is set for a rule iptables cannot express (it matches
	// ErrNotIptables: written by nft or another tool; never misprinted),
	// and for WatchFailed.
	Err error
}

// String renders the event for logs.
func (e RuleEvent) String() string {
	switch e.Kind {
	case Committed:
		return fmt.Sprintf("committed generation %d by process %d (%s)", e.Gen, e.PID, e.Comm)
	case Overrun, WatchFailed:
		if e.Err != nil {
			return fmt.Sprintf("%s: %v", e.Kind, e.Err)
		}
		return e.Kind.String()
	}
	s := fmt.Sprintf("%s %s %s", e.Kind, e.Table, e.Chain)
	if e.Line != "" {
		s += ": " + e.Line
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Watch reports changes to the IPTables' family's iptables tables
// (filter, nat, mangle, raw, security) made by anyone from now on, as
// `iptables -S` lines. Each commit's changes are followed by a Committed
// event. Cancel ctx to stop: the channel is closed once the watch has
// released its socket. The consumer must keep reading until then or
// cancel; falling behind costs an Overrun event, never a silent loss.
// The watch is of the namespace a call made now would act in (see
// IPTables), for its whole life.
func (ipt *IPTables) Watch(ctx context.Context) (<-chan RuleEvent, error) {
	ipt, held, err := ipt.bind()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	w, err := ipt.conn.Watch(ctx)
	if err != nil {
		cancel()
		ipt.release(held)
		return nil, wrapErr(err)
	}
	tr := &watchTranslator{ipt: ipt}
	if err := tr.snapshot(); err != nil {
		w.Close()
		cancel()
		ipt.release(held)
		return nil, wrapErr(err)
	}
	out := make(chan RuleEvent, 64)
	go func() {
		defer close(out)
		defer ipt.release(held)
		defer cancel()
		defer w.Close()
		send := func(e RuleEvent) bool {
			select {
			case out <- e:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for ev := range w.Events() {
			for _, e := range tr.translate(ev) {
				if !send(e) {
					return
				}
			}
		}
		if err := w.Err(); err != nil && ctx.Err() == nil {
			send(RuleEvent{Kind: WatchFailed, Err: err})
		}
	}()
	return out, nil
}

// watchChainKey names a chain by table and handle: handles are unique within a
// table, and survive a rename.
type watchChainKey struct {
	table  string
	handle uint64
}

type watchChainState struct {
	name   string
	policy *xtnl.Policy // nil for a user chain
}

// watchTranslator turns nf_tables events into RuleEvents. It keeps the
// chains of the watched tables, to tell a chain's creation from a change
// of its policy or name, which the kernel reports alike.
type watchTranslator struct {
	ipt    *IPTables
	chains map[watchChainKey]watchChainState
	// since: events of generations up to it are already in chains.
	since uint32
	// touched: the current batch changed a watched table.
	touched bool
}

// snapshot reads the chains of the watched tables at one generation.
func (tr *watchTranslator) snapshot() error {
	c := tr.ipt.conn
	f := tr.ipt.fam.xtnlFamily()
	var err error
	for range 8 {
		var g1, g2 uint32
		var chains []*xtnl.Chain
		if g1, err = c.Generation(); err != nil {
			return err
		}
		if chains, err = c.ListChains(f, ""); err != nil {
			return err
		}
		if g2, err = c.Generation(); err != nil {
			return err
		}
		if g1 != g2 {
			err = fmt.Errorf("compat: watch: ruleset kept changing while read: %w", xtnl.ErrGenerationChanged)
			continue
		}
		tr.chains = map[watchChainKey]watchChainState{}
		for _, ch := range chains {
			if isTable(ch.Table) {
				tr.chains[watchChainKey{ch.Table, ch.Handle}] = stateOf(ch)
			}
		}
		tr.since = g1
		return nil
	}
	return err
}

func stateOf(ch *xtnl.Chain) watchChainState {
	st := watchChainState{name: ch.Name}
	if ch.Base != nil {
		p := xtnl.PolicyAccept
		if ch.Base.Policy != nil {
			p = *ch.Base.Policy
		}
		st.policy = &p
	}
	return st
}

// chainLine is the -S line of a chain: -P for a built-in chain, -N for a
// user chain.
func chainLine(table string, st watchChainState) string {
	if st.policy != nil && IsBuiltinChain(table, st.name) {
		p := "ACCEPT"
		if *st.policy == xtnl.PolicyDrop {
			p = "DROP"
		}
		return "-P " + st.name + " " + p
	}
	return "-N " + st.name
}

func (tr *watchTranslator) translate(ev xtnl.Event) []RuleEvent {
	switch ev.Type {
	case xtnl.EventOverrun:
		// What was lost is unknown: read the chains afresh, so later
		// events are told apart correctly.
		out := []RuleEvent{{Kind: Overrun, Gen: ev.Gen, Err: ev.Err}}
		if err := tr.snapshot(); err != nil {
			out = append(out, RuleEvent{Kind: Overrun, Err: fmt.Errorf("compat: watch: reread chains: %w", err)})
		}
		tr.touched = false
		return out
	case xtnl.EventNewGen:
		if int32(ev.Gen-tr.since) <= 0 || !tr.touched {
			return nil
		}
		tr.touched = false
		return []RuleEvent{{Kind: Committed, Gen: ev.Gen, PID: ev.PID, Comm: ev.Comm}}
	}
	if ev.Family != tr.ipt.fam.xtnlFamily() || int32(ev.Gen-tr.since) <= 0 {
		return nil
	}
	var out []RuleEvent
	switch {
	case ev.Err != nil:
		// Undecodable: report it with what is known, unless that shows
		// it is outside the watched tables.
		e := RuleEvent{Gen: ev.Gen, Err: ev.Err}
		switch {
		case ev.Chain != nil:
			e.Table, e.Chain = ev.Chain.Table, ev.Chain.Name
		case ev.Rule != nil:
			e.Table, e.Chain, e.Handle = ev.Rule.Table, ev.Rule.Chain, ev.Rule.Handle
		}
		switch ev.Type {
		case xtnl.EventNewRule:
			e.Kind = RuleAdded
		case xtnl.EventDelRule:
			e.Kind = RuleDeleted
		case xtnl.EventNewChain:
			e.Kind = ChainCreated
		case xtnl.EventDelChain:
			e.Kind = ChainDeleted
		default:
			return nil
		}
		if e.Table != "" && !isTable(e.Table) {
			return nil
		}
		out = append(out, e)
	case ev.Chain != nil:
		if !isTable(ev.Chain.Table) {
			return nil
		}
		out = tr.chainEvent(ev)
	case ev.Rule != nil:
		if !isTable(ev.Rule.Table) {
			return nil
		}
		out = append(out, tr.ruleEvent(ev))
	}
	if len(out) > 0 {
		tr.touched = true
	}
	return out
}

func (tr *watchTranslator) chainEvent(ev xtnl.Event) []RuleEvent {
	ch := ev.Chain
	key := watchChainKey{ch.Table, ch.Handle}
	base := RuleEvent{Table: ch.Table, Chain: ch.Name, Gen: ev.Gen}
	old, known := tr.chains[key]
	if ev.Type == xtnl.EventDelChain {
		delete(tr.chains, key)
		if !known {
			old = stateOf(ch)
		}
		base.Kind, base.Line = ChainDeleted, chainLine(ch.Table, old)
		return []RuleEvent{base}
	}
	st := stateOf(ch)
	if ch.Base != nil && ch.Base.Policy == nil && known {
		st.policy = old.policy // an update that left the policy alone
	}
	tr.chains[key] = st
	switch {
	case !known:
		base.Kind = ChainCreated
	case old.name != st.name:
		base.Kind, base.OldChain = ChainRenamed, old.name
	case st.policy != nil && (old.policy == nil || *old.policy != *st.policy):
		base.Kind = PolicyChanged
	default:
		return nil // nothing iptables shows changed
	}
	base.Line = chainLine(ch.Table, st)
	return []RuleEvent{base}
}

func (tr *watchTranslator) ruleEvent(ev xtnl.Event) RuleEvent {
	r := ev.Rule
	e := RuleEvent{Kind: RuleAdded, Table: r.Table, Chain: r.Chain, Handle: r.Handle, Gen: ev.Gen}
	if ev.Type == xtnl.EventDelRule {
		e.Kind = RuleDeleted
	}
	s, err := DecodeIn(tr.ipt.nsFd(), tr.ipt.fam, r)
	if err != nil {
		e.Err = err
		return e
	}
	e.Spec, e.Line = s, s.Format(false)
	return e
}
