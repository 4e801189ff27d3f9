package compat

import "strings"

// iprange: -m iprange, revision 1 (struct xt_iprange_mtinfo, 65 bytes, 72
// sent): union nf_inet_addr src_min, src_max, dst_min, dst_max (network
// order; IPv4 in the first 4 bytes), u8 flags (SRC 1, DST 2, SRC_INV 0x10,
// DST_INV 0x20). --src-range / --dst-range take
// FROM[-TO] (TO defaults to FROM); IPv4 addresses parse as
// xtables_numeric_to_ipaddr does ("10.1" is 10.1.0.0), IPv6 with
// inet_pton. A reversed range is accepted (iptables only warns). One of
// the two options is required. Registered per family: -S prints the
// family's addresses.

// iprangeInfo is struct xt_iprange_mtinfo.
type iprangeInfo struct {
	ranges [2][2][16]byte // [src, dst][min, max]
	flags  uint8
}

const (
	iprSrc    = 0x01
	iprDst    = 0x02
	iprSrcInv = 0x10
	iprDstInv = 0x20
)

func (r *iprangeInfo) unmarshal(b []byte) {
	for i := range 4 {
		copy(r.ranges[i/2][i%2][:], b[16*i:16*i+16])
	}
	r.flags = b[64]
}

func (r *iprangeInfo) marshal(b []byte) {
	for i := range 4 {
		copy(b[16*i:16*i+16], r.ranges[i/2][i%2][:])
	}
	b[64] = r.flags
}

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "iprange", Family: fam, Revision: 1, Size: 65,
			Options: []Option{
				{Name: "src-range", ID: 0, Type: TypeString, Flags: Invert},
				{Name: "dst-range", ID: 1, Type: TypeString, Flags: Invert},
			},
			OneOf: &OneOf{IDs: 0x3, Token: "-m iprange", Msg: "iprange match: You must specify `--src-range' or `--dst-range'"},
			Parse: func(info []byte, c *OptionCall) error {
				var r iprangeInfo
				r.unmarshal(info)
				a, k := c.Arg(), c.Option.ID
				from, to, ok := strings.Cut(a, "-")
				if !ok {
					to = from
				}
				for i, s := range []string{from, to} {
					b, ok := iprangeAddr(fam, s)
					if !ok {
						return badSpec(a, "iprange: Bad value for \"--%s\" option: \"%s\"", c.Option.Name, s)
					}
					r.ranges[k][i] = b
				}
				r.flags |= iprSrc << k
				if c.Invert {
					r.flags |= iprSrcInv << k
				}
				r.marshal(info)
				return nil
			},
			Print: func(info []byte, w *Writer) {
				var r iprangeInfo
				r.unmarshal(info)
				l := fam.addrLen()
				for k, label := range []string{" source IP range", " destination IP range"} {
					if r.flags&(iprSrc<<k) == 0 {
						continue
					}
					w.WriteString(label)
					if r.flags&(iprSrcInv<<k) != 0 {
						w.WriteString(" !")
					}
					w.WriteString(" " + ipString(r.ranges[k][0][:l]) + "-" + ipString(r.ranges[k][1][:l]))
				}
			},
			Save: func(info []byte, w *Writer) {
				var r iprangeInfo
				r.unmarshal(info)
				l := fam.addrLen()
				for k, name := range []string{"src-range", "dst-range"} {
					if r.flags&(iprSrc<<k) == 0 {
						continue
					}
					w.Opt(r.flags&(iprSrcInv<<k) != 0, name,
						ipString(r.ranges[k][0][:l])+"-"+ipString(r.ranges[k][1][:l]))
				}
			},
		})
	}
}

func iprangeAddr(fam Family, s string) ([16]byte, bool) {
	var b [16]byte
	if fam == IPv4 {
		a, ok := numericToIPv4(s)
		copy(b[:], a[:])
		return b, ok
	}
	return parseNumericHost(IPv6, s)
}
