package expr

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NFTA_QUOTA_* attribute types.
const (
	quotaBytes    = unix.NFTA_QUOTA_BYTES
	quotaFlags    = unix.NFTA_QUOTA_FLAGS
	quotaConsumed = unix.NFTA_QUOTA_CONSUMED
)

// formatQuota prints "bytes 1000 consumed 0 flags 1 ".
func formatQuota(_ byte, a attrs) string {
	return fmt.Sprintf("bytes %d consumed %d flags %d ", a.u64(quotaBytes), a.u64(quotaConsumed), a.u32(quotaFlags))
}
