package compat

import "fmt"

// esp: -p esp -m esp [!] --espspi SPI[:SPI] (struct xt_esp, 9 bytes):
// u32 spis[2] @0 (host order), u8 invflags @8 (INV_SPI 1). spis[1] starts
// at 0xffffffff; a range is not checked for order. The kernel refuses it
// without -p esp. ah (match_ah.go) is the same for IPv4 -p ah.

func init() { espRegister("esp", "espspi", 50, Both) }

// espRegister registers esp or ah (IPv4): spis[2] and invflags.
func espRegister(name, opt string, proto uint8, fam Family) {
	Register(&Extension{
		Name: name, Family: fam, Revision: 0, Size: 9,
		Options: []Option{{Name: opt, Args: 1, Invert: true}},
		Init:    func(info []byte, _ *ParseContext) { putLe32(info[4:], 0xffffffff) },
		LegacyParse: func(info []byte, _ *Option, args []string, invert bool, _ *ParseContext) error {
			vals, err := parseMint(name, opt, args[0], 0xffffffff, 2)
			if err != nil {
				return err
			}
			putLe32(info[0:], uint32(vals[0]))
			putLe32(info[4:], uint32(vals[len(vals)-1]))
			if invert {
				info[8] |= 1
			}
			return nil
		},
		Final: func(_ []byte, ctx *ParseContext) error { return mcProtoCheck(ctx, proto, name) },
		Save: func(info []byte, w *Writer) {
			if lo, hi := le32(info[0:]), le32(info[4:]); lo != 0 || hi != 0xffffffff {
				w.Opt(info[8]&1 != 0, opt, mcRange32(lo, hi))
			}
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" " + name)
			if name == "ah" {
				w.WriteString(" ")
			}
			mcPrintIDs(w, "spi", le32(info[0:]), le32(info[4:]), info[8]&1 != 0, name == "esp")
			if inv := info[8] &^ 1; inv != 0 {
				fmt.Fprintf(w, " Unknown invflags: 0x%X", inv)
			}
		},
	})
}
