package compat

import "strconv"

// connmark: -m connmark [!] --mark VALUE[/MASK], revision 1 (struct
// xt_connmark_mtinfo1, 9 bytes, 16 sent): u32 mark @0, u32 mask @4 (host
// order), u8 invert @8. Numbers are decimal, 0x hex or 0 octal; the mask
// defaults to 0xffffffff. -S prints "--mark 0xV" or "--mark 0xV/0xM".

func init() {
	Register(&Extension{
		Name: "connmark", Revision: 1, Size: 9,
		Options: []Option{{Name: "mark", Args: 1, Invert: true, Mandatory: true}},
		LegacyParse: func(info []byte, _ *Option, args []string, invert bool, _ *ParseContext) error {
			v, m, err := parseValMask("connmark", "mark", args[0], nil)
			if err != nil {
				return err
			}
			putLe32(info[0:], v)
			putLe32(info[4:], m)
			if invert {
				info[8] = 1
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if len(info) < 9 {
				return
			}
			v, m := le32(info[0:]), le32(info[4:])
			s := "0x" + strconv.FormatUint(uint64(v), 16)
			if m != 0xffffffff {
				s += "/0x" + strconv.FormatUint(uint64(m), 16)
			}
			w.Opt(info[8] != 0, "mark", s)
		},
	})
}
