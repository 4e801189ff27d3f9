package compat

// MASQUERADE: -j MASQUERADE [--to-ports port[-port]] [--random]
// [--random-fully], revision 0: for IPv4 struct
// nf_nat_ipv4_multi_range_compat, for IPv6 struct nf_nat_range (see
// target_nat_range.go). --to-ports needs -p tcp, udp, sctp, dccp or icmp.
// iptables accepts a "/base" port here and keeps only the PROTO_OFFSET
// flag (-S prints "/0"). The kernel allows MASQUERADE only in the nat
// table's POSTROUTING chain.

func init() {
	registerNAT(natTarget{
		name:    "MASQUERADE",
		options: []Option{natOptToPortsOpt, natOptRandomOpt, natOptRandomFullyOpt},
		layout:  natCompatLayout,
		save:    natShow("--to-ports ", "--", true),
		print:   natShow("masq ports: ", "", true),
		tables:  []string{"nat"},
		hooks:   []string{"POSTROUTING"},
	})
}
