package nft

import (
	"fmt"
	"net/netip"
)

// formatIPv6 prints an IPv6 address as nft does through glibc's
// inet_ntop: like Go's netip, except that an address whose first six
// 16-bit words are zero and whose seventh is not (an "IPv4-compatible"
// address) ends in dotted IPv4, as in ::18.52.18.52.
func formatIPv6(b [16]byte) string {
	zero := true
	for _, c := range b[:12] {
		if c != 0 {
			zero = false
			break
		}
	}
	if zero && (b[12] != 0 || b[13] != 0) {
		return fmt.Sprintf("::%d.%d.%d.%d", b[12], b[13], b[14], b[15])
	}
	return netip.AddrFrom16(b).String()
}
