package compat

import "strings"

// REJECT: -j REJECT [--reject-with TYPE] (ipt_reject_info /
// ip6t_reject_info: u32 with). Only in the INPUT, FORWARD and OUTPUT hooks.
// tcp-reset without -p tcp (or with it negated) goes to the kernel, which
// refuses it, as iptables-nft lets it (exit status 4).

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

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		types, def := rejectTypes4, uint32(3)
		if fam == IPv6 {
			types, def = rejectTypes6, 4
		}
		// The payload is ipt_reject_info / ip6t_reject_info: u32 with.
		Register(&Extension{
			Name: "REJECT", Target: true, Family: fam, Revision: 0, Size: 4,
			Options: []Option{{Name: "reject-with", Type: TypeString}},
			Init:    func(info []byte, _ *ParseContext) { hostOrder.PutUint32(info, def) },
			Parse: func(info []byte, c *OptionCall) error {
				a := strings.ToLower(c.Arg())
				for _, t := range types {
					if a != "" && (strings.HasPrefix(t.name, a) || strings.HasPrefix(t.alias, a)) {
						hostOrder.PutUint32(info, t.with)
						return nil
					}
				}
				return badSpec(c.Arg(), "unknown reject type \"%s\"", c.Arg())
			},
			Save: func(info []byte, w *Writer) {
				name := "unknown"
				if t, ok := rejectTypeOf(types, info); ok {
					name = t.name
				}
				w.Opt(false, "reject-with", name)
			},
			Print: func(info []byte, w *Writer) {
				if t, ok := rejectTypeOf(types, info); ok {
					w.WriteString(" reject-with " + t.name)
				}
			},
			Hooks: []string{"INPUT", "FORWARD", "OUTPUT"},
		})
	}
}

// rejectTypeOf finds the type a payload's "with" names.
func rejectTypeOf(types []rejectType, info []byte) (rejectType, bool) {
	with := hostOrder.Uint32(info)
	for _, t := range types {
		if t.with == with {
			return t, true
		}
	}
	return rejectType{}, false
}
