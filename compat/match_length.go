package compat

// length: -m length [!] --length MIN[:MAX] (struct xt_length_info, 6
// bytes, 8 sent): u16 min @0, u16 max @2, u8 invert @4, host order.
// "A:" means A:65535, ":B" 0:B; MIN > MAX is accepted. -S prints "MIN"
// when both are equal, "MIN:MAX" otherwise.

func init() {
	Register(&Extension{
		Name: "length", Revision: 0, Size: 6,
		Options: []Option{{Name: "length", Args: 1, Invert: true, Mandatory: true}},
		LegacyParse: func(info []byte, _ *Option, args []string, invert bool, _ *ParseContext) error {
			v, err := parseMint("length", "length", args[0], 0xffff, 2)
			if err != nil {
				return err
			}
			putLe16(info[0:], uint16(v[0]))
			putLe16(info[2:], uint16(v[len(v)-1]))
			if invert {
				info[4] = 1
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if len(info) < 6 {
				return
			}
			lo, hi := le16(info[0:]), le16(info[2:])
			v := utoa(lo)
			if lo != hi {
				v += ":" + utoa(hi)
			}
			w.Opt(info[4] != 0, "length", v)
		},
	})
}
