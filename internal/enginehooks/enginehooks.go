// Package enginehooks hands package compat the few engine operations it
// needs for speed and that are not part of package xtnl's public API:
// per-connection state, re-reading a chain from an earlier listing, and
// building one large transaction on several goroutines.
//
// Package xtnl registers its Hooks in its init; compat takes them with
// Get, typed with xtnl's own types (this package cannot name them: xtnl
// imports it).
package enginehooks

import "errors"

// ErrGenerationMoved is returned by a listing pinned to a generation
// (ListRulesRawAt) that found the ruleset at another: the caller, reading
// many chains at one generation, must start over.
var ErrGenerationMoved = errors.New("xtnl: the ruleset's generation moved during the listing")

// Hooks are the engine operations, over the engine's connection (C),
// transaction (T), raw rule (R) and family (F) types.
type Hooks[C, T, R, F any] struct {
	// Attached returns the value kept on conn under key, first storing
	// what make returns: state that lives and goes with the connection.
	Attached func(conn C, key any, make func() any) any
	// ListRulesRaw lists a chain's rules without decoding them, given an
	// earlier listing of it (prev): with reuse, a rule unchanged since
	// comes back as prev's, not as a copy; without, every rule is a copy
	// of its own (which lets memory read long ago go). from gives each
	// rule's position in prev, -1 for a rule prev does not hold as it is.
	ListRulesRaw func(conn C, fam F, table, chain string, prev []R, reuse bool) (rules []R, from []int32, err error)
	// ListRulesRawAt is ListRulesRaw for a caller that read the
	// generation gen and reads many chains at it, then reads the
	// generation again to know that none changed meanwhile (as
	// iptables-nft reads a table): one round trip per chain rather than
	// three. A message of another generation gives ErrGenerationMoved.
	ListRulesRawAt func(conn C, gen uint32, fam F, table, chain string, prev []R, reuse bool) (rules []R, from []int32, err error)
	// EachRuleRawAt dumps a chain at generation gen as ListRulesRawAt
	// does, handing each rule to each rather than returning them: the
	// rule and its bytes are the receive buffer's, valid only during the
	// call, so a reader that keeps only what it prints of each rule (a
	// save of a large table) reads into no fresh memory. start runs
	// before every attempt (a dump interrupted is started over).
	EachRuleRawAt func(conn C, gen uint32, fam F, table, chain string, start func(), each func(r R) error) error
	// GetRuleRaw gets one rule by handle (one round trip, no dump),
	// handed to fn as EachRuleRawAt hands rules; a rule not there is an
	// error (ENOENT).
	GetRuleRaw func(conn C, fam F, table, chain string, handle uint64, fn func(r R) error) error
	// Sibling opens a second connection to conn's namespace, for a
	// reader that dumps on two sockets at once; conn must outlive it and
	// the caller closes it.
	Sibling func(conn C) (C, error)
	// Reserve makes room in tx for about n more bytes of operations.
	Reserve func(tx T, n int)
	// ReserveOps makes room in tx for n more operations.
	ReserveOps func(tx T, n int)
	// Cut moves tx's operations so far into a new transaction, no copy.
	Cut func(tx T) T
	// Merge appends others' operations to tx, in order, no copy.
	Merge func(tx T, others ...T)
}

var registered any

// Register is called by package xtnl's init.
func Register[C, T, R, F any](h Hooks[C, T, R, F]) { registered = h }

// Get returns the hooks package xtnl registered; the type arguments must
// be xtnl's (*Conn, *Tx, *RawRule, Family).
func Get[C, T, R, F any]() Hooks[C, T, R, F] { return registered.(Hooks[C, T, R, F]) }
