package compat

import "strconv"

// tcpmss: -p tcp -m tcpmss [!] --mss MIN[:MAX] (struct
// xt_tcpmss_match_info, 6 bytes): u16 mss_min @0, u16 mss_max @2 (host
// order), u8 invert @4. The kernel refuses it without -p tcp.

func init() {
	Register(&Extension{
		Name: "tcpmss", Revision: 0, Size: 6,
		Options: []Option{{Name: "mss", Args: 1, Invert: true, Mandatory: true}},
		LegacyParse: func(info []byte, _ *Option, args []string, invert bool, _ *ParseContext) error {
			vals, err := parseMint("tcpmss", "mss", args[0], 0xffff, 2)
			if err != nil {
				return err
			}
			lo, hi := vals[0], vals[0]
			if len(vals) == 2 {
				hi = vals[1]
				if hi < lo {
					return badSpec(args[0], "tcpmss: invalid range given")
				}
			}
			putLe16(info[0:], uint16(lo))
			putLe16(info[2:], uint16(hi))
			if invert {
				info[4] = 1
			}
			return nil
		},
		Final: func(_ []byte, ctx *ParseContext) error { return mcProtoCheck(ctx, 6, "tcpmss") },
		Save: func(info []byte, w *Writer) {
			w.Opt(info[4] != 0, "mss", tcpmssRange(info))
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" tcpmss match " + mcInv(info[4] != 0) + tcpmssRange(info))
		},
	})
}

func tcpmssRange(info []byte) string {
	lo, hi := le16(info[0:]), le16(info[2:])
	if lo == hi {
		return strconv.Itoa(int(lo))
	}
	return strconv.Itoa(int(lo)) + ":" + strconv.Itoa(int(hi))
}
