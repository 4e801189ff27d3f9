package compat

// DNAT: -j DNAT --to-destination [addr[-addr]][:port[-port[/base]]]
// [--random] [--persistent], revision 2 in both families (struct
// nf_nat_range2, 44 bytes → 48): u32 flags @0 (host order), union
// nf_inet_addr min_addr @4 and max_addr @20 (an IPv4 address in the first
// 4 bytes), be16 min port @36, max port @38, base port @40 (the "/base"
// of a shifted port map, flag PROTO_OFFSET), 2 bytes pad. Ports need -p
// tcp, udp, sctp, dccp or icmp; IPv6 addresses go in brackets when a port
// follows ("[2001:db8::1]:80"). The layout is the same in both families
// but addresses print per family, so DNAT registers once per family. The
// kernel allows DNAT only in the nat table's PREROUTING and OUTPUT chains.
// See target_nat_range.go for the range syntax and its quirks.

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "DNAT", Target: true, Family: fam, Revision: 2, Size: taNatSizes[taNatRange2],
			Options: []Option{
				{Name: "to-destination", Args: 1, Mandatory: true, ID: taNatOptTo},
				{Name: "random", ID: taNatOptRandom},
				{Name: "persistent", ID: taNatOptPersistent},
			},
			LegacyParse: taNatParse(taNatRange2, fam),
			Save:        taNatSave(taNatRange2, fam, "to-destination", false),
			Print:       taNatPrint(taNatRange2, fam, "to:", false),
			Tables:      []string{"nat"},
			Hooks:       []string{"PREROUTING", "OUTPUT"},
		})
	}
}
