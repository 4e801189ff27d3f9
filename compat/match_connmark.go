package compat

// connmark: -m connmark [!] --mark VALUE[/MASK], revision 1 (struct
// xt_connmark_mtinfo1, 9 bytes, 16 sent): u32 mark, u32 mask, u8 invert,
// as the mark match's (markMaskInfo). Numbers are decimal, 0x hex or 0
// octal; the mask defaults to 0xffffffff. -S prints "--mark 0xV" or
// "--mark 0xV/0xM".

func init() {
	Register(&Extension{
		Name: "connmark", Revision: 1, Size: 9,
		Options: []Option{{Name: "mark", Type: TypeMarkMask, Flags: Invert | Mandatory}},
		Parse:   parseMarkMaskInfo,
		Print: func(info []byte, w *Writer) {
			var m markMaskInfo
			m.unmarshal(info)
			// "connmark match  0x1", or "connmark match ! 0x1": the value
			// brings its own space.
			w.WriteString(" connmark match ")
			if m.invert != 0 {
				w.WriteByte('!')
			}
			w.WriteString(" " + formatMarkMask(m.mark, m.mask))
		},
		Save: func(info []byte, w *Writer) {
			var m markMaskInfo
			m.unmarshal(info)
			w.Opt(m.invert != 0, "mark", formatMarkMask(m.mark, m.mask))
		},
	})
}
