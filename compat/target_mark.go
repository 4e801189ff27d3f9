package compat

import "strconv"

// MARK: -j MARK, revision 2 (struct xt_mark_tginfo2, 8 bytes): u32 mark,
// u32 mask. The kernel sets nfmark = (nfmark & ~mask) ^ mark. Every option
// is a spelling of that pair (--set-mark v/m is v, v|m; --and-mark b is 0,
// ~b; --or-mark b is b, b; --xor-mark b is b, 0), so -S always prints
// --set-xmark 0xV/0xM. Allowed in every table and chain.

// xmarkInfo is struct xt_mark_tginfo2: the value and mask of an "xmark".
type xmarkInfo struct{ mark, mask uint32 }

func (m *xmarkInfo) unmarshal(b []byte) {
	m.mark, m.mask = hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:])
}

func (m *xmarkInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], m.mark)
	hostOrder.PutUint32(b[4:], m.mask)
}

// The option IDs of MARK, and the operations of CONNMARK's options of
// the same names.
const (
	markOptSetXmark = iota
	markOptSetMark
	markOptAndMark
	markOptOrMark
	markOptXorMark
)

// xmarkOf turns a MARK or CONNMARK --set-xmark, --set-mark, --and-mark,
// --or-mark or --xor-mark into the value and mask it sets.
func xmarkOf(op int, v Value) xmarkInfo {
	switch op {
	case markOptSetXmark:
		return xmarkInfo{v.Mark, v.Mask}
	case markOptSetMark:
		return xmarkInfo{v.Mark, v.Mark | v.Mask}
	case markOptAndMark:
		return xmarkInfo{0, ^uint32(v.Uint)}
	case markOptOrMark:
		return xmarkInfo{uint32(v.Uint), uint32(v.Uint)}
	}
	return xmarkInfo{uint32(v.Uint), 0}
}

func init() {
	const all = 0x1f
	Register(&Extension{
		Name: "MARK", Target: true, Revision: 2, Size: 8,
		Options: []Option{
			{Name: "set-xmark", ID: markOptSetXmark, Type: TypeMarkMask, Excl: all},
			{Name: "set-mark", ID: markOptSetMark, Type: TypeMarkMask, Excl: all},
			{Name: "and-mark", ID: markOptAndMark, Type: TypeUint32, Excl: all},
			{Name: "or-mark", ID: markOptOrMark, Type: TypeUint32, Excl: all},
			{Name: "xor-mark", ID: markOptXorMark, Type: TypeUint32, Excl: all},
		},
		OneOf: &OneOf{IDs: all, Token: "MARK", Msg: "MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required"},
		Parse: func(info []byte, c *OptionCall) error {
			m := xmarkOf(c.Option.ID, c.Val)
			m.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var m xmarkInfo
			m.unmarshal(info)
			hex := func(v uint32) string { return "0x" + strconv.FormatUint(uint64(v), 16) }
			switch {
			case m.mark == 0:
				w.WriteString(" MARK and " + hex(^m.mask))
			case m.mark == m.mask:
				w.WriteString(" MARK or " + hex(m.mark))
			case m.mask == 0:
				w.WriteString(" MARK xor " + hex(m.mark))
			case m.mask == 0xffffffff:
				w.WriteString(" MARK set " + hex(m.mark))
			default:
				w.WriteString(" MARK xset " + hex(m.mark) + "/" + hex(m.mask))
			}
		},
		Save: func(info []byte, w *Writer) {
			var m xmarkInfo
			m.unmarshal(info)
			w.Opt(false, "set-xmark", hexPair(m.mark, m.mask))
		},
	})
}
