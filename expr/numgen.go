package expr

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NFTA_NG_* attribute types.
const (
	numgenDreg    = unix.NFTA_NG_DREG
	numgenModulus = unix.NFTA_NG_MODULUS
	numgenType    = unix.NFTA_NG_TYPE
	numgenOffset  = unix.NFTA_NG_OFFSET
)

// formatNumgen prints "reg 1 = inc mod 2 " or "reg 1 = random mod 2 ",
// then "offset 5 " when the offset is not zero; an unknown type prints
// nothing.
func formatNumgen(_ byte, a attrs) string {
	var out string
	switch a.u32(numgenType) {
	case 0:
		out = fmt.Sprintf("reg %d = inc mod %d ", a.u32(numgenDreg), a.u32(numgenModulus))
	case 1:
		out = fmt.Sprintf("reg %d = random mod %d ", a.u32(numgenDreg), a.u32(numgenModulus))
	default:
		return ""
	}
	if off := a.u32(numgenOffset); off != 0 {
		out += fmt.Sprintf("offset %d ", off)
	}
	return out
}
