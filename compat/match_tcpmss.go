package compat

// tcpmss: -p tcp -m tcpmss [!] --mss MIN[:MAX] (struct
// xt_tcpmss_match_info, 6 bytes): u16 mss_min, u16 mss_max, u8 invert.
// The kernel refuses it without -p tcp.

type tcpmssMatchInfo struct {
	min, max uint16
	invert   uint8
}

func (t *tcpmssMatchInfo) unmarshal(b []byte) {
	t.min, t.max, t.invert = hostOrder.Uint16(b[0:]), hostOrder.Uint16(b[2:]), b[4]
}

func (t *tcpmssMatchInfo) marshal(b []byte) {
	hostOrder.PutUint16(b[0:], t.min)
	hostOrder.PutUint16(b[2:], t.max)
	b[4] = t.invert
}

func init() {
	Register(&Extension{
		Name: "tcpmss", Revision: 0, Size: 6, Proto: 6,
		Options: []Option{{Name: "mss", Type: TypeUint16Range, Flags: Invert | Mandatory}},
		Parse: func(info []byte, c *OptionCall) error {
			t := tcpmssMatchInfo{min: uint16(c.Val.Range[0]), max: uint16(c.Val.Range[1]), invert: oneIf[uint8](c.Invert)}
			if t.max < t.min {
				return badSpec(c.Arg(), "tcpmss: invalid range given")
			}
			t.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var t tcpmssMatchInfo
			t.unmarshal(info)
			w.Opt(t.invert != 0, "mss", formatRange(t.min, t.max))
		},
		Print: func(info []byte, w *Writer) {
			var t tcpmssMatchInfo
			t.unmarshal(info)
			w.WriteString(" tcpmss match " + invMark(t.invert != 0) + formatRange(t.min, t.max))
		},
	})
}
