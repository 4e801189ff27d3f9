package compat

import "strings"

// iprange: -m iprange, revision 1 (struct xt_iprange_mtinfo, 65 bytes, 72
// sent): union nf_inet_addr src_min @0, src_max @16, dst_min @32, dst_max
// @48 (network order; IPv4 in the first 4 bytes), u8 flags @64 (SRC 1,
// DST 2, SRC_INV 0x10, DST_INV 0x20). --src-range / --dst-range take
// FROM[-TO] (TO defaults to FROM); IPv4 addresses parse as
// xtables_numeric_to_ipaddr does ("10.1" is 10.1.0.0), IPv6 with
// inet_pton. A reversed range is accepted (iptables only warns). One of
// the two options is required. Registered per family: -S prints the
// family's addresses.

const (
	iprSrc    = 0x01
	iprDst    = 0x02
	iprSrcInv = 0x10
	iprDstInv = 0x20
	iprOffFl  = 64
)

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "iprange", Family: fam, Revision: 1, Size: 65,
			Options: []Option{
				{Name: "src-range", Args: 1, Invert: true, ID: 0},
				{Name: "dst-range", Args: 1, Invert: true, ID: 1},
			},
			LegacyParse: func(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
				a := args[0]
				from, to, ok := strings.Cut(a, "-")
				if !ok {
					to = from
				}
				at := 32 * opt.ID
				for i, s := range []string{from, to} {
					b, ok := iprangeAddr(fam, s)
					if !ok {
						return badSpec(a, "iprange: Bad value for \"--%s\" option: \"%s\"", opt.Name, s)
					}
					copy(info[at+16*i:at+16*i+16], b[:])
				}
				info[iprOffFl] |= iprSrc << opt.ID
				if invert {
					info[iprOffFl] |= iprSrcInv << opt.ID
				}
				return nil
			},
			Final: func(info []byte, _ *ParseContext) error {
				if info[iprOffFl]&(iprSrc|iprDst) == 0 {
					return badSpec("-m iprange", "iprange match: You must specify `--src-range' or `--dst-range'")
				}
				return nil
			},
			Save: func(info []byte, w *Writer) {
				if len(info) < 65 {
					return
				}
				l := fam.addrLen()
				for k, name := range []string{"src-range", "dst-range"} {
					if info[iprOffFl]&(iprSrc<<k) == 0 {
						continue
					}
					at := 32 * k
					w.Opt(info[iprOffFl]&(iprSrcInv<<k) != 0, name,
						ipString(info[at:at+l])+"-"+ipString(info[at+16:at+16+l]))
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
