package compat

import (
	"slices"

	"github.com/xtnl/xtnl"
)

// builtinChain describes one of iptables' built-in chains as iptables-nft
// creates it: a base chain of the table's name in family ip or ip6.
type builtinChain struct {
	name     string
	hook     xtnl.Hook
	priority int32
	typ      xtnl.ChainType
}

// builtinTables lists iptables' tables and their built-in chains, in the
// order iptables lists them.
var builtinTables = map[string][]builtinChain{
	"filter": {
		{"INPUT", xtnl.HookInput, 0, xtnl.ChainTypeFilter},
		{"FORWARD", xtnl.HookForward, 0, xtnl.ChainTypeFilter},
		{"OUTPUT", xtnl.HookOutput, 0, xtnl.ChainTypeFilter},
	},
	"nat": {
		{"PREROUTING", xtnl.HookPrerouting, -100, xtnl.ChainTypeNAT},
		{"INPUT", xtnl.HookInput, 100, xtnl.ChainTypeNAT},
		{"OUTPUT", xtnl.HookOutput, -100, xtnl.ChainTypeNAT},
		{"POSTROUTING", xtnl.HookPostrouting, 100, xtnl.ChainTypeNAT},
	},
	"mangle": {
		{"PREROUTING", xtnl.HookPrerouting, -150, xtnl.ChainTypeFilter},
		{"INPUT", xtnl.HookInput, -150, xtnl.ChainTypeFilter},
		{"FORWARD", xtnl.HookForward, -150, xtnl.ChainTypeFilter},
		{"OUTPUT", xtnl.HookOutput, -150, xtnl.ChainTypeRoute},
		{"POSTROUTING", xtnl.HookPostrouting, -150, xtnl.ChainTypeFilter},
	},
	"raw": {
		{"PREROUTING", xtnl.HookPrerouting, -300, xtnl.ChainTypeFilter},
		{"OUTPUT", xtnl.HookOutput, -300, xtnl.ChainTypeFilter},
	},
	"security": {
		{"INPUT", xtnl.HookInput, 150, xtnl.ChainTypeFilter},
		{"FORWARD", xtnl.HookForward, 150, xtnl.ChainTypeFilter},
		{"OUTPUT", xtnl.HookOutput, 150, xtnl.ChainTypeFilter},
	},
}

// TableNames lists the tables iptables knows.
var TableNames = []string{"filter", "nat", "mangle", "raw", "security"}

func isTable(name string) bool { return slices.Contains(TableNames, name) }

// builtin returns the built-in chain of table named chain, if it is one.
func builtin(table, chain string) (builtinChain, bool) {
	for _, b := range builtinTables[table] {
		if b.name == chain {
			return b, true
		}
	}
	return builtinChain{}, false
}

// IsBuiltinChain reports whether chain is a built-in chain of table.
func IsBuiltinChain(table, chain string) bool {
	_, ok := builtin(table, chain)
	return ok
}

// ensureBuiltin adds to tx what makes the table and, when chain is
// built-in, that chain exist, as iptables-nft creates them on first use.
// Both messages are idempotent (no policy is sent, so an existing chain's
// policy is left alone) and so need no prior read.
func ensureBuiltin(tx *xtnl.Tx, fam Family, table, chain string) {
	f := fam.xtnlFamily()
	tx.AddTable(&xtnl.Table{Family: f, Name: table})
	if b, ok := builtin(table, chain); ok {
		// Without counters, as iptables-nft makes it on a first -A (a
		// policy set later gives it some).
		tx.AddChain(&xtnl.Chain{Family: f, Table: table, Name: chain, Base: &xtnl.BaseChain{
			Type: b.typ, Hook: b.hook, Priority: b.priority,
		}})
	}
}
