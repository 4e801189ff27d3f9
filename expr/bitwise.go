package expr

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
)

// NFTA_BITWISE_* attribute types and NFT_BITWISE_* operations.
const (
	bitwiseSreg = 1
	bitwiseDreg = 2
	bitwiseLen  = 3
	bitwiseMask = 4
	bitwiseXor  = 5
	bitwiseOp   = 6
	bitwiseData = 7

	bitwiseBool   = 0
	bitwiseLshift = 1
	bitwiseRshift = 2
)

// formatBitwise prints "reg 1 = ( reg 1 & 0x0000ffff ) ^ 0x00000000 " for
// a mask-and-xor, "reg 1 = ( reg 1 << 0x00000001 ) " for a shift, and
// nothing for an operation libnftnl does not know.
func formatBitwise(_ byte, a attrs) string {
	dreg, sreg := a.u32(bitwiseDreg), a.u32(bitwiseSreg)
	switch a.u32(bitwiseOp) {
	case bitwiseBool:
		return fmt.Sprintf("reg %d = ( reg %d & ", dreg, sreg) + formatData(a, bitwiseMask) +
			") ^ " + formatData(a, bitwiseXor)
	case bitwiseLshift:
		return fmt.Sprintf("reg %d = ( reg %d << ", dreg, sreg) + formatData(a, bitwiseData) + ") "
	case bitwiseRshift:
		return fmt.Sprintf("reg %d = ( reg %d >> ", dreg, sreg) + formatData(a, bitwiseData) + ") "
	}
	return ""
}

// Mask returns a bitwise expression computing reg = (reg & mask) ^ 0 over
// len(mask) bytes: "[ bitwise reg reg = ( reg reg & mask ) ^ 0x00000000 ]".
func Mask(reg uint32, mask []byte) *nftexpr.Bitwise {
	return &nftexpr.Bitwise{
		SourceRegister: reg,
		DestRegister:   reg,
		Len:            uint32(len(mask)),
		Mask:           mask,
		Xor:            make([]byte, len(mask)),
	}
}
