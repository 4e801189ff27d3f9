package compat

import (
	"strconv"
	"strings"
)

// TCPOPTSTRIP: -j TCPOPTSTRIP [--strip-options LIST] (struct
// xt_tcpoptstrip_target_info, 32 bytes): u32 strip_bmap[8], bit N of the
// 256 the TCP option kind N to strip. The list is comma-separated kinds,
// as numbers (2-255) or names (wscale, mss, sack-permitted, sack,
// timestamp, md5). -S prints the kinds as numbers, -L as names where
// they have one ("-L -n" as numbers). The kernel allows it only in the
// mangle table and with -p tcp: elsewhere the rule goes to the kernel,
// which refuses it, as iptables-nft lets it.

type tcpoptstripInfo struct{ bmap [8]uint32 }

func (t *tcpoptstripInfo) unmarshal(b []byte) {
	for i := range t.bmap {
		t.bmap[i] = hostOrder.Uint32(b[4*i:])
	}
}

func (t *tcpoptstripInfo) marshal(b []byte) {
	for i, v := range t.bmap {
		hostOrder.PutUint32(b[4*i:], v)
	}
}

func (t *tcpoptstripInfo) has(kind int) bool { return t.bmap[kind>>5]&(1<<(kind&31)) != 0 }
func (t *tcpoptstripInfo) set(kind int)      { t.bmap[kind>>5] |= 1 << (kind & 31) }

// tcpoptNames are the names --strip-options knows, in iptables' order.
var tcpoptNames = []struct {
	name string
	kind int
}{
	{"wscale", 3}, {"mss", 2}, {"sack-permitted", 4}, {"sack", 5}, {"timestamp", 8}, {"md5", 19},
}

const tcpoptstripOptStrip = 0

func init() {
	Register(&Extension{
		Name: "TCPOPTSTRIP", Target: true, Revision: 0, Size: 32,
		Options: []Option{
			{Name: "strip-options", ID: tcpoptstripOptStrip, Type: TypeString},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var t tcpoptstripInfo
			t.unmarshal(info)
			for _, arg := range strings.Split(c.Arg(), ",") {
				kind := 0
				for _, n := range tcpoptNames {
					if n.name == arg {
						kind = n.kind
						break
					}
				}
				if kind == 0 {
					v, ok := xtParseUint(arg, 0, 255)
					if !ok {
						return badSpec(arg, "Bad TCP option value \"%s\"", arg)
					}
					kind = int(v)
				}
				if kind < 2 {
					return badSpec(arg, "Option value may not be 0 or 1")
				}
				if t.has(kind) {
					return badSpec(arg, "Option \"%s\" already specified", arg)
				}
				t.set(kind)
			}
			t.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var t tcpoptstripInfo
			t.unmarshal(info)
			if t.bmap != [8]uint32{} {
				w.WriteString(" --strip-options ")
				t.list(w, true)
			}
		},
		Print: func(info []byte, w *Writer) {
			var t tcpoptstripInfo
			t.unmarshal(info)
			if t.bmap != [8]uint32{} {
				w.WriteString(" TCPOPTSTRIP options ")
				t.list(w, w.Numeric())
			}
		},
	})
}

// list writes the kinds to strip, comma-separated: names where they have
// one unless numeric.
func (t *tcpoptstripInfo) list(w *Writer, numeric bool) {
	first := true
	for kind := 0; kind < 256; kind++ {
		if !t.has(kind) {
			continue
		}
		if !first {
			w.WriteByte(',')
		}
		first = false
		name := ""
		if !numeric {
			for _, n := range tcpoptNames {
				if n.kind == kind {
					name = n.name
				}
			}
		}
		if name == "" {
			name = strconv.Itoa(kind)
		}
		w.WriteString(name)
	}
}
