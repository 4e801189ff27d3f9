package compat

import "strings"

// tos: -m tos [!] --tos VALUE[/MASK] or --tos SYMBOL, revision 1 (struct
// xt_tos_match_info, 3 bytes, 8 sent): u8 tos_mask @0, u8 tos_value @1,
// u8 invert @2. A number's mask defaults to 0xff; a symbolic name
// (Minimize-Delay 0x10, Maximize-Throughput 0x08, Maximize-Reliability
// 0x04, Minimize-Cost 0x02, Normal-Service 0x00; case-insensitive) gets
// mask 0x3f. -S prints "--tos 0xVV/0xMM".

var tosMatchSymbols = []struct {
	name  string
	value byte
}{
	{"Minimize-Delay", 0x10}, {"Maximize-Throughput", 0x08}, {"Maximize-Reliability", 0x04},
	{"Minimize-Cost", 0x02}, {"Normal-Service", 0x00},
}

func init() {
	Register(&Extension{
		Name: "tos", Revision: 1, Size: 3,
		Options: []Option{{Name: "tos", Args: 1, Invert: true, Mandatory: true}},
		LegacyParse: func(info []byte, _ *Option, args []string, invert bool, _ *ParseContext) error {
			v, m, err := tosMatchParse(args[0])
			if err != nil {
				return err
			}
			info[0], info[1] = m, v
			if invert {
				info[2] = 1
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if len(info) < 3 {
				return
			}
			w.Opt(info[2] != 0, "tos", tosHex2(info[1])+"/"+tosHex2(info[0]))
		},
	})
}

// tosMatchParse is xtopt_parse_tosmask with a symbolic mask of 0x3f.
func tosMatchParse(s string) (value, mask byte, err error) {
	if v, rest, ok := xtStrtoul(s, 0, 255); ok {
		value, mask = byte(v), 0xff
		if rest != "" && rest[0] == '/' {
			m, r, ok := xtStrtoul(rest[1:], 0, 255)
			if !ok {
				return 0, 0, badSpec(s, "Illegal value: \"%s\"", s)
			}
			mask, rest = byte(m), r
		}
		if rest != "" {
			return 0, 0, badSpec(s, "Illegal value: \"%s\"", s)
		}
		return value, mask, nil
	}
	for _, sym := range tosMatchSymbols {
		if strings.EqualFold(s, sym.name) {
			return sym.value, 0x3f, nil
		}
	}
	return 0, 0, badSpec(s, "Symbolic name \"%s\" is unknown", s)
}

// tosHex2 prints a byte as "0x%02x".
func tosHex2(b byte) string {
	const hex = "0123456789abcdef"
	return "0x" + string([]byte{hex[b>>4], hex[b&0xf]})
}
