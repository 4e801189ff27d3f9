package expr

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
)

// NFTA_LOOKUP_* attribute types.
const (
	lookupSet   = 1
	lookupSreg  = 2
	lookupDreg  = 3
	lookupSetID = 4
	lookupFlags = 5
)

// formatLookup prints "reg 1 set s ", then "dreg 0 " for a map and the
// flags ("0x0 ", "0x1 " when inverted) when they are present.
func formatLookup(_ byte, a attrs) string {
	out := fmt.Sprintf("reg %d set %s ", a.u32(lookupSreg), a.str(lookupSet))
	if a.has(lookupDreg) {
		out += fmt.Sprintf("dreg %d ", a.u32(lookupDreg))
	}
	if a.has(lookupFlags) {
		out += fmt.Sprintf("0x%x ", a.u32(lookupFlags))
	}
	return out
}

// Lookup returns a lookup expression matching register reg against the
// named set: "[ lookup reg reg set name ]".
func Lookup(reg uint32, set string) *nftexpr.Lookup {
	return &nftexpr.Lookup{SourceRegister: reg, SetName: set}
}
