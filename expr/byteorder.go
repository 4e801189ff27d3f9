package expr

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NFTA_BYTEORDER_* attribute types.
const (
	byteorderSreg = unix.NFTA_BYTEORDER_SREG
	byteorderDreg = unix.NFTA_BYTEORDER_DREG
	byteorderOp   = unix.NFTA_BYTEORDER_OP
	byteorderLen  = unix.NFTA_BYTEORDER_LEN
	byteorderSize = unix.NFTA_BYTEORDER_SIZE
)

var byteorderOps = []string{"ntoh", "hton"}

// formatByteorder prints "reg 1 = hton(reg 1, 2, 2) " (size, then len).
func formatByteorder(_ byte, a attrs) string {
	return fmt.Sprintf("reg %d = %s(reg %d, %d, %d) ",
		a.u32(byteorderDreg), tableName(byteorderOps, uint64(a.u32(byteorderOp))),
		a.u32(byteorderSreg), a.u32(byteorderSize), a.u32(byteorderLen))
}
