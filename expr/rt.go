package expr

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NFTA_RT_* attribute types.
const (
	rtDreg = unix.NFTA_RT_DREG
	rtKey  = unix.NFTA_RT_KEY
)

var rtKeys = []string{"classid", "nexthop4", "nexthop6", "tcpmss", "ipsec"}

// formatRt prints "load tcpmss => reg 1 ".
func formatRt(_ byte, a attrs) string {
	if !a.has(rtDreg) {
		return ""
	}
	return fmt.Sprintf("load %s => reg %d ", tableName(rtKeys, uint64(uint8(a.u32(rtKey)))), a.u32(rtDreg))
}
