package expr

import "fmt"

// NFTA_COUNTER_* attribute types.
const (
	counterBytes   = 1
	counterPackets = 2
)

// formatCounter prints "pkts 0 bytes 0 ".
func formatCounter(_ byte, a attrs) string {
	return fmt.Sprintf("pkts %d bytes %d ", a.u64(counterPackets), a.u64(counterBytes))
}
