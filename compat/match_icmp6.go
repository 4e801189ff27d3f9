package compat

// icmp6: -m icmp6 [!] --icmpv6-type TYPE[/CODE] (IPv6 only; struct
// ip6t_icmp, 4 bytes, 8 sent): u8 type @0, u8 code[2] @1 (min, max), u8
// invflags @3 (1: negated). Init sets code max 0xff (type stays 0). Names
// and numbers parse as for icmp (match_icmp.go) with the ICMPv6 names;
// -S prints "--icmpv6-type TYPE[/CODE]" numerically (no "any"). The kernel
// accepts it only with -p icmpv6 (58), not negated.

var icmp6Names = []icmpName{
	{"destination-unreachable", 1, 0, 0xFF},
	{"no-route", 1, 0, 0},
	{"communication-prohibited", 1, 1, 1},
	{"beyond-scope", 1, 2, 2},
	{"address-unreachable", 1, 3, 3},
	{"port-unreachable", 1, 4, 4},
	{"failed-policy", 1, 5, 5},
	{"reject-route", 1, 6, 6},
	{"packet-too-big", 2, 0, 0xFF},
	{"time-exceeded", 3, 0, 0xFF},
	{"ttl-exceeded", 3, 0, 0xFF},
	{"ttl-zero-during-transit", 3, 0, 0},
	{"ttl-zero-during-reassembly", 3, 1, 1},
	{"parameter-problem", 4, 0, 0xFF},
	{"bad-header", 4, 0, 0},
	{"unknown-header-type", 4, 1, 1},
	{"unknown-option", 4, 2, 2},
	{"echo-request", 128, 0, 0xFF},
	{"ping", 128, 0, 0xFF},
	{"echo-reply", 129, 0, 0xFF},
	{"pong", 129, 0, 0xFF},
	{"router-solicitation", 133, 0, 0xFF},
	{"router-advertisement", 134, 0, 0xFF},
	{"neighbour-solicitation", 135, 0, 0xFF},
	{"neighbor-solicitation", 135, 0, 0xFF},
	{"neighbour-advertisement", 136, 0, 0xFF},
	{"neighbor-advertisement", 136, 0, 0xFF},
	{"redirect", 137, 0, 0xFF},
}

func init() {
	Register(&Extension{
		Name: "icmp6", Family: IPv6, Revision: 0, Size: 4, Proto: 58,
		Options: []Option{{Name: "icmpv6-type", Type: TypeString, Flags: Invert | Mandatory}},
		Init: func(info []byte, _ *ParseContext) {
			t := icmpInfo{code: [2]uint8{0, 0xff}}
			t.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error { return icmpParse(info, c, icmp6Names, "ICMPv6") },
		Print: func(info []byte, w *Writer) { printICMP(w, " ipv6-icmp", info, icmp6Names) },
		Save: func(info []byte, w *Writer) {
			var t icmpInfo
			t.unmarshal(info)
			if t.invflags&1 != 0 {
				w.WriteString(" !")
			}
			w.WriteString(" --icmpv6-type " + t.typeCode())
		},
	})
}
