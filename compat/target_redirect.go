package compat

// REDIRECT: -j REDIRECT [--to-ports port[-port]] [--random], revision 0:
// for IPv4 struct nf_nat_ipv4_multi_range_compat, for IPv6 struct
// nf_nat_range (see target_nat_range.go). --to-ports needs -p tcp, udp,
// sctp, dccp or icmp; a "/base" port is refused ("Shifted portmap ranges
// not supported"), as its structures cannot hold one. The kernel allows
// REDIRECT only in the nat table's PREROUTING and OUTPUT chains.

func init() {
	registerNAT(natTarget{
		name:    "REDIRECT",
		options: []Option{natOptToPortsOpt, natOptRandomOpt},
		layout:  natCompatLayout,
		final: func(r natRange) error {
			if r.flags&natProtoOffset != 0 {
				return badSpec("--to-ports", "Shifted portmap ranges not supported with this kernel")
			}
			return nil
		},
		save:   natShow("--to-ports ", "--", true),
		print:  natShow("redir ports ", "", true),
		tables: []string{"nat"},
		hooks:  []string{"PREROUTING", "OUTPUT"},
	})
}
