// Package xtnl manages nf_tables over netlink, without running nft or
// iptables: tables, chains, rules, sets and maps, in atomic transactions.
//
// Start with Open (a connection in the caller's network namespace) or
// Pool (connections per namespace, for programs that work in many), then
// Conn.Begin: a Tx collects operations and Commit sends them as one
// batch, applied whole or not at all. Concurrent commits on one Conn
// share batches (group commit). Reads (ListRules, ListChains, ListSets,
// ...) see one generation of the ruleset; Watch follows its changes.
// Rules carry google/nftables expressions (package expr has the fast
// encoders and the nft --debug=netlink printer); RawRule keeps them
// encoded, for callers that compare or re-write many rules.
//
// OpenFake gives a Conn onto an in-memory kernel (package nftfake) for
// unit tests. For iptables' syntax and semantics (rulespecs, -S, -L,
// iptables-save and -restore, the go-iptables API), use package compat.
// ARCHITECTURE.md at the module's root maps the layers.
package xtnl
