package expr

import "fmt"

// NFTA_RANGE_* attribute types.
const (
	rangeSreg     = 1
	rangeOp       = 2
	rangeFromData = 3
	rangeToData   = 4
)

// formatRange prints "eq reg 1 0x00000016 0x00000050 " (from, then to).
func formatRange(_ byte, a attrs) string {
	op := "unknown"
	switch a.u32(rangeOp) {
	case 0:
		op = "eq"
	case 1:
		op = "neq"
	}
	return fmt.Sprintf("%s reg %d ", op, a.u32(rangeSreg)) + formatData(a, rangeFromData) + formatData(a, rangeToData)
}
