package compat

import (
	"math"
	"strings"
)

// TOS: -j TOS, revision 1 (struct xt_tos_target_info, 2 bytes, 8 sent):
// u8 tos_value @0, u8 tos_mask @1; the kernel sets tos = (tos & ~mask) ^
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

var tosOptNames = map[int]string{tosOptSet: "set-tos", tosOptAnd: "and-tos", tosOptOr: "or-tos", tosOptXor: "xor-tos"}

func init() {
	Register(&Extension{
		Name: "TOS", Target: true, Revision: 1, Size: 2,
		Options: []Option{
			{Name: "set-tos", Args: 1, ID: tosOptSet},
			{Name: "and-tos", Args: 1, ID: tosOptAnd},
			{Name: "or-tos", Args: 1, ID: tosOptOr},
			{Name: "xor-tos", Args: 1, ID: tosOptXor},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, _ bool, ctx *ParseContext) error {
			if err := tbOnce(ctx, "TOS", opt.Name, opt.ID); err != nil {
				return err
			}
			a := args[0]
			if opt.ID == tosOptSet {
				v, m, err := tosParseMask(a)
				if err != nil {
					return err
				}
				info[0], info[1] = v, m
				return nil
			}
			v, err := uintOpt("TOS", opt.Name, a, 0, math.MaxUint8)
			if err != nil {
				return err
			}
			b := byte(v)
			switch opt.ID {
			case tosOptAnd:
				info[0], info[1] = 0, ^b
			case tosOptOr:
				info[0], info[1] = b, b
			case tosOptXor:
				info[0], info[1] = b, 0
			}
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			if ctx.given() == 0 {
				return badSpec("TOS", "TOS: An action is required")
			}
			return tbExclusive(ctx, "TOS", 0xf, tosOptNames)
		},
		Save: func(info []byte, w *Writer) {
			w.Opt(false, "set-tos", hexPad(uint64(info[0]), 2)+"/"+hexPad(uint64(info[1]), 2))
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
