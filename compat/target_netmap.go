package compat

import (
	"strconv"
	"strings"
)

// NETMAP: -j NETMAP --to address[/mask], revision 0: for IPv4 struct
// nf_nat_ipv4_multi_range_compat, for IPv6 struct nf_nat_range (see
// target_nat_range.go), flags MAP_IPS, ports unused. min is address & mask, max is min |
// ~mask; -S prints min and the mask ~(min ^ max), as a prefix length when
// contiguous. --to is libxtables' XTTYPE_HOSTMASK: the mask is a prefix
// length or a numeric mask, and a mask that is not contiguous becomes all
// ones (so "/255.0.255.0" and "/33" print as /32). The kernel allows
// NETMAP only in the nat table (all of its chains).

func init() {
	registerNAT(natTarget{
		name:    "NETMAP",
		options: []Option{{Name: "to", Type: TypeString, Flags: Mandatory}},
		layout:  natCompatLayout,
		parse: func(r *natRange, c *OptionCall) error {
			addr, mask, err := netmapParse(r.fam, c.Arg())
			if err != nil {
				return err
			}
			r.flags |= natMapIPs
			for i := range r.min {
				r.min[i] = addr[i] & mask[i]
				r.max[i] = r.min[i] | ^mask[i]
			}
			return nil
		},
		save:   func(r natRange, w *Writer) { w.WriteString(" --to " + netmapFormat(r)) },
		print:  func(r natRange, w *Writer) { w.WriteString(" to:" + netmapFormat(r)) },
		tables: []string{"nat"},
	})
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
func netmapFormat(r natRange) string {
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
