package compat

import "strings"

// ipvs: -m ipvs, revision 0 in both families (struct xt_ipvs_mtinfo, 40
// bytes): union nf_inet_addr vaddr, vmask; be16 vport; u8 l4proto; u8
// fwd_method; be16 vportctl; u8 invert; u8 bitmask. Each option's bit in
// bitmask and invert is its ID: [!] --ipvs (0), [!] --vproto PROTO (1),
// [!] --vaddr ADDR[/MASK] (2, the address kept unmasked, the mask all
// ones without one), [!] --vport PORT (3), --vdir ORIGINAL|REPLY (4,
// REPLY is the invert bit), [!] --vmethod GATE|IPIP|MASQ (5), [!]
// --vportctl PORT (6); any but --ipvs implies --ipvs, which may then not
// be negated. -S prints --ipvs only when it stands alone. Where the
// kernel lacks the module (this test machine's does) it refuses the rule
// (ENOENT), as iptables-nft relays.

const (
	ipvsOptIPVS = iota
	ipvsOptVProto
	ipvsOptVAddr
	ipvsOptVPort
	ipvsOptVDir
	ipvsOptVMethod
	ipvsOptVPortCtl
)

const (
	ipvsProperty = 1 << ipvsOptIPVS
	ipvsOnceMask = 0x7f &^ ipvsProperty

	// IP_VS_CONN_F_* forwarding methods.
	ipvsMasq   = 0
	ipvsTunnel = 2
	ipvsDRoute = 3
)

type ipvsInfo struct {
	vaddr, vmask       [16]byte
	vport              uint16 // network order in the payload
	l4proto, fwdMethod uint8
	vportctl           uint16 // network order in the payload
	invert, bitmask    uint8
}

func (v *ipvsInfo) unmarshal(b []byte) {
	copy(v.vaddr[:], b[0:16])
	copy(v.vmask[:], b[16:32])
	v.vport, v.l4proto, v.fwdMethod = netOrder.Uint16(b[32:]), b[34], b[35]
	v.vportctl, v.invert, v.bitmask = netOrder.Uint16(b[36:]), b[38], b[39]
}

func (v *ipvsInfo) marshal(b []byte) {
	copy(b[0:16], v.vaddr[:])
	copy(b[16:32], v.vmask[:])
	netOrder.PutUint16(b[32:], v.vport)
	b[34], b[35] = v.l4proto, v.fwdMethod
	netOrder.PutUint16(b[36:], v.vportctl)
	b[38], b[39] = v.invert, v.bitmask
}

// ipvsMethods are --vmethod's names and values.
var ipvsMethods = []struct {
	name  string
	value uint8
}{{"GATE", ipvsDRoute}, {"IPIP", ipvsTunnel}, {"MASQ", ipvsMasq}}

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "ipvs", Family: fam, Revision: 0, Size: 40,
			Options: []Option{
				{Name: "ipvs", ID: ipvsOptIPVS, Flags: Invert},
				{Name: "vproto", ID: ipvsOptVProto, Type: TypeString, Flags: Invert},
				{Name: "vaddr", ID: ipvsOptVAddr, Type: TypeString, Flags: Invert},
				{Name: "vport", ID: ipvsOptVPort, Type: TypeString, Flags: Invert},
				{Name: "vdir", ID: ipvsOptVDir, Type: TypeString},
				{Name: "vmethod", ID: ipvsOptVMethod, Type: TypeString, Flags: Invert},
				{Name: "vportctl", ID: ipvsOptVPortCtl, Type: TypeString, Flags: Invert},
			},
			Parse: func(info []byte, c *OptionCall) error {
				var v ipvsInfo
				v.unmarshal(info)
				if err := v.parse(fam, c); err != nil {
					return err
				}
				v.marshal(info)
				return nil
			},
			// libxt_ipvs's x6_fcheck, before the engine's checks.
			FinalFirst: true,
			Final: func(info []byte, ctx *ParseContext) error {
				var v ipvsInfo
				v.unmarshal(info)
				if ctx.given() == 0 {
					return badSpec("-m ipvs", "IPVS: At least one option is required")
				}
				if v.bitmask&ipvsOnceMask != 0 {
					if v.invert&ipvsProperty != 0 {
						return badSpec("--ipvs", "! --ipvs cannot be together with other options")
					}
					v.bitmask |= ipvsProperty
				}
				v.marshal(info)
				return nil
			},
			Save: func(info []byte, w *Writer) {
				var v ipvsInfo
				v.unmarshal(info)
				v.dump(fam, true, "--", w)
			},
			Print: func(info []byte, w *Writer) {
				var v ipvsInfo
				v.unmarshal(info)
				v.dump(fam, w.Numeric(), "", w)
			},
		})
	}
}

func (v *ipvsInfo) parse(fam Family, c *OptionCall) error {
	arg := c.Arg()
	id := c.Option.ID
	switch id {
	case ipvsOptVProto:
		p, err := parseProtocolOpt(arg)
		if err != nil {
			return err
		}
		v.l4proto = p
	case ipvsOptVAddr:
		addr, mask, err := parseHostMask(fam, "ipvs", "vaddr", arg)
		if err != nil {
			return err
		}
		v.vaddr, v.vmask = addr, mask
	case ipvsOptVPort, ipvsOptVPortCtl:
		p, ok := gaiPort(arg)
		if !ok {
			return badSpec(arg, "Port \"%s\" does not resolve to anything.", arg)
		}
		if id == ipvsOptVPort {
			v.vport = p
		} else {
			v.vportctl = p
		}
	case ipvsOptVDir:
		switch {
		case strings.EqualFold(arg, "ORIGINAL"):
			v.bitmask |= 1 << ipvsOptVDir
			v.invert &^= 1 << ipvsOptVDir
		case strings.EqualFold(arg, "REPLY"):
			v.bitmask |= 1 << ipvsOptVDir
			v.invert |= 1 << ipvsOptVDir
		default:
			return badSpec(arg, "ipvs: Bad value for \"--vdir\" option: \"%s\"", arg)
		}
	case ipvsOptVMethod:
		found := false
		for _, m := range ipvsMethods {
			if strings.EqualFold(arg, m.name) {
				v.fwdMethod, found = m.value, true
				break
			}
		}
		if !found {
			return badSpec(arg, "ipvs: Bad value for \"--vmethod\" option: \"%s\"", arg)
		}
	}
	v.bitmask |= 1 << id
	if c.Invert {
		v.invert |= 1 << id
	}
	return nil
}

// dump prints the options as libxt_ipvs does, -S's with prefix "--".
func (v *ipvsInfo) dump(fam Family, numeric bool, prefix string, w *Writer) {
	neg := func(bit uint8) {
		if v.invert&bit != 0 {
			w.WriteString(" !")
		}
	}
	if v.bitmask == ipvsProperty {
		neg(ipvsProperty)
		w.WriteString(" " + prefix + "ipvs")
	}
	if v.bitmask&(1<<ipvsOptVProto) != 0 {
		neg(1 << ipvsOptVProto)
		w.WriteString(" " + prefix + "vproto " + utoa(v.l4proto))
	}
	if v.bitmask&(1<<ipvsOptVAddr) != 0 {
		neg(1 << ipvsOptVAddr)
		w.WriteString(" " + prefix + "vaddr")
		l := fam.addrLen()
		switch {
		case !numeric && string(v.vaddr[:l]) == string(make([]byte, l)):
			w.WriteString(" anywhere")
		default:
			name := ipString(v.vaddr[:l])
			if !numeric {
				if n, ok := hostName(name); ok {
					name = n
				}
			}
			w.WriteString(" " + name + maskSuffix(fam, v.vmask[:]))
		}
	}
	if v.bitmask&(1<<ipvsOptVPort) != 0 {
		neg(1 << ipvsOptVPort)
		w.WriteString(" " + prefix + "vport " + utoa(v.vport))
	}
	if v.bitmask&(1<<ipvsOptVDir) != 0 {
		if v.invert&(1<<ipvsOptVDir) != 0 {
			w.WriteString(" " + prefix + "vdir REPLY")
		} else {
			w.WriteString(" " + prefix + "vdir ORIGINAL")
		}
	}
	if v.bitmask&(1<<ipvsOptVMethod) != 0 {
		neg(1 << ipvsOptVMethod)
		w.WriteString(" " + prefix + "vmethod")
		name := "UNKNOWN"
		for _, m := range ipvsMethods {
			if m.value == v.fwdMethod {
				name = m.name
			}
		}
		w.WriteString(" " + name)
	}
	if v.bitmask&(1<<ipvsOptVPortCtl) != 0 {
		neg(1 << ipvsOptVPortCtl)
		w.WriteString(" " + prefix + "vportctl " + utoa(v.vportctl))
	}
}
