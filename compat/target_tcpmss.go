package compat

import (
	"slices"
	"strconv"
)

// TCPMSS: -j TCPMSS (struct xt_tcpmss_info, 2 bytes, 8 sent): u16 mss @0,
// host order; 0xffff means --clamp-mss-to-pmtu. --set-mss is at most
// 65535 minus the IP header (65515 for IPv4, 65495 for IPv6). The two
// options do not exclude each other: the last one wins.
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
			Name: "TCPMSS", Target: true, Family: fam, Revision: 0, Size: 2,
			Options: []Option{
				{Name: "set-mss", Args: 1, ID: tcpmssOptSet},
				{Name: "clamp-mss-to-pmtu", ID: tcpmssOptClamp},
			},
			LegacyParse: func(info []byte, opt *Option, args []string, _ bool, ctx *ParseContext) error {
				if err := tbOnce(ctx, "TCPMSS", opt.Name, opt.ID); err != nil {
					return err
				}
				if opt.ID == tcpmssOptClamp {
					putLe16(info, tcpmssClamp)
					return nil
				}
				v, err := uintOpt("TCPMSS", opt.Name, args[0], 0, max)
				if err != nil {
					return err
				}
				putLe16(info, uint16(v))
				return nil
			},
			Final: func(info []byte, ctx *ParseContext) error {
				if ctx.given() == 0 {
					return badSpec("TCPMSS", "TCPMSS target: At least one parameter is required")
				}
				if ctx.Spec.Proto != 6 || ctx.Spec.InvProto {
					return badSpec("-j TCPMSS", "TCPMSS target: only valid for protocol 6 (-p tcp)")
				}
				if le16(info) == tcpmssClamp && IsBuiltinChain(ctx.Table, ctx.Chain) && !slices.Contains(tcpmssClampHooks, ctx.Chain) {
					return badSpec("--clamp-mss-to-pmtu", "TCPMSS: path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks")
				}
				return nil
			},
			Save: func(info []byte, w *Writer) {
				if mss := le16(info); mss == tcpmssClamp {
					w.Opt(false, "clamp-mss-to-pmtu")
				} else {
					w.Opt(false, "set-mss", strconv.Itoa(int(mss)))
				}
			},
		})
	}
}
