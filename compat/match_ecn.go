package compat

// ecn: -m ecn (struct xt_ecn_info, 8 bytes): u8 operation @0 (MATCH_IP
// 0x01, MATCH_ECE 0x10, MATCH_CWR 0x20), u8 invert @1 (same bits), u8
// ip_ect @2 (0-3), u32 tcp ect @4 (unused). [!] --ecn-tcp-cwr, [!]
// --ecn-tcp-ece, [!] --ecn-ip-ect N; at least one. The kernel refuses the
// TCP bits unless the rule is -p tcp, not negated. -S prints ECE, CWR,
// then ECT, each once.

const (
	ecnIP  = 0x01
	ecnECE = 0x10
	ecnCWR = 0x20
)

func init() {
	Register(&Extension{
		Name: "ecn", Revision: 0, Size: 8,
		Options: []Option{
			{Name: "ecn-tcp-cwr", Invert: true, ID: ecnCWR},
			{Name: "ecn-tcp-ece", Invert: true, ID: ecnECE},
			{Name: "ecn-ip-ect", Args: 1, Invert: true, ID: ecnIP},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
			bit := byte(opt.ID)
			if bit == ecnIP {
				v, err := uintOpt("ecn", "ecn-ip-ect", args[0], 0, 3)
				if err != nil {
					return err
				}
				info[2] = byte(v)
			}
			info[0] |= bit
			if invert {
				info[1] |= bit
			}
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			if info[0] == 0 {
				return badSpec("-m ecn", "ECN match: some option required")
			}
			if info[0]&(ecnECE|ecnCWR) != 0 && (ctx.Spec.Proto != 6 || ctx.Spec.InvProto) {
				return badSpec("-m ecn", "ecn: cannot match TCP bits for non-tcp packets")
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if len(info) < 3 {
				return
			}
			op, inv := info[0], info[1]
			if op&ecnECE != 0 {
				w.Opt(inv&ecnECE != 0, "ecn-tcp-ece")
			}
			if op&ecnCWR != 0 {
				w.Opt(inv&ecnCWR != 0, "ecn-tcp-cwr")
			}
			if op&ecnIP != 0 {
				w.Opt(inv&ecnIP != 0, "ecn-ip-ect", utoa(info[2]))
			}
		},
	})
}
