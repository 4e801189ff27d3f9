package expr

import "fmt"

// NFTA_SYNPROXY_* attribute types.
const (
	synproxyMss    = 1
	synproxyWscale = 2
)

// formatSynproxy prints "mss 1460 wscale 7 " when both are present.
func formatSynproxy(_ byte, a attrs) string {
	if !a.has(synproxyMss) || !a.has(synproxyWscale) {
		return ""
	}
	return fmt.Sprintf("mss %d wscale %d ", a.u16(synproxyMss), a.u8(synproxyWscale))
}
