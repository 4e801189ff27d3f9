package compat

import (
	"fmt"
	"strconv"
)

// frag: -m frag (IPv6 only; struct ip6t_frag, 14 bytes): u32 ids[2], u32
// hdrlen, u8 flags (IDS 1, LEN 2, RES 4, FST 8, MF 0x10, NMF 0x20), u8
// invflags (INV_IDS 1, INV_LEN 2). ids[1] starts at 0xffffffff; a range
// is not checked for order.

type fragInfo struct {
	ids             [2]uint32
	hdrlen          uint32
	flags, invflags uint8
}

const (
	fragIDs    = 0x01
	fragLen    = 0x02
	fragRes    = 0x04
	fragFirst  = 0x08
	fragMore   = 0x10
	fragLast   = 0x20
	fragInvIDs = 0x01
	fragInvLen = 0x02
)

func (f *fragInfo) unmarshal(b []byte) {
	f.ids = [2]uint32{hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:])}
	f.hdrlen, f.flags, f.invflags = hostOrder.Uint32(b[8:]), b[12], b[13]
}

func (f *fragInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], f.ids[0])
	hostOrder.PutUint32(b[4:], f.ids[1])
	hostOrder.PutUint32(b[8:], f.hdrlen)
	b[12], b[13] = f.flags, f.invflags
}

// fragFlagNames are the flag options (IDs 2 to 5) and how -L shows them.
var fragFlagNames = []struct {
	bit       byte
	opt, text string
}{
	{fragRes, "fragres", "reserved"},
	{fragFirst, "fragfirst", "first"},
	{fragMore, "fragmore", "more"},
	{fragLast, "fraglast", "last"},
}

func init() {
	Register(&Extension{
		Name: "frag", Family: IPv6, Revision: 0, Size: 14,
		Options: []Option{
			{Name: "fragid", ID: 0, Type: TypeUint32Range, Flags: Invert},
			{Name: "fraglen", ID: 1, Type: TypeUint32, Flags: Invert},
			{Name: "fragres", ID: 2},
			{Name: "fragfirst", ID: 3},
			{Name: "fragmore", ID: 4},
			{Name: "fraglast", ID: 5},
		},
		Init: func(info []byte, _ *ParseContext) {
			f := fragInfo{ids: [2]uint32{0, 0xffffffff}}
			f.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error {
			var f fragInfo
			f.unmarshal(info)
			switch id := c.Option.ID; id {
			case 0:
				f.ids = [2]uint32{uint32(c.Val.Range[0]), uint32(c.Val.Range[1])}
				if c.Invert {
					f.invflags |= fragInvIDs
				}
				f.flags |= fragIDs
			case 1:
				f.hdrlen = uint32(c.Val.Uint)
				if c.Invert {
					f.invflags |= fragInvLen
				}
				f.flags |= fragLen
			default:
				// --fragmore and --fraglast exclude each other, named
				// the given one first.
				bit := fragFlagNames[id-2].bit
				if other := fragMore ^ fragLast ^ bit; bit&(fragMore|fragLast) != 0 && f.flags&other != 0 {
					return badSpec("--"+c.Option.Name, "frag: option \"--%s\" cannot be used together with \"--%s\".", c.Option.Name, fragFlagNames[id^1-2].opt)
				}
				f.flags |= bit
			}
			f.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var f fragInfo
			f.unmarshal(info)
			if f.ids != [2]uint32{0, 0xffffffff} {
				w.Opt(f.invflags&fragInvIDs != 0, "fragid", formatRange(f.ids[0], f.ids[1]))
			}
			if f.flags&fragLen != 0 {
				w.Opt(f.invflags&fragInvLen != 0, "fraglen", strconv.FormatUint(uint64(f.hdrlen), 10))
			}
			for _, n := range fragFlagNames {
				if f.flags&n.bit != 0 {
					w.Opt(false, n.opt)
				}
			}
		},
		Print: func(info []byte, w *Writer) {
			var f fragInfo
			f.unmarshal(info)
			w.WriteString(" frag ")
			printIDs(w, "id", f.ids[0], f.ids[1], f.invflags&fragInvIDs != 0, false)
			if f.flags&fragLen != 0 {
				w.WriteString(" length:" + invMark(f.invflags&fragInvLen != 0) + strconv.FormatUint(uint64(f.hdrlen), 10))
			}
			for _, n := range fragFlagNames {
				if f.flags&n.bit != 0 {
					w.WriteString(" " + n.text)
				}
			}
			if inv := f.invflags &^ (fragInvIDs | fragInvLen); inv != 0 {
				fmt.Fprintf(w, " Unknown invflags: 0x%X", inv)
			}
		},
	})
}

// printIDs writes the -L form of a u32 range (" spi:5", " spis:!1:2"),
// nothing for the full range unless inverted; space says whether a space
// precedes the name.
func printIDs(w *Writer, name string, lo, hi uint32, invert, space bool) {
	if lo == 0 && hi == 0xffffffff && !invert {
		return
	}
	if space {
		w.WriteByte(' ')
	}
	if lo == hi {
		w.WriteString(name + ":" + invMark(invert) + strconv.FormatUint(uint64(lo), 10))
		return
	}
	w.WriteString(name + "s:" + invMark(invert) + strconv.FormatUint(uint64(lo), 10) + ":" + strconv.FormatUint(uint64(hi), 10))
}
