package compat

// CONNSECMARK: -j CONNSECMARK (struct xt_connsecmark_target_info, 1 byte,
// 8 sent): u8 mode (1 save, 2 restore: the option's ID plus one). --save
// and --restore exclude each other; one is required. The kernel allows it
// only in the mangle and security tables; it needs no SELinux (SECMARK
// does).

func init() {
	Register(&Extension{
		Name: "CONNSECMARK", Target: true, Revision: 0, Size: 1,
		Options: []Option{
			{Name: "save", ID: 0, Excl: 0x3},
			{Name: "restore", ID: 1, Excl: 0x3},
		},
		OneOf: &OneOf{IDs: 0x3, Token: "CONNSECMARK", Msg: "CONNSECMARK target: parameter required"},
		Parse: func(info []byte, c *OptionCall) error {
			info[0] = byte(c.Option.ID + 1) // mode
			return nil
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" CONNSECMARK ")
			switch info[0] {
			case 1:
				w.WriteString("save")
			case 2:
				w.WriteString("restore")
			}
			// iptables aborts on an invalid mode after printing that much.
		},
		Save: func(info []byte, w *Writer) {
			switch info[0] {
			case 1:
				w.Opt(false, "save")
			case 2:
				w.Opt(false, "restore")
			default:
				// iptables aborts on an invalid mode after printing " --".
				w.WriteString(" --")
			}
		},
		Tables: []string{"mangle", "security"},
	})
}
