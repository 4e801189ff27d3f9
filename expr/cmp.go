package expr

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
)

// NFTA_CMP_* attribute types.
const (
	cmpSreg = 1
	cmpOp   = 2
	cmpData = 3
)

var cmpOps = []string{"eq", "neq", "lt", "lte", "gt", "gte"}

// formatCmp prints "eq reg 1 0x0000000a ".
func formatCmp(_ byte, a attrs) string {
	return fmt.Sprintf("%s reg %d ", tableName(cmpOps, uint64(a.u32(cmpOp))), a.u32(cmpSreg)) +
		formatData(a, cmpData)
}

// Cmp returns a cmp expression comparing register reg with data:
// "[ cmp op reg reg data ]".
func Cmp(op nftexpr.CmpOp, reg uint32, data []byte) *nftexpr.Cmp {
	return &nftexpr.Cmp{Op: op, Register: reg, Data: data}
}
