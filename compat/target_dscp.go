package compat

import "strings"

// DSCP: -j DSCP (struct xt_DSCP_info, 1 byte, 8 sent): u8 dscp @0, 0-63.
// --set-dscp-class takes a DiffServ class name, matched case-insensitively
// as a prefix of the argument (as iptables' class_to_dscp does, so
// "af11x" is AF11). -S prints --set-dscp 0xNN. The kernel allows it only
// in the mangle table.

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

const (
	dscpOptSet = iota
	dscpOptClass
)

func init() {
	Register(&Extension{
		Name: "DSCP", Target: true, Revision: 0, Size: 1,
		Options: []Option{
			{Name: "set-dscp", Args: 1, ID: dscpOptSet},
			{Name: "set-dscp-class", Args: 1, ID: dscpOptClass},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, _ bool, ctx *ParseContext) error {
			if err := tbOnce(ctx, "DSCP", opt.Name, opt.ID); err != nil {
				return err
			}
			a := args[0]
			if opt.ID == dscpOptSet {
				v, err := uintOpt("DSCP", opt.Name, a, 0, 0x3f)
				if err != nil {
					return err
				}
				info[0] = byte(v)
				return nil
			}
			for _, c := range dscpClasses {
				if len(a) >= len(c.name) && strings.EqualFold(a[:len(c.name)], c.name) {
					info[0] = c.dscp
					return nil
				}
			}
			return badSpec(a, "Invalid DSCP value `%s'", a)
		},
		Final: func(info []byte, ctx *ParseContext) error {
			if ctx.given() == 0 {
				return badSpec("DSCP", "DSCP target: Parameter --set-dscp is required")
			}
			return tbExclusive(ctx, "DSCP", 3, map[int]string{dscpOptSet: "set-dscp", dscpOptClass: "set-dscp-class"})
		},
		Save: func(info []byte, w *Writer) {
			w.Opt(false, "set-dscp", hexPad(uint64(info[0]), 2))
		},
		Tables: []string{"mangle"},
	})
}
