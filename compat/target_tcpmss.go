package compat

import (
	"slices"
	"strconv"
)

// TCPMSS: -j TCPMSS (struct xt_tcpmss_info, 2 bytes, 8 sent): u16 mss;
// 0xffff means --clamp-mss-to-pmtu. --set-mss is at most 65535 minus the
// IP header (65515 for IPv4, 65495 for IPv6). The two options do not
// exclude each other: the last one wins.
//
// The kernel refuses the target unless the rule has -p tcp (not
// inverted), and refuses clamping outside the FORWARD, OUTPUT and
// POSTROUTING hooks. Under nf_tables it does not insist on a SYN match.

const tcpmssClamp = 0xffff

const (
	tcpmssOptSet = iota
	tcpmssOptClamp
)

var tcpmssClampHooks = []string{"FORWARD", "OUTPUT", "POSTROUTING"}

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		max := uint64(65535 - 20)
		if fam == IPv6 {
			max = 65535 - 40
		}
		Register(&Extension{
			Name: "TCPMSS", Target: true, Family: fam, Revision: 0, Size: 2, Proto: 6,
			Options: []Option{
				{Name: "set-mss", ID: tcpmssOptSet, Type: TypeUint16, Max: max},
				{Name: "clamp-mss-to-pmtu", ID: tcpmssOptClamp},
			},
			OneOf: &OneOf{IDs: 0x3, Token: "TCPMSS", Msg: "TCPMSS target: At least one parameter is required"},
			Parse: func(info []byte, c *OptionCall) error {
				mss := uint16(c.Val.Uint)
				if c.Option.ID == tcpmssOptClamp {
					mss = tcpmssClamp
				}
				hostOrder.PutUint16(info, mss)
				return nil
			},
			Final: func(info []byte, ctx *ParseContext) error {
				if hostOrder.Uint16(info) == tcpmssClamp && IsBuiltinChain(ctx.Table, ctx.Chain) && !slices.Contains(tcpmssClampHooks, ctx.Chain) {
					return badSpec("--clamp-mss-to-pmtu", "TCPMSS: path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks")
				}
				return nil
			},
			Print: func(info []byte, w *Writer) {
				if mss := hostOrder.Uint16(info); mss == tcpmssClamp {
					w.WriteString(" TCPMSS clamp to PMTU")
				} else {
					w.WriteString(" TCPMSS set " + utoa(mss))
				}
			},
			Save: func(info []byte, w *Writer) {
				if mss := hostOrder.Uint16(info); mss == tcpmssClamp {
					w.Opt(false, "clamp-mss-to-pmtu")
				} else {
					w.Opt(false, "set-mss", strconv.Itoa(int(mss)))
				}
			},
		})
	}
}
