package compat

// TEE: -j TEE --gateway addr [--oif name], revision 1 in both families
// (struct xt_tee_tginfo, 40 bytes): union nf_inet_addr gw @0 (an IPv4
// address in the first 4 bytes), char oif[16] @16 (cut to 15 bytes, as
// XTOPT_PUT does), kernel pointer @32 (0). The kernel refuses an all-zero
// gateway. TEE is allowed in every table and chain.

const (
	teeOptGateway = iota
	teeOptOif
)

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "TEE", Target: true, Family: fam, Revision: 1, Size: 40,
			Options: []Option{
				{Name: "gateway", Args: 1, Mandatory: true, ID: teeOptGateway},
				{Name: "oif", Args: 1, ID: teeOptOif},
			},
			LegacyParse: func(info []byte, opt *Option, args []string, _ bool, _ *ParseContext) error {
				a := args[0]
				if opt.ID == teeOptOif {
					putCString(info[16:32], a)
					return nil
				}
				ip, ok := parseNumericHost(fam, a)
				if !ok {
					return badSpec(a, "host/network `%s' not found", a)
				}
				copy(info[0:16], ip[:])
				return nil
			},
			Final: func(info []byte, _ *ParseContext) error {
				for _, b := range info[0:16] {
					if b != 0 {
						return nil
					}
				}
				return badSpec("--gateway", "TEE: the gateway must not be the unspecified address")
			},
			Save: func(info []byte, w *Writer) {
				w.Opt(false, "gateway", inetNtop(fam, info[0:16]))
				if oif := cString(info[16:32]); oif != "" {
					w.Opt(false, "oif", oif)
				}
			},
			Print: func(info []byte, w *Writer) {
				w.WriteString(" TEE gw:" + inetNtop(fam, info[0:16]))
				if oif := cString(info[16:32]); oif != "" {
					w.WriteString(" oif=" + oif)
				}
			},
		})
	}
}
