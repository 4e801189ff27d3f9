package compat

// ecn: -m ecn (struct xt_ecn_info, 8 bytes): u8 operation (MATCH_IP 0x01,
// MATCH_ECE 0x10, MATCH_CWR 0x20), u8 invert (same bits), u8 ip_ect
// (0-3), u32 tcp ect (unused). [!] --ecn-tcp-cwr, [!] --ecn-tcp-ece, [!]
// --ecn-ip-ect N; at least one. The kernel refuses the TCP bits unless
// the rule is -p tcp, not negated. -S prints ECE, CWR, then ECT, each
// once.

const (
	ecnIP  = 0x01
	ecnECE = 0x10
	ecnCWR = 0x20
)

type ecnInfo struct{ operation, invert, ipECT uint8 }

func (e *ecnInfo) unmarshal(b []byte) { e.operation, e.invert, e.ipECT = b[0], b[1], b[2] }
func (e *ecnInfo) marshal(b []byte)   { b[0], b[1], b[2] = e.operation, e.invert, e.ipECT }

// ecnBits are the operation bits of the options, by ID.
var ecnBits = [...]uint8{ecnCWR, ecnECE, ecnIP}

func init() {
	Register(&Extension{
		Name: "ecn", Revision: 0, Size: 8,
		Options: []Option{
			{Name: "ecn-tcp-cwr", ID: 0, Flags: Invert},
			{Name: "ecn-tcp-ece", ID: 1, Flags: Invert},
			{Name: "ecn-ip-ect", ID: 2, Type: TypeUint8, Max: 3, Flags: Invert},
		},
		OneOf: &OneOf{IDs: 0x7, Token: "-m ecn", Msg: "ECN match: some option required"},
		Parse: func(info []byte, c *OptionCall) error {
			var e ecnInfo
			e.unmarshal(info)
			bit := ecnBits[c.Option.ID]
			if bit == ecnIP {
				e.ipECT = uint8(c.Val.Uint)
			}
			e.operation |= bit
			if c.Invert {
				e.invert |= bit
			}
			e.marshal(info)
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			var e ecnInfo
			e.unmarshal(info)
			if e.operation&(ecnECE|ecnCWR) != 0 && (ctx.Spec.Proto != 6 || ctx.Spec.InvProto) {
				return badSpec("-m ecn", "ecn: cannot match TCP bits for non-tcp packets")
			}
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var e ecnInfo
			e.unmarshal(info)
			w.WriteString(" ECN match")
			if e.operation&ecnECE != 0 {
				w.WriteString(" " + invMark(e.invert&ecnECE != 0) + "ECE")
			}
			if e.operation&ecnCWR != 0 {
				w.WriteString(" " + invMark(e.invert&ecnCWR != 0) + "CWR")
			}
			if e.operation&ecnIP != 0 {
				w.WriteString(" " + invMark(e.invert&ecnIP != 0) + "ECT=" + utoa(e.ipECT))
			}
		},
		Save: func(info []byte, w *Writer) {
			var e ecnInfo
			e.unmarshal(info)
			if e.operation&ecnECE != 0 {
				w.Opt(e.invert&ecnECE != 0, "ecn-tcp-ece")
			}
			if e.operation&ecnCWR != 0 {
				w.Opt(e.invert&ecnCWR != 0, "ecn-tcp-cwr")
			}
			if e.operation&ecnIP != 0 {
				w.Opt(e.invert&ecnIP != 0, "ecn-ip-ect", utoa(e.ipECT))
			}
		},
	})
}
