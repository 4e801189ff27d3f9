package compat

// SNAT: -j SNAT --to-source [addr[-addr]][:port[-port]] [--random]
// [--random-fully] [--persistent]. iptables 1.8.9 sends revision 0 for
// IPv4 (struct nf_nat_ipv4_multi_range_compat, 20 bytes → 24: u32
// rangesize @0 = 1, u32 flags @4, be32 min_ip @8, max_ip @12, be16 min
// port @16, max port @18) and revision 1 for IPv6 (struct nf_nat_range, 40
// bytes: u32 flags @0, min_addr[16] @4, max_addr[16] @20, be16 min port
// @36, max port @38). Neither has room for a "/base" port: iptables keeps
// the PROTO_OFFSET flag and -S prints "/0". The kernel allows SNAT only in
// the nat table's POSTROUTING and INPUT chains. See target_nat_range.go.

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		l, rev := taNatCompat, uint32(0)
		if fam == IPv6 {
			l, rev = taNatRange1, 1
		}
		Register(&Extension{
			Name: "SNAT", Target: true, Family: fam, Revision: rev, Size: taNatSizes[l],
			Options: []Option{
				{Name: "to-source", Args: 1, Mandatory: true, ID: taNatOptTo},
				{Name: "random", ID: taNatOptRandom},
				{Name: "random-fully", ID: taNatOptRandomFully},
				{Name: "persistent", ID: taNatOptPersistent},
			},
			Init:        taNatInit(l),
			LegacyParse: taNatParse(l, fam),
			Save:        taNatSave(l, fam, "to-source", false),
			Print:       taNatPrint(l, fam, "to:", false),
			Tables:      []string{"nat"},
			Hooks:       []string{"POSTROUTING", "INPUT"},
		})
	}
}
