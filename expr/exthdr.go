package expr

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NFTA_EXTHDR_* attribute types.
const (
	exthdrDreg   = unix.NFTA_EXTHDR_DREG
	exthdrType   = unix.NFTA_EXTHDR_TYPE
	exthdrOffset = unix.NFTA_EXTHDR_OFFSET
	exthdrLen    = unix.NFTA_EXTHDR_LEN
	exthdrFlags  = unix.NFTA_EXTHDR_FLAGS
	exthdrOp     = unix.NFTA_EXTHDR_OP
	exthdrSreg   = unix.NFTA_EXTHDR_SREG
)

// formatExthdr prints "load tcpopt 2b @ 2 + 2 => reg 1 ", "write tcpopt reg
// 1 => 2b @ 2 + 2 ", "reset tcpopt 2 " or "op 0 len 0 type 0 offset 0 ".
func formatExthdr(_ byte, a attrs) string {
	op := a.u32(exthdrOp)
	opName := ""
	switch uint8(op) { // libnftnl passes the op as uint8_t
	case 0:
		opName = " ipv6"
	case 1:
		opName = " tcpopt"
	case 2:
		opName = " ipv4"
	}
	typ, off, n := a.u8(exthdrType), a.u32(exthdrOffset), a.u32(exthdrLen)
	switch {
	case a.has(exthdrDreg):
		present := ""
		if a.u32(exthdrFlags)&1 != 0 { // NFT_EXTHDR_F_PRESENT
			present = " present"
		}
		return fmt.Sprintf("load%s %db @ %d + %d%s => reg %d ", opName, n, typ, off, present, a.u32(exthdrDreg))
	case a.has(exthdrSreg):
		return fmt.Sprintf("write%s reg %d => %db @ %d + %d ", opName, a.u32(exthdrSreg), n, typ, off)
	case op == 1 && n == 0:
		return fmt.Sprintf("reset tcpopt %d ", typ)
	}
	return fmt.Sprintf("op %d len %d type %d offset %d ", op, n, typ, off)
}
