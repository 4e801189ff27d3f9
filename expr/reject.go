package expr

import "fmt"

// NFTA_REJECT_* attribute types.
const (
	rejectType = 1
	rejectCode = 2
)

// formatReject prints "type 0 code 3 ".
func formatReject(_ byte, a attrs) string {
	return fmt.Sprintf("type %d code %d ", a.u32(rejectType), a.u8(rejectCode))
}
