package compat

import (
	"strconv"
	"strings"
)

// pkttype: -m pkttype [!] --pkt-type TYPE (struct xt_pkttype_info, 8
// bytes): int pkttype @0 (PACKET_HOST 0, BROADCAST 1, MULTICAST 2,
// OTHERHOST 3), int invert @4, host order. Names are case-insensitive;
// bcast, mcast and host are aliases. -S prints the first name of the
// type, or the number when it has none.

var pkttypeNames = []struct {
	name string
	typ  uint32
}{
	{"unicast", 0}, {"broadcast", 1}, {"multicast", 2}, {"otherhost", 3},
	{"bcast", 1}, {"mcast", 2}, {"host", 0},
}

func init() {
	Register(&Extension{
		Name: "pkttype", Revision: 0, Size: 8,
		Options: []Option{{Name: "pkt-type", Args: 1, Invert: true, Mandatory: true}},
		LegacyParse: func(info []byte, _ *Option, args []string, invert bool, _ *ParseContext) error {
			found := false
			for _, n := range pkttypeNames {
				if strings.EqualFold(args[0], n.name) {
					putLe32(info[0:], n.typ)
					found = true
					break
				}
			}
			if !found {
				return badSpec(args[0], "Bad packet type '%s'", args[0])
			}
			if invert {
				putLe32(info[4:], 1)
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if len(info) < 8 {
				return
			}
			t := le32(info[0:])
			v := strconv.Itoa(int(int32(t)))
			for _, n := range pkttypeNames {
				if n.typ == t {
					v = n.name
					break
				}
			}
			w.Opt(le32(info[4:]) != 0, "pkt-type", v)
		},
	})
}
