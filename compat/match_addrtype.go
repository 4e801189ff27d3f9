package compat

import "strings"

// addrtype: -m addrtype, revision 1 (struct xt_addrtype_info_v1, 8
// bytes): u16 source @0, u16 dest @2 (bit 1<<RTN_x per type), u32 flags
// @4 (INVERT_SOURCE 1, INVERT_DEST 2, LIMIT_IFACE_IN 4, LIMIT_IFACE_OUT
// 8), host order. Types are comma-separated, each a case-insensitive
// prefix of a name (the first in RTN order wins: "U" is UNSPEC). One of
// --src-type / --dst-type is required; --limit-iface-in and -out exclude
// each other. The kernel refuses --limit-iface-in in OUTPUT/POSTROUTING,
// --limit-iface-out in PREROUTING/INPUT, and for IPv6 the types
// BROADCAST, BLACKHOLE and PROHIBIT and above.

var addrtypeNames = []string{
	"UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST",
	"BLACKHOLE", "UNREACHABLE", "PROHIBIT", "THROW", "NAT", "XRESOLVE",
}

const (
	atOptSrc = iota
	atOptDst
	atOptIn
	atOptOut

	atInvSrc   = 1
	atInvDst   = 2
	atLimitIn  = 4
	atLimitOut = 8

	atBroadcast = 1 << 3
	atBlackhole = 1 << 6
	atProhibit  = 1 << 8
)

var atOptNames = map[int]string{atOptSrc: "src-type", atOptDst: "dst-type", atOptIn: "limit-iface-in", atOptOut: "limit-iface-out"}

func init() {
	Register(&Extension{
		Name: "addrtype", Revision: 1, Size: 8,
		Options: []Option{
			{Name: "src-type", Args: 1, Invert: true, ID: atOptSrc},
			{Name: "dst-type", Args: 1, Invert: true, ID: atOptDst},
			{Name: "limit-iface-in", ID: atOptIn},
			{Name: "limit-iface-out", ID: atOptOut},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
			flags := le32(info[4:])
			switch opt.ID {
			case atOptSrc, atOptDst:
				at := 2 * opt.ID
				m, err := addrtypeParse(args[0])
				if err != nil {
					return err
				}
				putLe16(info[at:], le16(info[at:])|m)
				if invert {
					flags |= 1 << opt.ID
				}
			case atOptIn:
				flags |= atLimitIn
			case atOptOut:
				flags |= atLimitOut
			}
			putLe32(info[4:], flags)
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			src, dst, flags := le16(info[0:]), le16(info[2:]), le32(info[4:])
			if src == 0 && dst == 0 {
				return badSpec("-m addrtype", "addrtype: you must specify --src-type or --dst-type")
			}
			if flags&atLimitIn != 0 && flags&atLimitOut != 0 {
				return badSpec("--limit-iface-out", "addrtype: option \"--limit-iface-in\" cannot be used together with \"--limit-iface-out\".")
			}
			if flags&atLimitOut != 0 && IsBuiltinChain(ctx.Table, ctx.Chain) && (ctx.Chain == "PREROUTING" || ctx.Chain == "INPUT") {
				return badSpec("--limit-iface-out", "addrtype: output interface limitation not valid in PREROUTING and INPUT")
			}
			if flags&atLimitIn != 0 && IsBuiltinChain(ctx.Table, ctx.Chain) && (ctx.Chain == "POSTROUTING" || ctx.Chain == "OUTPUT") {
				return badSpec("--limit-iface-in", "addrtype: input interface limitation not valid in POSTROUTING and OUTPUT")
			}
			if ctx.Family == IPv6 {
				switch t := src | dst; {
				case t&atBlackhole != 0:
					return badSpec("-m addrtype", "addrtype: ipv6 BLACKHOLE matching not supported")
				case t >= atProhibit:
					return badSpec("-m addrtype", "addrtype: ipv6 PROHIBIT (THROW, NAT ..) matching not supported")
				case t&atBroadcast != 0:
					return badSpec("-m addrtype", "addrtype: ipv6 does not support BROADCAST matching")
				}
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if len(info) < 8 {
				return
			}
			src, dst, flags := le16(info[0:]), le16(info[2:]), le32(info[4:])
			if src != 0 {
				w.Opt(flags&atInvSrc != 0, "src-type", addrtypeFormat(src))
			}
			if dst != 0 {
				w.Opt(flags&atInvDst != 0, "dst-type", addrtypeFormat(dst))
			}
			if flags&atLimitIn != 0 {
				w.Opt(false, "limit-iface-in")
			}
			if flags&atLimitOut != 0 {
				w.Opt(false, "limit-iface-out")
			}
		},
	})
}

func addrtypeParse(arg string) (uint16, error) {
	var m uint16
	s := arg
	for {
		tok, rest, more := strings.Cut(s, ",")
		found := false
		if tok != "" {
			for i, n := range addrtypeNames {
				if maCasePrefix(tok, n) {
					m |= 1 << i
					found = true
					break
				}
			}
		}
		if !found {
			return 0, badSpec(arg, "addrtype: bad type \"%s\"", s)
		}
		if !more {
			return m, nil
		}
		s = rest
	}
}

func addrtypeFormat(m uint16) string {
	var parts []string
	for i, n := range addrtypeNames {
		if m&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, ",")
}
