package compat

// hl: -m hl (IPv6 only; struct ip6t_hl_info, 2 bytes, 8 sent): u8 mode @0
// (EQ 0, NE 1, LT 2, GT 3), u8 hop_limit @1. Exactly one of --hl-eq (or
// --hl, not negatable), --hl-lt, --hl-gt; "! --hl-eq" is mode NE. Same
// structure and behaviour as ttl (match_ttl.go registers both shapes).

func init() {
	registerTTLHL("hl", "HL", IPv6)
}
