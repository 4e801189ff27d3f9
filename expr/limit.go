package expr

import "fmt"

// NFTA_LIMIT_* attribute types.
const (
	limitRate  = 1
	limitUnit  = 2
	limitBurst = 3
	limitType  = 4
	limitFlags = 5
)

// limitUnitName names a limit's unit in seconds as libnftnl 1.2.4 does;
// any other unit prints as "error".
func limitUnitName(u uint64) string {
	switch u {
	case 1:
		return "second"
	case 60:
		return "minute"
	case 60 * 60:
		return "hour"
	case 60 * 60 * 24:
		return "day"
	case 60 * 60 * 24 * 7:
		return "week"
	}
	return "error"
}

// formatLimit prints "rate 10/second burst 5 type packets flags 0x0 ".
func formatLimit(_ byte, a attrs) string {
	typ := "packets"
	if a.u32(limitType) == 1 { // NFT_LIMIT_PKT_BYTES
		typ = "bytes"
	}
	return fmt.Sprintf("rate %d/%s burst %d type %s flags 0x%x ",
		a.u64(limitRate), limitUnitName(a.u64(limitUnit)), a.u32(limitBurst), typ, a.u32(limitFlags))
}
