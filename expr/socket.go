package expr

import "fmt"

// NFTA_SOCKET_* attribute types.
const (
	socketKey   = 1
	socketDreg  = 2
	socketLevel = 3
)

var socketKeys = []string{"transparent", "mark", "wildcard", "cgroupv2"}

// formatSocket prints "load transparent => reg 1 " (or "level 1 " when
// there is a level but no destination register).
func formatSocket(_ byte, a attrs) string {
	switch {
	case a.has(socketDreg):
		return fmt.Sprintf("load %s => reg %d ", tableName(socketKeys, uint64(uint8(a.u32(socketKey)))), a.u32(socketDreg))
	case a.has(socketLevel):
		return fmt.Sprintf("level %d ", a.u32(socketLevel))
	}
	return ""
}
