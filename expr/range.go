package expr

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// NFTA_RANGE_* attribute types.
const (
	rangeSreg     = unix.NFTA_RANGE_SREG
	rangeOp       = unix.NFTA_RANGE_OP
	rangeFromData = unix.NFTA_RANGE_FROM_DATA
	rangeToData   = unix.NFTA_RANGE_TO_DATA
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

// AppendRange appends [ range OP reg SREG FROM TO ] (from and to as
// NFTA_DATA_VALUE; an empty one is left out, as google/nftables does).
func AppendRange(b []byte, op nftexpr.CmpOp, sreg uint32, from, to []byte) []byte {
	b, d := beginElem(b, "range")
	if sreg > 0 {
		b = nlattr.AppendUint32(b, unix.NFTA_RANGE_SREG, sreg)
	}
	b = nlattr.AppendUint32(b, unix.NFTA_RANGE_OP, uint32(op))
	if len(from) > 0 {
		b = appendDataValue(b, unix.NFTA_RANGE_FROM_DATA, from)
	}
	if len(to) > 0 {
		b = appendDataValue(b, unix.NFTA_RANGE_TO_DATA, to)
	}
	return endElem(b, d)
}
