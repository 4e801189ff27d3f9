package compat

import (
	"math"
	"strconv"
)

// connbytes: -m connbytes [!] --connbytes FROM[:TO] --connbytes-dir DIR
// --connbytes-mode MODE, all three mandatory (struct xt_connbytes_info, 18
// bytes): u64 from, u64 to, u8 what (packets 0, bytes 1, avgpkt 2), u8
// direction (original 0, reply 1, both 2). Negation swaps from and to; -S
// prints "! FROM:TO" when from > to, and omits ":TO" when TO is 0 or the
// maximum.

type connbytesInfo struct {
	from, to        uint64
	what, direction uint8
}

func (c *connbytesInfo) unmarshal(b []byte) {
	c.from, c.to, c.what, c.direction = hostOrder.Uint64(b[0:]), hostOrder.Uint64(b[8:]), b[16], b[17]
}

func (c *connbytesInfo) marshal(b []byte) {
	hostOrder.PutUint64(b[0:], c.from)
	hostOrder.PutUint64(b[8:], c.to)
	b[16], b[17] = c.what, c.direction
}

var (
	connbytesModes = []string{"packets", "bytes", "avgpkt"}
	connbytesDirs  = []string{"original", "reply", "both"}
)

func init() {
	Register(&Extension{
		Name: "connbytes", Revision: 0, Size: 18,
		Options: []Option{
			{Name: "connbytes", ID: 0, Type: TypeUint64Range, Flags: Invert | Mandatory},
			{Name: "connbytes-dir", ID: 1, Type: TypeString, Flags: Mandatory},
			{Name: "connbytes-mode", ID: 2, Type: TypeString, Flags: Mandatory},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var t connbytesInfo
			t.unmarshal(info)
			a := c.Arg()
			switch c.Option.ID {
			case 0:
				from, to := c.Val.Range[0], uint64(math.MaxUint64)
				if c.Val.N == 2 {
					to = c.Val.Range[1]
				}
				if to < from {
					return badSpec(a, "%d should be less than %d", from, to)
				}
				if c.Invert {
					from, to = to, from
				}
				t.from, t.to = from, to
			case 1:
				i, ok := connbytesIndex(connbytesDirs, a)
				if !ok {
					return badSpec(a, "Unknown --connbytes-dir `%s'", a)
				}
				t.direction = i
			case 2:
				i, ok := connbytesIndex(connbytesModes, a)
				if !ok {
					return badSpec(a, "Unknown --connbytes-mode `%s'", a)
				}
				t.what = i
			}
			t.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var t connbytesInfo
			t.unmarshal(info)
			t.fromTo(w, "--")
			w.WriteString(" --connbytes-mode " + connbytesName(connbytesModes, t.what))
			w.WriteString(" --connbytes-dir " + connbytesName(connbytesDirs, t.direction))
		},
		Print: func(info []byte, w *Writer) {
			var t connbytesInfo
			t.unmarshal(info)
			t.fromTo(w, "")
			w.WriteString(" connbytes mode " + connbytesName(connbytesModes, t.what))
			w.WriteString(" connbytes direction " + connbytesName(connbytesDirs, t.direction))
		},
	})
}

func connbytesIndex(names []string, s string) (uint8, bool) {
	for i, n := range names {
		if s == n {
			return uint8(i), true
		}
	}
	return 0, false
}

func connbytesName(names []string, v byte) string {
	if int(v) < len(names) {
		return names[v]
	}
	return "unknown"
}

func (t *connbytesInfo) fromTo(w *Writer, pfx string) {
	from, to := t.from, t.to
	if from > to {
		w.WriteString(" !")
		from, to = to, from
	}
	w.WriteString(" " + pfx + "connbytes " + strconv.FormatUint(from, 10))
	if to != 0 && to < math.MaxUint64 {
		w.WriteString(":" + strconv.FormatUint(to, 10))
	}
}
