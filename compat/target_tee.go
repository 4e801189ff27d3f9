package compat

// TEE: -j TEE --gateway addr [--oif name], revision 1 in both families
// (struct xt_tee_tginfo, 40 bytes): union nf_inet_addr gw (an IPv4 address
// in the first 4 bytes), char oif[16] (cut to 15 bytes, as XTOPT_PUT
// does), a kernel pointer (0). The kernel refuses an all-zero gateway. TEE
// is allowed in every table and chain.

type teeInfo struct {
	gw  [16]byte
	oif [ifnamsiz]byte
}

func (t *teeInfo) unmarshal(b []byte) {
	copy(t.gw[:], b[0:16])
	copy(t.oif[:], b[16:32])
}

func (t *teeInfo) marshal(b []byte) {
	copy(b[0:16], t.gw[:])
	copy(b[16:32], t.oif[:])
}

const (
	teeOptGateway = iota
	teeOptOif
)

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "TEE", Target: true, Family: fam, Revision: 1, Size: 40,
			Options: []Option{
				{Name: "gateway", ID: teeOptGateway, Type: TypeString, Flags: Mandatory},
				{Name: "oif", ID: teeOptOif, Type: TypeString},
			},
			Parse: func(info []byte, c *OptionCall) error {
				var t teeInfo
				t.unmarshal(info)
				if c.Option.ID == teeOptOif {
					putCString(t.oif[:], c.Arg())
				} else {
					ip, ok := parseNumericHost(fam, c.Arg())
					if !ok {
						return badSpec(c.Arg(), "host/network `%s' not found", c.Arg())
					}
					t.gw = ip
				}
				t.marshal(info)
				return nil
			},
			Final: func(info []byte, _ *ParseContext) error {
				var t teeInfo
				t.unmarshal(info)
				if t.gw == [16]byte{} {
					return badSpec("--gateway", "TEE: the gateway must not be the unspecified address")
				}
				return nil
			},
			Save: func(info []byte, w *Writer) {
				var t teeInfo
				t.unmarshal(info)
				w.Opt(false, "gateway", inetNtop(fam, t.gw[:]))
				if oif := cString(t.oif[:]); oif != "" {
					w.Opt(false, "oif", oif)
				}
			},
			Print: func(info []byte, w *Writer) {
				var t teeInfo
				t.unmarshal(info)
				w.WriteString(" TEE gw:" + inetNtop(fam, t.gw[:]))
				if oif := cString(t.oif[:]); oif != "" {
					w.WriteString(" oif=" + oif)
				}
			},
		})
	}
}
