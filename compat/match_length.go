package compat

// length: -m length [!] --length MIN[:MAX] (struct xt_length_info, 6
// bytes, 8 sent): u16 min, u16 max, u8 invert. "A:" means A:65535, ":B"
// 0:B; MIN > MAX is accepted. -S prints "MIN" when both are equal,
// "MIN:MAX" otherwise.

type lengthInfo struct {
	min, max uint16
	invert   uint8
}

func (l *lengthInfo) unmarshal(b []byte) {
	l.min, l.max, l.invert = hostOrder.Uint16(b[0:]), hostOrder.Uint16(b[2:]), b[4]
}

func (l *lengthInfo) marshal(b []byte) {
	hostOrder.PutUint16(b[0:], l.min)
	hostOrder.PutUint16(b[2:], l.max)
	b[4] = l.invert
}

func init() {
	Register(&Extension{
		Name: "length", Revision: 0, Size: 6,
		Options: []Option{{Name: "length", Type: TypeUint16Range, Flags: Invert | Mandatory}},
		Parse: func(info []byte, c *OptionCall) error {
			l := lengthInfo{min: uint16(c.Val.Range[0]), max: uint16(c.Val.Range[1]), invert: oneIf[uint8](c.Invert)}
			l.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var l lengthInfo
			l.unmarshal(info)
			w.WriteString(" length ")
			if l.invert != 0 {
				w.WriteByte('!')
			}
			w.WriteString(formatRange(l.min, l.max))
		},
		Save: func(info []byte, w *Writer) {
			var l lengthInfo
			l.unmarshal(info)
			w.Opt(l.invert != 0, "length", formatRange(l.min, l.max))
		},
	})
}

// formatRange prints "lo", or "lo:hi" when the ends differ.
func formatRange[T ~uint16 | ~uint32 | ~uint64](lo, hi T) string {
	if lo == hi {
		return utoa(lo)
	}
	return utoa(lo) + ":" + utoa(hi)
}
