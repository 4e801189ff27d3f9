package expr

import "fmt"

// NFTA_CONNLIMIT_* attribute types.
const (
	connlimitCount = 1
	connlimitFlags = 2
)

// formatConnlimit prints "count 10 flags 1 " (flags in hexadecimal,
// without a 0x prefix).
func formatConnlimit(_ byte, a attrs) string {
	return fmt.Sprintf("count %d flags %x ", a.u32(connlimitCount), a.u32(connlimitFlags))
}
