package compat

import (
	"math"
	"strconv"
)

// CONNMARK: -j CONNMARK, revision 2 (struct xt_connmark_tginfo2, 15 bytes,
// 16 sent): u32 ctmark @0, u32 ctmask @4, u32 nfmask @8 (host order), u8
// shift_dir @12 (0 left, 1 right), u8 shift_bits @13, u8 mode @14 (0 set,
// 1 save, 2 restore). ctmask and nfmask start as 0xffffffff. The set
// spellings map as for MARK, onto ctmark/ctmask; -S prints --set-xmark
// 0xV/0xM, or --save-mark / --restore-mark always followed by
// "--nfmask 0xN --ctmask 0xC", then --left-shift-mark / --right-shift-mark N
// when the shift is not zero. iptables takes shifts of 0-32; the kernel
// refuses 32.

const (
	connmarkOptSetMark = iota
	connmarkOptSaveMark
	connmarkOptRestoreMark
	connmarkOptAndMark
	connmarkOptOrMark
	connmarkOptXorMark
	connmarkOptLeftShift
	connmarkOptRightShift
	connmarkOptSetXmark
	connmarkOptCtmask
	connmarkOptNfmask
	connmarkOptMask
)

// connmarkOps are the options that choose the operation; one is required.
const connmarkOps = 1<<connmarkOptSetMark | 1<<connmarkOptSaveMark | 1<<connmarkOptRestoreMark |
	1<<connmarkOptAndMark | 1<<connmarkOptOrMark | 1<<connmarkOptXorMark | 1<<connmarkOptSetXmark

var connmarkOptNames = map[int]string{
	connmarkOptSetMark: "set-mark", connmarkOptSaveMark: "save-mark", connmarkOptRestoreMark: "restore-mark",
	connmarkOptAndMark: "and-mark", connmarkOptOrMark: "or-mark", connmarkOptXorMark: "xor-mark",
	connmarkOptLeftShift: "left-shift-mark", connmarkOptRightShift: "right-shift-mark",
	connmarkOptSetXmark: "set-xmark", connmarkOptCtmask: "ctmask", connmarkOptNfmask: "nfmask", connmarkOptMask: "mask",
}

func init() {
	var opts []Option
	for _, id := range []int{connmarkOptSetXmark, connmarkOptSetMark, connmarkOptAndMark, connmarkOptOrMark,
		connmarkOptXorMark, connmarkOptSaveMark, connmarkOptRestoreMark, connmarkOptLeftShift,
		connmarkOptRightShift, connmarkOptCtmask, connmarkOptNfmask, connmarkOptMask} {
		args := 1
		if id == connmarkOptSaveMark || id == connmarkOptRestoreMark {
			args = 0
		}
		opts = append(opts, Option{Name: connmarkOptNames[id], Args: args, ID: id})
	}
	Register(&Extension{
		Name: "CONNMARK", Target: true, Revision: 2, Size: 15,
		Options: opts,
		Init: func(info []byte, ctx *ParseContext) {
			putLe32(info[4:], math.MaxUint32)
			putLe32(info[8:], math.MaxUint32)
		},
		LegacyParse: connmarkParse,
		Final: func(info []byte, ctx *ParseContext) error {
			if ctx.given()&connmarkOps == 0 {
				return badSpec("CONNMARK", "CONNMARK target: No operation specified")
			}
			if err := tbExclusive(ctx, "CONNMARK", connmarkOps, connmarkOptNames); err != nil {
				return err
			}
			if err := tbExclusive(ctx, "CONNMARK", 1<<connmarkOptMask|1<<connmarkOptCtmask, connmarkOptNames); err != nil {
				return err
			}
			if err := tbExclusive(ctx, "CONNMARK", 1<<connmarkOptMask|1<<connmarkOptNfmask, connmarkOptNames); err != nil {
				return err
			}
			if info[13] > 31 {
				return badSpec(strconv.Itoa(int(info[13])), "CONNMARK: shifting by %d bits is refused by the kernel (at most 31)", info[13])
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			mode := info[14]
			switch mode {
			case 0:
				w.Opt(false, "set-xmark", tbMarkPair(le32(info[0:]), le32(info[4:])))
			case 1, 2:
				name := "save-mark"
				if mode == 2 {
					name = "restore-mark"
				}
				w.Opt(false, name)
				w.Opt(false, "nfmask", hex0x(le32(info[8:])))
				w.Opt(false, "ctmask", hex0x(le32(info[4:])))
			default:
				w.WriteString(" ERROR: UNKNOWN CONNMARK MODE")
			}
			if mode <= 2 && info[13] != 0 {
				name := "left-shift-mark"
				if info[12] != 0 {
					name = "right-shift-mark"
				}
				w.Opt(false, name, strconv.Itoa(int(info[13])))
			}
		},
	})
}

func connmarkParse(info []byte, opt *Option, args []string, _ bool, ctx *ParseContext) error {
	if err := tbOnce(ctx, "CONNMARK", opt.Name, opt.ID); err != nil {
		return err
	}
	u32 := func() (uint32, error) {
		v, err := uintOpt("CONNMARK", opt.Name, args[0], 0, math.MaxUint32)
		return uint32(v), err
	}
	setOp := func(mark, mask uint32) {
		info[14] = 0
		putLe32(info[0:], mark)
		putLe32(info[4:], mask)
	}
	switch opt.ID {
	case connmarkOptSetXmark, connmarkOptSetMark:
		v, m, err := parseValMask("CONNMARK", opt.Name, args[0], nil)
		if err != nil {
			return err
		}
		if opt.ID == connmarkOptSetMark {
			m |= v
		}
		setOp(v, m)
	case connmarkOptAndMark, connmarkOptOrMark, connmarkOptXorMark:
		v, err := u32()
		if err != nil {
			return err
		}
		switch opt.ID {
		case connmarkOptAndMark:
			setOp(0, ^v)
		case connmarkOptOrMark:
			setOp(v, v)
		default:
			setOp(v, 0)
		}
	case connmarkOptSaveMark:
		info[14] = 1
	case connmarkOptRestoreMark:
		info[14] = 2
	case connmarkOptCtmask, connmarkOptNfmask, connmarkOptMask:
		v, err := u32()
		if err != nil {
			return err
		}
		if opt.ID != connmarkOptNfmask {
			putLe32(info[4:], v)
		}
		if opt.ID != connmarkOptCtmask {
			putLe32(info[8:], v)
		}
	case connmarkOptLeftShift, connmarkOptRightShift:
		v, err := uintOpt("CONNMARK", opt.Name, args[0], 0, 32)
		if err != nil {
			return err
		}
		info[12] = 0
		if opt.ID == connmarkOptRightShift {
			info[12] = 1
		}
		info[13] = byte(v)
	}
	return nil
}
