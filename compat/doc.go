// Package compat speaks iptables over xtnl: it turns iptables rulespecs
// into the very netlink messages iptables-nft 1.8.9 writes, reads rules
// back (whoever wrote them) and prints them as iptables does: -S, every
// -L form, iptables-save. It is also a drop-in for go-iptables.
//
// Start with New (an IPTables acting in the calling thread's network
// namespace, or NetNS(name)) and its go-iptables methods: Append, Insert,
// Exists, Delete, List, Stats, NewChain, ClearChain, ... Save and Restore
// speak iptables-save's format; ListTable prints `iptables -L`. Errors are
// *Error, with iptables' message and exit status; a bad rulespec wraps a
// *SpecError naming the offending token (errors.Is(err, ErrBadSpec)).
//
// Inside, each match and target is one file (match_NAME.go,
// target_NAME.go) declaring its options for the option engine (option.go,
// engine.go) and its payload as a typed struct; parse.go reads a
// rulespec, encode.go and decode.go map it to and from expressions, and
// table_view.go, snapshot.go and cache.go hold what was read, per
// ruleset generation.
package compat
