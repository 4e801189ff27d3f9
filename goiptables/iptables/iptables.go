// Package iptables is github.com/coreos/go-iptables/iptables served by
// xtnl: every name of go-iptables v0.8.0, the same types, talking netlink
// to nf_tables instead of running iptables. It re-exports package
// github.com/xtnl/xtnl/compat, where the behaviour and its documentation
// live; start there.
//
// A client switches with one line in its go.mod and no change to its code:
//
//	replace github.com/coreos/go-iptables => github.com/xtnl/xtnl/goiptables v0.1.0
//
// This module declares itself as github.com/coreos/go-iptables, which the
// go command accepts for the target of a replace.
package iptables

import "github.com/xtnl/xtnl/compat"

// The types are compat's own (aliases), so values pass between code that
// imports either package.
type (
	// IPTables is go-iptables' handle: see compat.IPTables.
	IPTables = compat.IPTables
	// Error is what a failed call returns: see compat.Error.
	Error = compat.Error
	// Protocol tells IPv4 from IPv6.
	Protocol = compat.Protocol
	// Stat is one row of StructuredStats: go-iptables' ten fields.
	Stat = compat.Stat
	// Unlocker is go-iptables' handle on the xtables lock (nothing takes it).
	Unlocker = compat.Unlocker
)

// Protocols.
const (
	ProtocolIPv4 = compat.ProtocolIPv4
	ProtocolIPv6 = compat.ProtocolIPv6
)

// The constructors and options are variables: their option type is
// unexported in go-iptables and in compat alike, so no function declared
// here could name it. Calls read the same:
// iptables.New(iptables.IPFamily(iptables.ProtocolIPv6), iptables.Timeout(5)).
var (
	// New returns an IPTables for IPv4 unless IPFamily says otherwise.
	New = compat.New
	// IPFamily selects IPv4 (the default) or IPv6.
	IPFamily = compat.IPFamily
	// Timeout is accepted and ignored: nf_tables has no xtables lock.
	Timeout = compat.Timeout
	// Path names the iptables binary go-iptables would run (see compat.Path).
	Path = compat.Path
)

// NewWithProtocol is New(IPFamily(proto)).
func NewWithProtocol(proto Protocol) (*IPTables, error) { return compat.NewWithProtocol(proto) }
