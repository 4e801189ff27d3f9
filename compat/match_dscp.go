package compat

import "strings"

// dscp: -m dscp [!] --dscp N | [!] --dscp-class CLASS (struct
// xt_dscp_info, 2 bytes, 8 sent): u8 dscp @0 (0-63), u8 invert @1. The
// two options exclude each other; one is required. A class is matched
// when the argument starts with its name (case-insensitive; CS0-CS7, BE,
// AF11-AF43, EF). -S prints "--dscp 0xNN".

var dscpMatchClasses = []struct {
	name string
	dscp byte
}{
	{"CS0", 0x00}, {"CS1", 0x08}, {"CS2", 0x10}, {"CS3", 0x18}, {"CS4", 0x20},
	{"CS5", 0x28}, {"CS6", 0x30}, {"CS7", 0x38}, {"BE", 0x00},
	{"AF11", 0x0a}, {"AF12", 0x0c}, {"AF13", 0x0e}, {"AF21", 0x12}, {"AF22", 0x14},
	{"AF23", 0x16}, {"AF31", 0x1a}, {"AF32", 0x1c}, {"AF33", 0x1e}, {"AF41", 0x22},
	{"AF42", 0x24}, {"AF43", 0x26}, {"EF", 0x2e},
}

var dscpMatchOptNames = map[int]string{0: "dscp", 1: "dscp-class"}

func init() {
	Register(&Extension{
		Name: "dscp", Revision: 0, Size: 2,
		Options: []Option{
			{Name: "dscp", Args: 1, Invert: true, ID: 0},
			{Name: "dscp-class", Args: 1, Invert: true, ID: 1},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, ctx *ParseContext) error {
			if err := maExcl(ctx, "dscp", opt.ID, 0x3, dscpMatchOptNames); err != nil {
				return err
			}
			a := args[0]
			if opt.ID == 0 {
				v, err := uintOpt("dscp", "dscp", a, 0, 0x3f)
				if err != nil {
					return err
				}
				info[0] = byte(v)
			} else {
				found := false
				for _, c := range dscpMatchClasses {
					if len(a) >= len(c.name) && strings.EqualFold(a[:len(c.name)], c.name) {
						info[0], found = c.dscp, true
						break
					}
				}
				if !found {
					return badSpec(a, "Invalid DSCP value `%s'", a)
				}
			}
			if invert {
				info[1] = 1
			}
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			if ctx.given() == 0 {
				return badSpec("-m dscp", "DSCP match: Parameter --dscp is required")
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if len(info) < 2 {
				return
			}
			w.Opt(info[1] != 0, "dscp", hexPad(info[0], 2))
		},
	})
}
