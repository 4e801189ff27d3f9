package expr

import "fmt"

// NFTA_QUOTA_* attribute types.
const (
	quotaBytes    = 1
	quotaFlags    = 2
	quotaConsumed = 4
)

// formatQuota prints "bytes 1000 consumed 0 flags 1 ".
func formatQuota(_ byte, a attrs) string {
	return fmt.Sprintf("bytes %d consumed %d flags %d ", a.u64(quotaBytes), a.u64(quotaConsumed), a.u32(quotaFlags))
}
