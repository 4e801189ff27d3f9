package expr

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NFTA_HASH_* attribute types.
const (
	hashSreg    = unix.NFTA_HASH_SREG
	hashDreg    = unix.NFTA_HASH_DREG
	hashLen     = unix.NFTA_HASH_LEN
	hashModulus = unix.NFTA_HASH_MODULUS
	hashSeed    = unix.NFTA_HASH_SEED
	hashOffset  = unix.NFTA_HASH_OFFSET
	hashType    = unix.NFTA_HASH_TYPE
)

// formatHash prints "reg 1 = jhash(reg 2, 4, 0x0) % mod 10 " or "reg 1 =
// symhash() % mod 10 ", then "offset 5 " when the offset is not zero.
func formatHash(_ byte, a attrs) string {
	var out string
	if a.u32(hashType) == 1 { // NFT_HASH_SYM
		out = fmt.Sprintf("reg %d = symhash() %% mod %d ", a.u32(hashDreg), a.u32(hashModulus))
	} else {
		out = fmt.Sprintf("reg %d = jhash(reg %d, %d, 0x%x) %% mod %d ",
			a.u32(hashDreg), a.u32(hashSreg), a.u32(hashLen), a.u32(hashSeed), a.u32(hashModulus))
	}
	if off := a.u32(hashOffset); off != 0 {
		out += fmt.Sprintf("offset %d ", off)
	}
	return out
}
