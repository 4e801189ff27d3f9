package compat

import "fmt"

// esp: -p esp -m esp [!] --espspi SPI[:SPI] (struct xt_esp, 9 bytes):
// u32 spis[2], u8 invflags (INV_SPI 1). spis[1] starts at 0xffffffff; a
// range is not checked for order. The kernel refuses it without -p esp.
// ah (match_ah.go) is the same for IPv4 -p ah.

func init() { espRegister("esp", "espspi", 50, Both) }

// espInfo is struct xt_esp, and ipt_ah.
type espInfo struct {
	spis     [2]uint32
	invflags uint8
}

func (e *espInfo) unmarshal(b []byte) {
	e.spis, e.invflags = [2]uint32{hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:])}, b[8]
}

func (e *espInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], e.spis[0])
	hostOrder.PutUint32(b[4:], e.spis[1])
	b[8] = e.invflags
}

// espRegister registers esp or ah (IPv4): spis[2] and invflags.
func espRegister(name, opt string, proto uint8, fam Family) {
	Register(&Extension{
		Name: name, Family: fam, Revision: 0, Size: 9, Proto: proto,
		Options: []Option{{Name: opt, Type: TypeUint32Range, Flags: Invert}},
		Init: func(info []byte, _ *ParseContext) {
			e := espInfo{spis: [2]uint32{0, 0xffffffff}}
			e.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error {
			e := espInfo{spis: [2]uint32{uint32(c.Val.Range[0]), uint32(c.Val.Range[1])}, invflags: oneIf[uint8](c.Invert)}
			e.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var e espInfo
			e.unmarshal(info)
			if e.spis != [2]uint32{0, 0xffffffff} {
				w.Opt(e.invflags&1 != 0, opt, formatRange(e.spis[0], e.spis[1]))
			}
		},
		Print: func(info []byte, w *Writer) {
			var e espInfo
			e.unmarshal(info)
			w.WriteString(" " + name)
			if name == "ah" {
				w.WriteString(" ")
			}
			printIDs(w, "spi", e.spis[0], e.spis[1], e.invflags&1 != 0, name == "esp")
			if inv := e.invflags &^ 1; inv != 0 {
				fmt.Fprintf(w, " Unknown invflags: 0x%X", inv)
			}
		},
	})
}
