package compat

// ttl: -m ttl (IPv4 only; struct ipt_ttl_info, 2 bytes, 8 sent): u8 mode
// @0 (EQ 0, NE 1, LT 2, GT 3), u8 ttl @1. Exactly one of --ttl-eq (or
// its non-negatable spelling --ttl), --ttl-lt, --ttl-gt; "! --ttl-eq" is
// mode NE. -S prints "[!] --ttl-eq N", "--ttl-lt N" or "--ttl-gt N".

func init() {
	registerTTLHL("ttl", "TTL", IPv4)
}

// registerTTLHL registers ttl (IPv4) or hl (IPv6): the same structure and
// options under another name.
func registerTTLHL(name, upper string, fam Family) {
	names := map[int]string{0: name + "-eq", 1: name + "-lt", 2: name + "-gt"}
	Register(&Extension{
		Name: name, Family: fam, Revision: 0, Size: 2,
		Options: []Option{
			{Name: name + "-eq", Args: 1, Invert: true, ID: 0},
			{Name: name + "-lt", Args: 1, ID: 1},
			{Name: name + "-gt", Args: 1, ID: 2},
			{Name: name, Args: 1, ID: 0},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, ctx *ParseContext) error {
			if err := maExcl(ctx, name, opt.ID, 0x7, names); err != nil {
				return err
			}
			v, err := uintOpt(name, opt.Name, args[0], 0, 255)
			if err != nil {
				return err
			}
			info[1] = byte(v)
			switch {
			case opt.ID == 0 && invert:
				info[0] = 1
			case opt.ID == 0:
				info[0] = 0
			default:
				info[0] = byte(opt.ID) + 1
			}
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			if ctx.given() == 0 {
				return badSpec("-m "+name, "%s match: You must specify one of `--%s-eq', `--%s-lt', `--%s-gt'", upper, name, name, name)
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if len(info) < 2 {
				return
			}
			v := utoa(info[1])
			switch info[0] {
			case 0:
				w.Opt(false, name+"-eq", v)
			case 1:
				w.Opt(true, name+"-eq", v)
			case 2:
				w.Opt(false, name+"-lt", v)
			case 3:
				w.Opt(false, name+"-gt", v)
			default:
				if name == "ttl" {
					w.WriteString(" " + v)
				}
			}
		},
	})
}
