package expr

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NFTA_REJECT_* attribute types.
const (
	rejectType = unix.NFTA_REJECT_TYPE
	rejectCode = 2
)

// formatReject prints "type 0 code 3 ".
func formatReject(_ byte, a attrs) string {
	return fmt.Sprintf("type %d code %d ", a.u32(rejectType), a.u8(rejectCode))
}
