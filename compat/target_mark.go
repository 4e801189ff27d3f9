package compat

import "math"

// MARK: -j MARK, revision 2 (struct xt_mark_tginfo2, 8 bytes): u32 mark @0,
// u32 mask @4, host byte order. The kernel sets nfmark = (nfmark & ~mask)
// ^ mark. Every option is a spelling of that pair (--set-mark v/m is
// v, v|m; --and-mark b is 0, ~b; --or-mark b is b, b; --xor-mark b is b, 0),
// so -S always prints --set-xmark 0xV/0xM. Allowed in every table and chain.

const (
	markOptSetXmark = iota
	markOptSetMark
	markOptAndMark
	markOptOrMark
	markOptXorMark
)

var markOptNames = map[int]string{
	markOptSetXmark: "set-xmark", markOptSetMark: "set-mark", markOptAndMark: "and-mark",
	markOptOrMark: "or-mark", markOptXorMark: "xor-mark",
}

func init() {
	Register(&Extension{
		Name: "MARK", Target: true, Revision: 2, Size: 8,
		Options: []Option{
			{Name: "set-xmark", Args: 1, ID: markOptSetXmark},
			{Name: "set-mark", Args: 1, ID: markOptSetMark},
			{Name: "and-mark", Args: 1, ID: markOptAndMark},
			{Name: "or-mark", Args: 1, ID: markOptOrMark},
			{Name: "xor-mark", Args: 1, ID: markOptXorMark},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, _ bool, ctx *ParseContext) error {
			if err := tbOnce(ctx, "MARK", opt.Name, opt.ID); err != nil {
				return err
			}
			var mark, mask uint32
			switch opt.ID {
			case markOptSetXmark, markOptSetMark:
				v, m, err := parseValMask("MARK", opt.Name, args[0], nil)
				if err != nil {
					return err
				}
				mark, mask = v, m
				if opt.ID == markOptSetMark {
					mask = v | m
				}
			default:
				v, err := uintOpt("MARK", opt.Name, args[0], 0, math.MaxUint32)
				if err != nil {
					return err
				}
				switch opt.ID {
				case markOptAndMark:
					mark, mask = 0, ^uint32(v)
				case markOptOrMark:
					mark, mask = uint32(v), uint32(v)
				case markOptXorMark:
					mark, mask = uint32(v), 0
				}
			}
			putLe32(info[0:], mark)
			putLe32(info[4:], mask)
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			if ctx.given() == 0 {
				return badSpec("MARK", "MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required")
			}
			return tbExclusive(ctx, "MARK", 0x1f, markOptNames)
		},
		Save: func(info []byte, w *Writer) {
			w.Opt(false, "set-xmark", tbMarkPair(le32(info[0:]), le32(info[4:])))
		},
	})
}
