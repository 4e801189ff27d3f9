package compat

// DSCP: -j DSCP (struct xt_DSCP_info, 1 byte, 8 sent): u8 dscp, 0-63.
// --set-dscp-class takes a DiffServ class name, matched case-insensitively
// as a prefix of the argument (dscpClass, match_dscp.go). -S prints
// --set-dscp 0xNN. The kernel allows it only in the mangle table.

func init() {
	Register(&Extension{
		Name: "DSCP", Target: true, Revision: 0, Size: 1,
		Options: []Option{
			{Name: "set-dscp", ID: 0, Type: TypeUint8, Max: 0x3f, Excl: 0x3},
			{Name: "set-dscp-class", ID: 1, Type: TypeString, Excl: 0x3},
		},
		OneOf: &OneOf{IDs: 0x3, Token: "DSCP", Msg: "DSCP target: Parameter --set-dscp is required"},
		Parse: func(info []byte, c *OptionCall) error {
			if c.Option.ID == 0 {
				info[0] = uint8(c.Val.Uint)
				return nil
			}
			v, err := dscpClass(c.Arg())
			if err != nil {
				return err
			}
			info[0] = v
			return nil
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" DSCP set " + hexPad(info[0], 2))
		},
		Save: func(info []byte, w *Writer) {
			w.Opt(false, "set-dscp", hexPad(info[0], 2))
		},
		Tables: []string{"mangle"},
	})
}
