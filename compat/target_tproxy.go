package compat

import "strconv"

// TPROXY: -j TPROXY --on-port port [--on-ip addr] [--tproxy-mark
// value[/mask]], revision 1 in both families (struct
// xt_tproxy_target_info_v1, 28 bytes → 32): u32 mark_mask, u32 mark_value,
// union nf_inet_addr laddr (an IPv4 address in the first 4 bytes), be16
// lport, 2 bytes pad. Without --tproxy-mark mark and mask are 0;
// --tproxy-mark without a mask sets all ones. --on-port is resolved like
// getaddrinfo's service ("65536" wraps to 0). -S always prints all three
// options. The kernel allows TPROXY only in the mangle table's PREROUTING
// chain, and only with -p tcp or -p udp (not negated): without, the rule
// goes to the kernel, which refuses it, as iptables-nft lets it.

type tproxyInfo struct {
	markMask, markValue uint32
	laddr               [16]byte
	lport               uint16
}

func (t *tproxyInfo) unmarshal(b []byte) {
	t.markMask, t.markValue = hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:])
	copy(t.laddr[:], b[8:24])
	t.lport = netOrder.Uint16(b[24:])
}

func (t *tproxyInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], t.markMask)
	hostOrder.PutUint32(b[4:], t.markValue)
	copy(b[8:24], t.laddr[:])
	netOrder.PutUint16(b[24:], t.lport)
}

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
				{Name: "on-port", ID: tproxyOptPort, Type: TypeString, Flags: Mandatory},
				{Name: "on-ip", ID: tproxyOptIP, Type: TypeString},
				{Name: "tproxy-mark", ID: tproxyOptMark, Type: TypeMarkMask},
			},
			Parse: func(info []byte, c *OptionCall) error {
				var t tproxyInfo
				t.unmarshal(info)
				switch a := c.Arg(); c.Option.ID {
				case tproxyOptPort:
					p, ok := gaiPort(a)
					if !ok {
						return badSpec(a, "Port \"%s\" does not resolve to anything.", a)
					}
					t.lport = p
				case tproxyOptIP:
					ip, ok := parseNumericHost(fam, a)
					if !ok {
						return badSpec(a, "host/network `%s' not found", a)
					}
					t.laddr = ip
				case tproxyOptMark:
					t.markValue, t.markMask = c.Val.Mark, c.Val.Mask
				}
				t.marshal(info)
				return nil
			},
			Save: func(info []byte, w *Writer) {
				var t tproxyInfo
				t.unmarshal(info)
				w.Opt(false, "on-port", strconv.Itoa(int(t.lport)))
				w.Opt(false, "on-ip", inetNtop(fam, t.laddr[:]))
				w.Opt(false, "tproxy-mark", hexPair(t.markValue, t.markMask))
			},
			Print: func(info []byte, w *Writer) {
				var t tproxyInfo
				t.unmarshal(info)
				w.WriteString(" TPROXY redirect " + inetNtop(fam, t.laddr[:]) + ":" + strconv.Itoa(int(t.lport)) +
					" mark " + hexPair(t.markValue, t.markMask))
			},
			Tables: []string{"mangle"},
			Hooks:  []string{"PREROUTING"},
		})
	}
}
