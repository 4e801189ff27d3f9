package nft

import (
	"fmt"
	"net/netip"
)

// Printing quirks of two types nft prints through libc or a hexadecimal
// symbol table.

// formatDSCP prints a DSCP value by name, else in hexadecimal as nft's
// symbol table for it (BASE_HEXADECIMAL) does: 0x04.
func formatDSCP(dt *Datatype, b []byte, o *PrintOptions) string {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	if o == nil || !o.Numeric {
		for _, s := range dt.Symbols {
			if s.val == v {
				return s.name
			}
		}
	}
	return fmt.Sprintf("0x%02x", v)
}

// formatIPv6Compat prints an IPv6 address as inet_ntop does, which
// writes one whose first 96 bits are zero, and the next 16 are not, with
// its last 32 bits as an IPv4 address (::18.52.18.52).
func formatIPv6Compat(dt *Datatype, b []byte, o *PrintOptions) string {
	if len(b) == 16 && isZero(b[:12]) && (b[12] != 0 || b[13] != 0) {
		return "::" + netip.AddrFrom4([4]byte(b[12:16])).String()
	}
	return formatIP(dt, b, o)
}

func init() {
	dtDSCP.format = formatDSCP
	dtIPv6.format = formatIPv6Compat
}
