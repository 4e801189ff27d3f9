package compat

// REDIRECT: -j REDIRECT [--to-ports port[-port]] [--random], revision 0:
// for IPv4 struct nf_nat_ipv4_multi_range_compat (20 bytes → 24: u32
// rangesize @0 = 1, u32 flags @4, be32 min_ip @8, max_ip @12, be16 min
// port @16, max port @18), for IPv6 struct nf_nat_range (40 bytes: u32
// flags @0, min_addr[16] @4, max_addr[16] @20, be16 min port @36, max port
// @38). --to-ports needs -p tcp, udp, sctp, dccp or icmp; a "/base" port
// is refused ("Shifted portmap ranges not supported"). The kernel allows
// REDIRECT only in the nat table's PREROUTING and OUTPUT chains. See
// target_nat_range.go.

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		l := taNatCompat
		if fam == IPv6 {
			l = taNatRange1
		}
		Register(&Extension{
			Name: "REDIRECT", Target: true, Family: fam, Revision: 0, Size: taNatSizes[l],
			Options: []Option{
				{Name: "to-ports", Args: 1, ID: taNatOptToPorts},
				{Name: "random", ID: taNatOptRandom},
			},
			Init:        taNatInit(l),
			LegacyParse: taNatParse(l, fam),
			Final:       taNatNoOffset(l, fam),
			Save:        taNatSave(l, fam, "to-ports", true),
			Print:       taNatPrint(l, fam, "redir ports ", true),
			Tables:      []string{"nat"},
			Hooks:       []string{"PREROUTING", "OUTPUT"},
		})
	}
}
