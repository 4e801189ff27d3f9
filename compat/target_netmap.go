package compat

import (
	"strconv"
	"strings"
)

// NETMAP: -j NETMAP --to address[/mask], revision 0: for IPv4 struct
// nf_nat_ipv4_multi_range_compat (20 bytes → 24: u32 rangesize @0 = 1,
// u32 flags @4 = MAP_IPS, be32 min_ip @8, max_ip @12, ports unused), for
// IPv6 struct nf_nat_range (40 bytes: u32 flags @0 = MAP_IPS, min_addr[16]
// @4, max_addr[16] @20, ports unused). min is address & mask, max is min |
// ~mask; -S prints min and the mask ~(min ^ max), as a prefix length when
// contiguous. --to is libxtables' XTTYPE_HOSTMASK: the mask is a prefix
// length or a numeric mask, and a mask that is not contiguous becomes all
// ones (so "/255.0.255.0" and "/33" print as /32). The kernel allows
// NETMAP only in the nat table (all of its chains).

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		l := taNatCompat
		if fam == IPv6 {
			l = taNatRange1
		}
		Register(&Extension{
			Name: "NETMAP", Target: true, Family: fam, Revision: 0, Size: taNatSizes[l],
			Options: []Option{{Name: "to", Args: 1, Mandatory: true}},
			Init:    taNatInit(l),
			LegacyParse: func(info []byte, _ *Option, args []string, _ bool, _ *ParseContext) error {
				addr, mask, err := netmapParse(fam, args[0])
				if err != nil {
					return err
				}
				r := taNatLoad(info, l, fam)
				r.flags |= taNatMapIPs
				for i := range r.min {
					r.min[i] = addr[i] & mask[i]
					r.max[i] = r.min[i] | ^mask[i]
				}
				r.store(info)
				return nil
			},
			Save: func(info []byte, w *Writer) {
				w.WriteString(" --to " + netmapFormat(taNatLoad(info, l, fam)))
			},
			Print: func(info []byte, w *Writer) {
				w.WriteString(" to:" + netmapFormat(taNatLoad(info, l, fam)))
			},
			Tables: []string{"nat"},
		})
	}
}

// netmapParse parses address[/mask] as XTTYPE_HOSTMASK.
func netmapParse(fam Family, s string) (addr, mask [16]byte, err error) {
	host, m, hasMask := strings.Cut(s, "/")
	addr, ok := parseNumericHost(fam, host)
	if !ok {
		return addr, mask, badSpec(s, "host/network `%s' not found", host)
	}
	if !hasMask {
		for i := range mask {
			mask[i] = 0xff
		}
		return addr, mask, nil
	}
	plen, ok := parsePlen(fam, m)
	if !ok {
		return addr, mask, badPlen(s, "NETMAP", "to", fam)
	}
	return addr, plenMask(plen), nil
}

// netmapFormat prints min/mask as NETMAP's save does.
func netmapFormat(r taNatRange) string {
	var a Addr
	for i := range a.Mask {
		a.Mask[i] = ^(r.min[i] ^ r.max[i])
	}
	out := inetNtop(r.fam, r.min[:]) + "/"
	if p := a.prefixLen(r.fam); p >= 0 {
		return out + strconv.Itoa(p)
	}
	return out + inetNtop(r.fam, a.Mask[:])
}
