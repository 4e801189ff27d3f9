package expr

import "fmt"

// NFTA_TUNNEL_* attribute types.
const (
	tunnelKey  = 1
	tunnelDreg = 2
)

var tunnelKeys = []string{"path", "id"}

// formatTunnel prints "load id => reg 1 ".
func formatTunnel(_ byte, a attrs) string {
	if !a.has(tunnelDreg) {
		return ""
	}
	return fmt.Sprintf("load %s => reg %d ", tableName(tunnelKeys, uint64(uint8(a.u32(tunnelKey)))), a.u32(tunnelDreg))
}
