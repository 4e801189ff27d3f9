package expr

import "fmt"

// NFTA_BYTEORDER_* attribute types.
const (
	byteorderSreg = 1
	byteorderDreg = 2
	byteorderOp   = 3
	byteorderLen  = 4
	byteorderSize = 5
)

var byteorderOps = []string{"ntoh", "hton"}

// formatByteorder prints "reg 1 = hton(reg 1, 2, 2) " (size, then len).
func formatByteorder(_ byte, a attrs) string {
	return fmt.Sprintf("reg %d = %s(reg %d, %d, %d) ",
		a.u32(byteorderDreg), tableName(byteorderOps, uint64(a.u32(byteorderOp))),
		a.u32(byteorderSreg), a.u32(byteorderSize), a.u32(byteorderLen))
}
