package compat

// HL (IPv6 only): -j HL (struct ip6t_HL_info, 2 bytes, 8 sent): u8 mode @0
// (0 set, 1 inc, 2 dec), u8 hop_limit @1. --hl-set takes 0-255, --hl-dec
// and --hl-inc 1-255; the three exclude each other and one is required. -S
// prints "--hl-MODE N". The kernel allows it only in the mangle table.
// Same layout and rules as TTL: see registerTTL in target_ttl.go.

func init() {
	registerTTL("HL", "hl", IPv6)
}
