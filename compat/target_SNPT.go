package compat

import (
	"strconv"
	"strings"
)

// SNPT and DNPT (IPv6 only; DNPT in target_DNPT.go): -j SNPT --src-pfx
// ADDR[/LEN] --dst-pfx ADDR[/LEN], both required (struct ip6t_npt_tginfo,
// 36 bytes → 40): in6 src_pfx, in6 dst_pfx, u8 src_pfx_len, u8
// dst_pfx_len, u16 adjustment (the kernel's, 0 here). Each prefix is
// XTTYPE_HOSTMASK, unmasked: an address alone has length 128, a
// netmask that is no prefix length 255. The kernel refuses lengths
// beyond 64, bits set past the length, and allows SNPT only in the
// mangle table's INPUT and POSTROUTING chains (DNPT: PREROUTING and
// OUTPUT): iptables-nft leaves all that to it, and so does this (exit
// status 4). -S prints a prefix unless it is ::/0; -L always prints both.

type nptInfo struct {
	src, dst       [16]byte
	srcLen, dstLen uint8
}

func (n *nptInfo) unmarshal(b []byte) {
	copy(n.src[:], b[0:16])
	copy(n.dst[:], b[16:32])
	n.srcLen, n.dstLen = b[32], b[33]
}

func (n *nptInfo) marshal(b []byte) {
	copy(b[0:16], n.src[:])
	copy(b[16:32], n.dst[:])
	b[32], b[33] = n.srcLen, n.dstLen
}

// As in libip6t_SNPT.c, the option IDs are the flag values 1 and 2.
const (
	nptOptSrcPfx = 1
	nptOptDstPfx = 2
)

func init() { registerNPT("SNPT") }

func registerNPT(name string) {
	Register(&Extension{
		Name: name, Target: true, Family: IPv6, Revision: 0, Size: 36,
		Options: []Option{
			{Name: "src-pfx", ID: nptOptSrcPfx, Type: TypeString, Flags: Mandatory},
			{Name: "dst-pfx", ID: nptOptDstPfx, Type: TypeString, Flags: Mandatory},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var n nptInfo
			n.unmarshal(info)
			addr, plen, err := parseNPTPrefix(name, c.Option.Name, c.Arg())
			if err != nil {
				return err
			}
			if c.Option.ID == nptOptSrcPfx {
				n.src, n.srcLen = addr, plen
			} else {
				n.dst, n.dstLen = addr, plen
			}
			n.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var n nptInfo
			n.unmarshal(info)
			if n.src != [16]byte{} || n.srcLen != 0 {
				w.Opt(false, "src-pfx", nptPrefix(n.src, n.srcLen))
			}
			if n.dst != [16]byte{} || n.dstLen != 0 {
				w.Opt(false, "dst-pfx", nptPrefix(n.dst, n.dstLen))
			}
		},
		Print: func(info []byte, w *Writer) {
			var n nptInfo
			n.unmarshal(info)
			w.WriteString(" " + name + " src-pfx " + nptPrefix(n.src, n.srcLen) + " dst-pfx " + nptPrefix(n.dst, n.dstLen))
		},
	})
}

// parseNPTPrefix reads an XTTYPE_HOSTMASK value as xtopt_parse_hostmask
// leaves it for NPT: the address (not masked) and the length (128 when
// none is given, 255 for a netmask that is no prefix).
func parseNPTPrefix(ext, opt, s string) (addr [16]byte, plen uint8, err error) {
	host, m, hasMask := strings.Cut(s, "/")
	a, ok := parseNumericHost(IPv6, host)
	if !ok {
		return addr, 0, badSpec(s, "getaddrinfo: Name or service not known")
	}
	if !hasMask {
		return a, 128, nil
	}
	n, ok := parsePlen(IPv6, m)
	if !ok {
		return addr, 0, badPlen(s, ext, opt, IPv6)
	}
	return a, uint8(n), nil
}

// nptPrefix prints "addr/len" as SNPT's -S and -L do.
func nptPrefix(a [16]byte, plen uint8) string {
	return inetNtop(IPv6, a[:]) + "/" + strconv.Itoa(int(plen))
}
