package compat

// CONNSECMARK: -j CONNSECMARK (struct xt_connsecmark_target_info, 1 byte,
// 8 sent): u8 mode @0 (1 save, 2 restore). --save and --restore exclude
// each other; one is required. The kernel allows it only in the mangle
// and security tables; it needs no SELinux (SECMARK does).

const (
	connsecmarkOptSave = iota
	connsecmarkOptRestore
)

func init() {
	Register(&Extension{
		Name: "CONNSECMARK", Target: true, Revision: 0, Size: 1,
		Options: []Option{
			{Name: "save", ID: connsecmarkOptSave},
			{Name: "restore", ID: connsecmarkOptRestore},
		},
		LegacyParse: func(info []byte, opt *Option, _ []string, _ bool, ctx *ParseContext) error {
			if err := tbOnce(ctx, "CONNSECMARK", opt.Name, opt.ID); err != nil {
				return err
			}
			info[0] = byte(opt.ID + 1)
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			if ctx.given() == 0 {
				return badSpec("CONNSECMARK", "CONNSECMARK target: parameter required")
			}
			return tbExclusive(ctx, "CONNSECMARK", 3, map[int]string{connsecmarkOptSave: "save", connsecmarkOptRestore: "restore"})
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
