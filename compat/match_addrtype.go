package compat

import "strings"

// addrtype: -m addrtype, revision 1 (struct xt_addrtype_info_v1, 8
// bytes): u16 source, u16 dest (bit 1<<RTN_x per type), u32 flags
// (INVERT_SOURCE 1, INVERT_DEST 2, LIMIT_IFACE_IN 4, LIMIT_IFACE_OUT 8). Types are comma-separated, each a case-insensitive
// prefix of a name (the first in RTN order wins: "U" is UNSPEC). One of
// --src-type / --dst-type is required; --limit-iface-in and -out exclude
// each other. The kernel refuses --limit-iface-in in OUTPUT/POSTROUTING,
// --limit-iface-out in PREROUTING/INPUT, and for IPv6 the types
// BROADCAST, BLACKHOLE and PROHIBIT and above.

var addrtypeNames = []string{
	"UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST",
	"BLACKHOLE", "UNREACHABLE", "PROHIBIT", "THROW", "NAT", "XRESOLVE",
}

// addrtypeInfo is struct xt_addrtype_info_v1.
type addrtypeInfo struct {
	source, dest uint16 // 1<<RTN_x per type
	flags        uint32
}

const (
	atInvSrc   = 1
	atInvDst   = 2
	atLimitIn  = 4
	atLimitOut = 8

	atBroadcast = 1 << 3
	atBlackhole = 1 << 6
	atProhibit  = 1 << 8
)

func (a *addrtypeInfo) unmarshal(b []byte) {
	a.source, a.dest, a.flags = hostOrder.Uint16(b[0:]), hostOrder.Uint16(b[2:]), hostOrder.Uint32(b[4:])
}

func (a *addrtypeInfo) marshal(b []byte) {
	hostOrder.PutUint16(b[0:], a.source)
	hostOrder.PutUint16(b[2:], a.dest)
	hostOrder.PutUint32(b[4:], a.flags)
}

func init() {
	Register(&Extension{
		Name: "addrtype", Revision: 1, Size: 8,
		Options: []Option{
			{Name: "src-type", ID: 0, Type: TypeString, Flags: Invert},
			{Name: "dst-type", ID: 1, Type: TypeString, Flags: Invert},
			{Name: "limit-iface-in", ID: 2, Excl: 1 << 3},
			{Name: "limit-iface-out", ID: 3, Excl: 1 << 2},
		},
		OneOf: &OneOf{IDs: 0x3, Token: "-m addrtype", Msg: "addrtype: you must specify --src-type or --dst-type"},
		Parse: func(info []byte, c *OptionCall) error {
			var a addrtypeInfo
			a.unmarshal(info)
			switch c.Option.ID {
			case 0, 1:
				m, err := parsePrefixList(c.Arg(), addrtypeBits, "addrtype: bad type \"%s\"")
				if err != nil {
					return err
				}
				if c.Option.ID == 0 {
					a.source |= m
				} else {
					a.dest |= m
				}
				if c.Invert {
					a.flags |= atInvSrc << c.Option.ID
				}
			case 2:
				a.flags |= atLimitIn
			case 3:
				a.flags |= atLimitOut
			}
			a.marshal(info)
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			var a addrtypeInfo
			a.unmarshal(info)
			if a.flags&atLimitOut != 0 && IsBuiltinChain(ctx.Table, ctx.Chain) && (ctx.Chain == "PREROUTING" || ctx.Chain == "INPUT") {
				return badSpec("--limit-iface-out", "addrtype: output interface limitation not valid in PREROUTING and INPUT")
			}
			if a.flags&atLimitIn != 0 && IsBuiltinChain(ctx.Table, ctx.Chain) && (ctx.Chain == "POSTROUTING" || ctx.Chain == "OUTPUT") {
				return badSpec("--limit-iface-in", "addrtype: input interface limitation not valid in POSTROUTING and OUTPUT")
			}
			if ctx.Family == IPv6 {
				switch t := a.source | a.dest; {
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
		Print: func(info []byte, w *Writer) {
			var a addrtypeInfo
			a.unmarshal(info)
			w.WriteString(" ADDRTYPE match")
			if a.source != 0 {
				w.WriteString(" src-type ")
				if a.flags&atInvSrc != 0 {
					w.WriteByte('!')
				}
				w.WriteString(addrtypeFormat(a.source))
			}
			if a.dest != 0 {
				w.WriteString(" dst-type ")
				if a.flags&atInvDst != 0 {
					w.WriteByte('!')
				}
				w.WriteString(addrtypeFormat(a.dest))
			}
			if a.flags&atLimitIn != 0 {
				w.WriteString(" limit-in")
			}
			if a.flags&atLimitOut != 0 {
				w.WriteString(" limit-out")
			}
		},
		Save: func(info []byte, w *Writer) {
			var a addrtypeInfo
			a.unmarshal(info)
			if a.source != 0 {
				w.Opt(a.flags&atInvSrc != 0, "src-type", addrtypeFormat(a.source))
			}
			if a.dest != 0 {
				w.Opt(a.flags&atInvDst != 0, "dst-type", addrtypeFormat(a.dest))
			}
			if a.flags&atLimitIn != 0 {
				w.Opt(false, "limit-iface-in")
			}
			if a.flags&atLimitOut != 0 {
				w.Opt(false, "limit-iface-out")
			}
		},
	})
}

// addrtypeBits are addrtypeNames with their bits, for parsePrefixList.
var addrtypeBits = func() []nameBit {
	var out []nameBit
	for i, n := range addrtypeNames {
		out = append(out, nameBit{n, 1 << i})
	}
	return out
}()

func addrtypeFormat(m uint16) string {
	var parts []string
	for i, n := range addrtypeNames {
		if m&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, ",")
}
