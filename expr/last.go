package expr

import "fmt"

// NFTA_LAST_* attribute types.
const (
	lastSet   = 1
	lastMsecs = 2
)

// formatLast prints "never " for a last that has not been hit, else the
// milliseconds since it was: "1234 ".
func formatLast(_ byte, a attrs) string {
	if a.u32(lastSet) == 0 {
		return "never "
	}
	return fmt.Sprintf("%d ", a.u64(lastMsecs))
}
