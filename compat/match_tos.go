package compat

// tos: -m tos [!] --tos VALUE[/MASK] or --tos SYMBOL, revision 1 (struct
// xt_tos_match_info, 3 bytes, 8 sent): u8 tos_mask, u8 tos_value, u8
// invert. A number's mask defaults to 0xff; a symbolic name
// (Minimize-Delay 0x10, Maximize-Throughput 0x08, Maximize-Reliability
// 0x04, Minimize-Cost 0x02, Normal-Service 0x00; case-insensitive) gets
// mask 0x3f (tosParseMask, target_tos.go). -S prints "--tos 0xVV/0xMM".

type tosMatchInfo struct{ mask, value, invert uint8 }

func (t *tosMatchInfo) unmarshal(b []byte) { t.mask, t.value, t.invert = b[0], b[1], b[2] }
func (t *tosMatchInfo) marshal(b []byte)   { b[0], b[1], b[2] = t.mask, t.value, t.invert }

func init() {
	Register(&Extension{
		Name: "tos", Revision: 1, Size: 3,
		Options: []Option{{Name: "tos", Type: TypeString, Flags: Invert | Mandatory}},
		Parse: func(info []byte, c *OptionCall) error {
			v, m, err := tosParseMask(c.Arg())
			if err != nil {
				return err
			}
			t := tosMatchInfo{mask: m, value: v, invert: oneIf[uint8](c.Invert)}
			t.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var t tosMatchInfo
			t.unmarshal(info)
			w.WriteString(" tos match")
			if t.invert != 0 {
				w.WriteByte('!')
			}
			if w.Numeric() || !tosPrintSymbol(w, "", t.value, t.mask) {
				w.WriteString(hexPad(t.value, 2) + "/" + hexPad(t.mask, 2))
			}
		},
		Save: func(info []byte, w *Writer) {
			var t tosMatchInfo
			t.unmarshal(info)
			w.Opt(t.invert != 0, "tos", hexPad(t.value, 2)+"/"+hexPad(t.mask, 2))
		},
	})
}
