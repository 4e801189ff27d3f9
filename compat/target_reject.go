package compat

import "strings"

// REJECT: -j REJECT [--reject-with TYPE] (ipt_reject_info /
// ip6t_reject_info: u32 with). Only in the INPUT, FORWARD and OUTPUT hooks.

type rejectType struct {
	name, alias string
	with        uint32
}

var rejectTypes4 = []rejectType{
	{"icmp-net-unreachable", "net-unreach", 0},
	{"icmp-host-unreachable", "host-unreach", 1},
	{"icmp-proto-unreachable", "proto-unreach", 2},
	{"icmp-port-unreachable", "port-unreach", 3},
	{"icmp-net-prohibited", "net-prohib", 5},
	{"icmp-host-prohibited", "host-prohib", 6},
	{"tcp-reset", "tcp-rst", 7},
	{"icmp-admin-prohibited", "admin-prohib", 8},
}

var rejectTypes6 = []rejectType{
	{"icmp6-no-route", "no-route", 0},
	{"icmp6-adm-prohibited", "adm-prohibited", 1},
	{"icmp6-addr-unreachable", "addr-unreach", 3},
	{"icmp6-port-unreachable", "port-unreach", 4},
	{"tcp-reset", "tcp-reset", 6},
	{"icmp6-policy-fail", "policy-fail", 7},
	{"icmp6-reject-route", "reject-route", 8},
}

const (
	rejectTCPReset4 = 7
	rejectTCPReset6 = 6
)

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		types, def, rst := rejectTypes4, uint32(3), uint32(rejectTCPReset4)
		if fam == IPv6 {
			types, def, rst = rejectTypes6, 4, rejectTCPReset6
		}
		Register(&Extension{
			Name: "REJECT", Target: true, Family: fam, Revision: 0, Size: 4,
			Options: []Option{{Name: "reject-with", Args: 1}},
			Init:    func(info []byte, _ *ParseContext) { putLe32(info, def) },
			LegacyParse: func(info []byte, _ *Option, args []string, _ bool, _ *ParseContext) error {
				a := args[0]
				for _, t := range types {
					if a != "" && (strings.HasPrefix(t.name, strings.ToLower(a)) || strings.HasPrefix(t.alias, strings.ToLower(a))) {
						putLe32(info, t.with)
						return nil
					}
				}
				return badSpec(a, "unknown reject type \"%s\"", a)
			},
			Final: func(info []byte, ctx *ParseContext) error {
				if le32(info) == rst && (ctx.Spec.Proto != 6 || ctx.Spec.InvProto) {
					return badSpec("tcp-reset", "REJECT: TCP RST can only be used with -p tcp")
				}
				return nil
			},
			Save: func(info []byte, w *Writer) {
				with := le32(info)
				for _, t := range types {
					if t.with == with {
						w.Opt(false, "reject-with", t.name)
						return
					}
				}
				w.Opt(false, "reject-with", "unknown")
			},
			Print: func(info []byte, w *Writer) {
				with := le32(info)
				for _, t := range types {
					if t.with == with {
						w.WriteString(" reject-with " + t.name)
						return
					}
				}
			},
			Hooks: []string{"INPUT", "FORWARD", "OUTPUT"},
		})
	}
}
