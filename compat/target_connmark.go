package compat

import (
	"math"
	"strconv"
)

// CONNMARK: -j CONNMARK, revision 2 (struct xt_connmark_tginfo2, 15 bytes,
// 16 sent): u32 ctmark, u32 ctmask, u32 nfmask, u8 shift_dir (0 left, 1
// right), u8 shift_bits, u8 mode (0 set, 1 save, 2 restore). ctmask and
// nfmask start as 0xffffffff. The set spellings map as for MARK, onto
// ctmark/ctmask; -S prints --set-xmark 0xV/0xM, or --save-mark /
// --restore-mark always followed by "--nfmask 0xN --ctmask 0xC", then
// --left-shift-mark / --right-shift-mark N when the shift is not zero.
// iptables takes shifts of 0-32; the kernel refuses 32.

type connmarkTargetInfo struct {
	ctmark, ctmask, nfmask    uint32
	shiftDir, shiftBits, mode uint8
}

func (t *connmarkTargetInfo) unmarshal(b []byte) {
	t.ctmark, t.ctmask, t.nfmask = hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:]), hostOrder.Uint32(b[8:])
	t.shiftDir, t.shiftBits, t.mode = b[12], b[13], b[14]
}

func (t *connmarkTargetInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], t.ctmark)
	hostOrder.PutUint32(b[4:], t.ctmask)
	hostOrder.PutUint32(b[8:], t.nfmask)
	b[12], b[13], b[14] = t.shiftDir, t.shiftBits, t.mode
}

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

// connmarkOps are the options that choose the operation: one, and only
// one, is required.
const connmarkOps = 1<<connmarkOptSetMark | 1<<connmarkOptSaveMark | 1<<connmarkOptRestoreMark |
	1<<connmarkOptAndMark | 1<<connmarkOptOrMark | 1<<connmarkOptXorMark | 1<<connmarkOptSetXmark

// connmarkSetOps are the operations that set the ctmark, as MARK's
// options of the same names do.
var connmarkSetOps = map[int]int{
	connmarkOptSetXmark: markOptSetXmark, connmarkOptSetMark: markOptSetMark, connmarkOptAndMark: markOptAndMark,
	connmarkOptOrMark: markOptOrMark, connmarkOptXorMark: markOptXorMark,
}

func init() {
	op := func(name string, id int, t OptionType) Option {
		return Option{Name: name, ID: id, Type: t, Excl: connmarkOps}
	}
	Register(&Extension{
		Name: "CONNMARK", Target: true, Revision: 2, Size: 15,
		Options: []Option{
			op("set-xmark", connmarkOptSetXmark, TypeMarkMask),
			op("set-mark", connmarkOptSetMark, TypeMarkMask),
			op("and-mark", connmarkOptAndMark, TypeUint32),
			op("or-mark", connmarkOptOrMark, TypeUint32),
			op("xor-mark", connmarkOptXorMark, TypeUint32),
			op("save-mark", connmarkOptSaveMark, TypeNone),
			op("restore-mark", connmarkOptRestoreMark, TypeNone),
			{Name: "left-shift-mark", ID: connmarkOptLeftShift, Type: TypeUint8, Max: 32},
			{Name: "right-shift-mark", ID: connmarkOptRightShift, Type: TypeUint8, Max: 32},
			{Name: "ctmask", ID: connmarkOptCtmask, Type: TypeUint32, Excl: 1 << connmarkOptMask},
			{Name: "nfmask", ID: connmarkOptNfmask, Type: TypeUint32, Excl: 1 << connmarkOptMask},
			{Name: "mask", ID: connmarkOptMask, Type: TypeUint32, Excl: 1<<connmarkOptCtmask | 1<<connmarkOptNfmask},
		},
		OneOf: &OneOf{IDs: connmarkOps, Token: "CONNMARK", Msg: "CONNMARK target: No operation specified"},
		Init: func(info []byte, _ *ParseContext) {
			t := connmarkTargetInfo{ctmask: math.MaxUint32, nfmask: math.MaxUint32}
			t.marshal(info)
		},
		Parse: connmarkParse,
		Final: func(info []byte, _ *ParseContext) error {
			var t connmarkTargetInfo
			t.unmarshal(info)
			if t.shiftBits > 31 {
				return badSpec(strconv.Itoa(int(t.shiftBits)), "CONNMARK: shifting by %d bits is refused by the kernel (at most 31)", t.shiftBits)
			}
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var t connmarkTargetInfo
			t.unmarshal(info)
			switch t.mode {
			case 0:
				switch {
				case t.ctmark == 0:
					w.WriteString(" CONNMARK and " + hex0x(^t.ctmask))
				case t.ctmark == t.ctmask:
					w.WriteString(" CONNMARK or " + hex0x(t.ctmark))
				case t.ctmask == 0:
					w.WriteString(" CONNMARK xor " + hex0x(t.ctmark))
				case t.ctmask == math.MaxUint32:
					w.WriteString(" CONNMARK set " + hex0x(t.ctmark))
				default:
					w.WriteString(" CONNMARK xset " + hexPair(t.ctmark, t.ctmask))
				}
			case 1:
				switch {
				case t.nfmask == math.MaxUint32 && t.ctmask == math.MaxUint32:
					w.WriteString(" CONNMARK save")
				case t.nfmask == t.ctmask:
					w.WriteString(" CONNMARK save mask " + hex0x(t.nfmask))
				default:
					w.WriteString(" CONNMARK save nfmask " + hex0x(t.nfmask) + " ctmask ~" + hex0x(t.ctmask))
				}
			case 2:
				switch {
				case t.ctmask == math.MaxUint32 && t.nfmask == math.MaxUint32:
					w.WriteString(" CONNMARK restore")
				case t.ctmask == t.nfmask:
					w.WriteString(" CONNMARK restore mask " + hex0x(t.ctmask))
				default:
					w.WriteString(" CONNMARK restore ctmask " + hex0x(t.ctmask) + " nfmask ~" + hex0x(t.nfmask))
				}
			default:
				w.WriteString(" ERROR: UNKNOWN CONNMARK MODE")
			}
			if t.mode <= 2 && t.shiftBits != 0 {
				// xt_connmark_shift_ops[shift_dir]: the direction is 0 or 1
				// as iptables writes it.
				op := "left-shift-mark"
				if t.shiftDir != 0 {
					op = "right-shift-mark"
				}
				w.WriteString(" " + op + " " + utoa(t.shiftBits))
			}
		},
		Save: func(info []byte, w *Writer) {
			var t connmarkTargetInfo
			t.unmarshal(info)
			switch t.mode {
			case 0:
				w.Opt(false, "set-xmark", hexPair(t.ctmark, t.ctmask))
			case 1, 2:
				name := "save-mark"
				if t.mode == 2 {
					name = "restore-mark"
				}
				w.Opt(false, name)
				w.Opt(false, "nfmask", hex0x(t.nfmask))
				w.Opt(false, "ctmask", hex0x(t.ctmask))
			default:
				w.WriteString(" ERROR: UNKNOWN CONNMARK MODE")
			}
			if t.mode <= 2 && t.shiftBits != 0 {
				name := "left-shift-mark"
				if t.shiftDir != 0 {
					name = "right-shift-mark"
				}
				w.Opt(false, name, strconv.Itoa(int(t.shiftBits)))
			}
		},
	})
}

func connmarkParse(info []byte, c *OptionCall) error {
	var t connmarkTargetInfo
	t.unmarshal(info)
	switch id := c.Option.ID; id {
	case connmarkOptSetXmark, connmarkOptSetMark, connmarkOptAndMark, connmarkOptOrMark, connmarkOptXorMark:
		m := xmarkOf(connmarkSetOps[id], c.Val)
		t.mode, t.ctmark, t.ctmask = 0, m.mark, m.mask
	case connmarkOptSaveMark:
		t.mode = 1
	case connmarkOptRestoreMark:
		t.mode = 2
	case connmarkOptCtmask, connmarkOptNfmask, connmarkOptMask:
		v := uint32(c.Val.Uint)
		if id != connmarkOptNfmask {
			t.ctmask = v
		}
		if id != connmarkOptCtmask {
			t.nfmask = v
		}
	case connmarkOptLeftShift, connmarkOptRightShift:
		t.shiftDir = oneIf[uint8](id == connmarkOptRightShift)
		t.shiftBits = uint8(c.Val.Uint)
	}
	t.marshal(info)
	return nil
}
