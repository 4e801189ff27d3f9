package compat

// DNAT: -j DNAT --to-destination [addr[-addr]][:port[-port[/base]]]
// [--random] [--persistent], revision 2 in both families (struct
// nf_nat_range2, 44 bytes → 48): u32 flags, union nf_inet_addr min_addr
// and max_addr (an IPv4 address in the first 4 bytes), be16 min port, max
// port, base port (the "/base" of a shifted port map, flag PROTO_OFFSET),
// 2 bytes pad. Ports need -p tcp, udp, sctp, dccp or icmp; IPv6 addresses
// go in brackets when a port follows ("[2001:db8::1]:80"). The layout is
// the same in both families but addresses print per family, so DNAT
// registers once per family. The kernel allows DNAT only in the nat
// table's PREROUTING and OUTPUT chains. See target_nat_range.go for the
// range syntax and its quirks.

func init() {
	registerNAT(natTarget{
		name:    "DNAT",
		options: []Option{natOptToOpt("to-destination"), natOptRandomOpt, natOptPersistentOpt},
		layout:  func(Family) (natLayout, uint32) { return natRange2, 2 },
		save:    natShow("--to-destination ", "--", false),
		print:   natShow("to:", "", false),
		tables:  []string{"nat"},
		hooks:   []string{"PREROUTING", "OUTPUT"},
	})
}
