package expr

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
)

// NFTA_PAYLOAD_* attribute types.
const (
	payloadDreg       = 1
	payloadBase       = 2
	payloadOffset     = 3
	payloadLen        = 4
	payloadSreg       = 5
	payloadCsumType   = 6
	payloadCsumOffset = 7
	payloadCsumFlags  = 8
)

var payloadBases = []string{"link", "network", "transport", "inner"}

// formatPayload prints "load 4b @ network header + 12 => reg 1 " or, for a
// payload write (a non-zero source register), "write reg 1 => 2b @
// transport header + 2 csum_type 1 csum_off 16 csum_flags 0x0 ".
func formatPayload(_ byte, a attrs) string {
	base := tableName(payloadBases, uint64(a.u32(payloadBase)))
	if sreg := a.u32(payloadSreg); sreg != 0 {
		return fmt.Sprintf("write reg %d => %db @ %s header + %d csum_type %d csum_off %d csum_flags 0x%x ",
			sreg, a.u32(payloadLen), base, a.u32(payloadOffset),
			a.u32(payloadCsumType), a.u32(payloadCsumOffset), a.u32(payloadCsumFlags))
	}
	return fmt.Sprintf("load %db @ %s header + %d => reg %d ",
		a.u32(payloadLen), base, a.u32(payloadOffset), a.u32(payloadDreg))
}

// PayloadLoad returns a payload expression that loads n bytes at offset
// from the given header base into register reg:
// "[ payload load nb @ base header + offset => reg reg ]".
func PayloadLoad(base nftexpr.PayloadBase, offset, n, reg uint32) *nftexpr.Payload {
	return &nftexpr.Payload{
		OperationType: nftexpr.PayloadLoad,
		DestRegister:  reg,
		Base:          base,
		Offset:        offset,
		Len:           n,
	}
}
