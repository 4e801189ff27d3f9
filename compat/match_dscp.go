package compat

import "strings"

// dscp: -m dscp [!] --dscp N | [!] --dscp-class CLASS (struct
// xt_dscp_info, 2 bytes, 8 sent): u8 dscp (0-63), u8 invert. The two
// options exclude each other; one is required. -S prints "--dscp 0xNN".

type dscpInfo struct{ dscp, invert uint8 }

func (d *dscpInfo) unmarshal(b []byte) { d.dscp, d.invert = b[0], b[1] }
func (d *dscpInfo) marshal(b []byte)   { b[0], b[1] = d.dscp, d.invert }

func init() {
	Register(&Extension{
		Name: "dscp", Revision: 0, Size: 2,
		Options: []Option{
			{Name: "dscp", ID: 0, Type: TypeUint8, Max: 0x3f, Flags: Invert | ExclAtOnce, Excl: 0x3},
			{Name: "dscp-class", ID: 1, Type: TypeString, Flags: Invert | ExclAtOnce, Excl: 0x3},
		},
		OneOf: &OneOf{IDs: 0x3, Token: "-m dscp", Msg: "DSCP match: Parameter --dscp is required"},
		Parse: func(info []byte, c *OptionCall) error {
			d := dscpInfo{dscp: uint8(c.Val.Uint), invert: oneIf[uint8](c.Invert)}
			if c.Option.ID == 1 {
				var err error
				if d.dscp, err = dscpClass(c.Arg()); err != nil {
					return err
				}
			}
			d.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var d dscpInfo
			d.unmarshal(info)
			w.WriteString(" DSCP match ")
			if d.invert != 0 {
				w.WriteByte('!')
			}
			w.WriteString(hexPad(d.dscp, 2))
		},
		Save: func(info []byte, w *Writer) {
			var d dscpInfo
			d.unmarshal(info)
			w.Opt(d.invert != 0, "dscp", hexPad(d.dscp, 2))
		},
	})
}

// dscpClasses are the DiffServ class names --dscp-class and
// --set-dscp-class take.
var dscpClasses = []struct {
	name string
	dscp byte
}{
	{"CS0", 0x00}, {"CS1", 0x08}, {"CS2", 0x10}, {"CS3", 0x18}, {"CS4", 0x20},
	{"CS5", 0x28}, {"CS6", 0x30}, {"CS7", 0x38}, {"BE", 0x00},
	{"AF11", 0x0a}, {"AF12", 0x0c}, {"AF13", 0x0e}, {"AF21", 0x12}, {"AF22", 0x14},
	{"AF23", 0x16}, {"AF31", 0x1a}, {"AF32", 0x1c}, {"AF33", 0x1e}, {"AF41", 0x22},
	{"AF42", 0x24}, {"AF43", 0x26}, {"EF", 0x2e},
}

// dscpClass is class_to_dscp: the first class whose name starts the
// argument, case-insensitively (so "af11x" is AF11).
func dscpClass(a string) (byte, error) {
	for _, c := range dscpClasses {
		if len(a) >= len(c.name) && strings.EqualFold(a[:len(c.name)], c.name) {
			return c.dscp, nil
		}
	}
	return 0, badSpec(a, "Invalid DSCP value `%s'", a)
}
