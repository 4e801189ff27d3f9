package compat

import (
	"strconv"
	"strings"
)

// pkttype: -m pkttype [!] --pkt-type TYPE (struct xt_pkttype_info, 8
// bytes): int pkttype (PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST
// 3), int invert. Names are case-insensitive; bcast, mcast and host are
// aliases. -S prints the first name of the type, or the number when it
// has none.

var pkttypeNames = []struct {
	name string
	typ  uint32
}{
	{"unicast", 0}, {"broadcast", 1}, {"multicast", 2}, {"otherhost", 3},
	{"bcast", 1}, {"mcast", 2}, {"host", 0},
}

type pkttypeInfo struct{ pkttype, invert uint32 }

func (p *pkttypeInfo) unmarshal(b []byte) {
	p.pkttype, p.invert = hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:])
}

func (p *pkttypeInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], p.pkttype)
	hostOrder.PutUint32(b[4:], p.invert)
}

func init() {
	Register(&Extension{
		Name: "pkttype", Revision: 0, Size: 8,
		Options: []Option{{Name: "pkt-type", Type: TypeString, Flags: Invert | Mandatory}},
		Parse: func(info []byte, c *OptionCall) error {
			for _, n := range pkttypeNames {
				if strings.EqualFold(c.Arg(), n.name) {
					p := pkttypeInfo{pkttype: n.typ, invert: oneIf[uint32](c.Invert)}
					p.marshal(info)
					return nil
				}
			}
			return badSpec(c.Arg(), "Bad packet type '%s'", c.Arg())
		},
		Print: func(info []byte, w *Writer) {
			var p pkttypeInfo
			p.unmarshal(info)
			v := pkttypeName(p.pkttype)
			if p.invert != 0 {
				w.WriteString(" PKTTYPE != " + v)
			} else {
				w.WriteString(" PKTTYPE = " + v)
			}
		},
		Save: func(info []byte, w *Writer) {
			var p pkttypeInfo
			p.unmarshal(info)
			v := pkttypeName(p.pkttype)
			w.Opt(p.invert != 0, "pkt-type", v)
		},
	})
}

// pkttypeName is a packet type's name, or its number if it has none.
func pkttypeName(t uint32) string {
	for _, n := range pkttypeNames {
		if n.typ == t {
			return n.name
		}
	}
	return strconv.Itoa(int(int32(t)))
}
