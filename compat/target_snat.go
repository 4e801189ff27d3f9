package compat

// SNAT: -j SNAT --to-source [addr[-addr]][:port[-port]] [--random]
// [--random-fully] [--persistent]. iptables 1.8.9 sends revision 0 for
// IPv4 (struct nf_nat_ipv4_multi_range_compat, 20 bytes → 24: u32
// rangesize = 1, u32 flags, be32 min_ip, max_ip, be16 min port, max port)
// and revision 1 for IPv6 (struct nf_nat_range, 40 bytes: u32 flags,
// min_addr[16], max_addr[16], be16 min port, max port). Neither has room
// for a "/base" port: iptables keeps the PROTO_OFFSET flag and -S prints
// "/0". The kernel allows SNAT only in the nat table's POSTROUTING and
// INPUT chains. See target_nat_range.go.

func init() {
	registerNAT(natTarget{
		name:    "SNAT",
		options: []Option{natOptToOpt("to-source"), natOptRandomOpt, natOptRandomFullyOpt, natOptPersistentOpt},
		layout: func(fam Family) (natLayout, uint32) {
			if fam == IPv6 {
				return natRange1, 1
			}
			return natCompat, 0
		},
		save:   natShow("--to-source ", "--", false),
		print:  natShow("to:", "", false),
		tables: []string{"nat"},
		hooks:  []string{"POSTROUTING", "INPUT"},
	})
}
