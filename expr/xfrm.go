package expr

import "fmt"

// NFTA_XFRM_* attribute types.
const (
	xfrmDreg  = 1
	xfrmKey   = 2
	xfrmDir   = 3
	xfrmSpnum = 4
)

var (
	xfrmKeys = []string{"", "daddr4", "saddr4", "daddr6", "saddr6", "reqid", "spi"}
	xfrmDirs = []string{"in", "out"}
)

// formatXfrm prints "load in 0 spi => reg 1 ".
func formatXfrm(_ byte, a attrs) string {
	if !a.has(xfrmDreg) {
		return ""
	}
	return fmt.Sprintf("load %s %d %s => reg %d ",
		tableName(xfrmDirs, uint64(a.u8(xfrmDir))), a.u32(xfrmSpnum),
		tableName(xfrmKeys, uint64(a.u32(xfrmKey))), a.u32(xfrmDreg))
}
