package compat

import "strconv"

// TPROXY: -j TPROXY --on-port port [--on-ip addr] [--tproxy-mark
// value[/mask]], revision 1 in both families (struct
// xt_tproxy_target_info_v1, 28 bytes → 32): u32 mark_mask @0, u32
// mark_value @4 (host order), union nf_inet_addr laddr @8 (an IPv4
// address in the first 4 bytes), be16 lport @24, 2 bytes pad. Without
// --tproxy-mark mark and mask are 0; --tproxy-mark without a mask sets all
// ones. --on-port is resolved like getaddrinfo's service ("65536" wraps to
// 0). -S always prints all three options. The kernel allows TPROXY only in
// the mangle table's PREROUTING chain, and only with -p tcp or -p udp (not
// negated).

const (
	tproxyOptPort = iota
	tproxyOptIP
	tproxyOptMark
)

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "TPROXY", Target: true, Family: fam, Revision: 1, Size: 28,
			Options: []Option{
				{Name: "on-port", Args: 1, Mandatory: true, ID: tproxyOptPort},
				{Name: "on-ip", Args: 1, ID: tproxyOptIP},
				{Name: "tproxy-mark", Args: 1, ID: tproxyOptMark},
			},
			LegacyParse: func(info []byte, opt *Option, args []string, _ bool, _ *ParseContext) error {
				a := args[0]
				switch opt.ID {
				case tproxyOptPort:
					p, ok := gaiPort(a)
					if !ok {
						return badSpec(a, "Port \"%s\" does not resolve to anything.", a)
					}
					putBe16(info[24:], p)
				case tproxyOptIP:
					ip, ok := parseNumericHost(fam, a)
					if !ok {
						return badSpec(a, "host/network `%s' not found", a)
					}
					copy(info[8:24], ip[:])
				case tproxyOptMark:
					v, m, err := parseValMask("TPROXY", "tproxy-mark", a, nil)
					if err != nil {
						return err
					}
					putLe32(info[0:], m)
					putLe32(info[4:], v)
				}
				return nil
			},
			Final: func(_ []byte, ctx *ParseContext) error {
				if p := ctx.Spec.Proto; p != 6 && p != 17 || ctx.Spec.InvProto {
					return badSpec("-j TPROXY", "TPROXY: Can be used only with -p tcp or -p udp")
				}
				return nil
			},
			Save: func(info []byte, w *Writer) {
				w.Opt(false, "on-port", strconv.Itoa(int(be16(info[24:]))))
				w.Opt(false, "on-ip", inetNtop(fam, info[8:24]))
				w.Opt(false, "tproxy-mark", hex0x(le32(info[4:]))+"/"+hex0x(le32(info[0:])))
			},
			Print: func(info []byte, w *Writer) {
				w.WriteString(" TPROXY redirect " + inetNtop(fam, info[8:24]) + ":" + strconv.Itoa(int(be16(info[24:]))) +
					" mark " + hex0x(le32(info[4:])) + "/" + hex0x(le32(info[0:])))
			},
			Tables: []string{"mangle"},
			Hooks:  []string{"PREROUTING"},
		})
	}
}
