package expr

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// NFTA_LOOKUP_* attribute types.
const (
	lookupSet   = unix.NFTA_LOOKUP_SET
	lookupSreg  = unix.NFTA_LOOKUP_SREG
	lookupDreg  = unix.NFTA_LOOKUP_DREG
	lookupSetID = 4
	lookupFlags = unix.NFTA_LOOKUP_FLAGS
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
