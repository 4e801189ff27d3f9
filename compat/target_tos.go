package compat

import (
	"math"
	"strings"
)

// TOS: -j TOS, revision 1 (struct xt_tos_target_info, 2 bytes, 8 sent):
// u8 tos_value, u8 tos_mask; the kernel sets tos = (tos & ~mask) ^
// value. --set-tos takes value[/mask] (mask defaults to 0xff) or a symbolic
// name (Minimize-Delay, ...; case-insensitive) whose mask is 0x3f;
// --and-tos b is 0, ~b; --or-tos b is b, b; --xor-tos b is b, 0. -S prints
// --set-tos 0xVV/0xMM. The kernel allows it only in the mangle table.

var tosSymbols = []struct {
	name  string
	value byte
}{
	{"Minimize-Delay", 0x10}, {"Maximize-Throughput", 0x08}, {"Maximize-Reliability", 0x04},
	{"Minimize-Cost", 0x02}, {"Normal-Service", 0x00},
}

const (
	tosOptSet = iota
	tosOptAnd
	tosOptOr
	tosOptXor
)

// tosTargetInfo is struct xt_tos_target_info.
type tosTargetInfo struct{ value, mask uint8 }

func (t *tosTargetInfo) unmarshal(b []byte) { t.value, t.mask = b[0], b[1] }
func (t *tosTargetInfo) marshal(b []byte)   { b[0], b[1] = t.value, t.mask }

func init() {
	opt := func(name string, id int, typ OptionType) Option {
		return Option{Name: name, ID: id, Type: typ, Excl: 0xf}
	}
	Register(&Extension{
		Name: "TOS", Target: true, Revision: 1, Size: 2,
		Options: []Option{
			opt("set-tos", tosOptSet, TypeString), opt("and-tos", tosOptAnd, TypeUint8),
			opt("or-tos", tosOptOr, TypeUint8), opt("xor-tos", tosOptXor, TypeUint8),
		},
		OneOf: &OneOf{IDs: 0xf, Token: "TOS", Msg: "TOS: An action is required"},
		Parse: func(info []byte, c *OptionCall) error {
			var t tosTargetInfo
			b := uint8(c.Val.Uint)
			switch c.Option.ID {
			case tosOptSet:
				v, m, err := tosParseMask(c.Arg())
				if err != nil {
					return err
				}
				t = tosTargetInfo{v, m}
			case tosOptAnd:
				t = tosTargetInfo{0, ^b}
			case tosOptOr:
				t = tosTargetInfo{b, b}
			case tosOptXor:
				t = tosTargetInfo{b, 0}
			}
			t.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var t tosTargetInfo
			t.unmarshal(info)
			switch {
			case w.Numeric():
				w.WriteString(" TOS set " + hexPad(t.value, 2) + "/" + hexPad(t.mask, 2))
			case tosPrintSymbol(w, " TOS set", t.value, t.mask):
			case t.value == 0:
				w.WriteString(" TOS and " + hexPad(^t.mask, 2))
			case t.value == t.mask:
				w.WriteString(" TOS or " + hexPad(t.value, 2))
			case t.mask == 0:
				w.WriteString(" TOS xor " + hexPad(t.value, 2))
			default:
				w.WriteString(" TOS set " + hexPad(t.value, 2) + "/" + hexPad(t.mask, 2))
			}
		},
		Save: func(info []byte, w *Writer) {
			var t tosTargetInfo
			t.unmarshal(info)
			w.Opt(false, "set-tos", hexPad(t.value, 2)+"/"+hexPad(t.mask, 2))
		},
		Tables: []string{"mangle"},
	})
}

// tosParseMask parses XTTYPE_TOSMASK as xtopt_parse_tosmask does for
// revision 1 (symbolic names get mask 0x3f).
func tosParseMask(s string) (value, mask byte, err error) {
	illegal := badSpec(s, "Illegal value: \"%s\"", s)
	if v, rest, ok := xtStrtoul(s, 0, math.MaxUint8); ok {
		value, mask = byte(v), 0xff
		if rest != "" && rest[0] == '/' {
			m, r, ok := xtStrtoul(rest[1:], 0, math.MaxUint8)
			if !ok {
				return 0, 0, illegal
			}
			mask, rest = byte(m), r
		}
		if rest != "" {
			return 0, 0, illegal
		}
		return value, mask, nil
	}
	for _, sym := range tosSymbols {
		if strings.EqualFold(s, sym.name) {
			return sym.value, 0x3f, nil
		}
	}
	return 0, 0, badSpec(s, "Symbolic name \"%s\" is unknown", s)
}

// tosPrintSymbol writes " PREFIXName" for a value with a name under mask
// 0x3f, as tos_try_print_symbolic does (with its quirk: the prefix and
// the name are not spaced, " TOS setMinimize-Delay"); false if it has none.
func tosPrintSymbol(w *Writer, prefix string, value, mask uint8) bool {
	if mask != 0x3f {
		return false
	}
	for _, s := range tosSymbols {
		if s.value == value {
			w.WriteString(" " + prefix + s.name)
			return true
		}
	}
	return false
}
