package compat

import (
	"strconv"
	"strings"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
)

// mark: -m mark --mark VALUE[/MASK] (struct xt_mark_mtinfo1, 12 bytes):
// u32 mark @0, u32 mask @4, u8 invert @8. Always native: meta mark, a
// bitwise when masked, cmp; values in host byte order.

func init() {
	Register(&Extension{
		Name: "mark", Revision: 1, Size: 12,
		Options: []Option{{Name: "mark", Type: TypeString, Flags: Invert | Mandatory}},
		Parse: func(info []byte, c *OptionCall) error {
			var err error
			if c.Val.Mark, c.Val.Mask, err = parseMarkMask(c.Arg()); err != nil {
				return err
			}
			return parseMarkMaskInfo(info, c)
		},
		Save: func(info []byte, w *Writer) {
			var m markMaskInfo
			m.unmarshal(info)
			w.Opt(m.invert != 0, "mark", formatMarkMask(m.mark, m.mask))
		},
		Print: func(info []byte, w *Writer) {
			var m markMaskInfo
			m.unmarshal(info)
			w.WriteString(" mark match")
			if m.invert != 0 {
				w.WriteString(" !")
			}
			w.WriteString(" " + formatMarkMask(m.mark, m.mask))
		},
		Native: func(info []byte, _ EncodeContext, b []byte) ([]byte, bool) {
			var m markMaskInfo
			m.unmarshal(info)
			b = expr.AppendMeta(b, nftexpr.MetaKeyMARK, 1)
			var mask, value [4]byte
			if m.mask != 0xffffffff {
				hostOrder.PutUint32(mask[:], m.mask)
				b = expr.AppendBitwise(b, 1, 1, 4, mask[:], []byte{0, 0, 0, 0})
			}
			hostOrder.PutUint32(value[:], m.mark)
			return expr.AppendCmp(b, cmpOp(m.invert != 0), 1, value[:]), true
		},
	})
	registerNative(markDecode)
}

// parseMarkMask parses "VALUE[/MASK]" (decimal, 0x hex or 0 octal); the
// mask defaults to 0xffffffff.
func parseMarkMask(s string) (v, m uint32, err error) {
	vs, ms, hasMask := strings.Cut(s, "/")
	vv, ok := parseUint(vs, 0, 0xffffffff)
	if !ok {
		return 0, 0, badSpec(s, "mark: bad integer value for option \"--mark\", or out of range")
	}
	m = 0xffffffff
	if hasMask {
		mv, ok := parseUint(ms, 0, 0xffffffff)
		if !ok {
			return 0, 0, badSpec(s, "mark: bad integer value for option \"--mark\", or out of range")
		}
		m = uint32(mv)
	}
	return uint32(vv), m, nil
}

// formatMarkMask prints 0xV or 0xV/0xM (mask omitted when all ones).
func formatMarkMask(v, m uint32) string {
	if m == 0xffffffff {
		return "0x" + strconv.FormatUint(uint64(v), 16)
	}
	return "0x" + strconv.FormatUint(uint64(v), 16) + "/0x" + strconv.FormatUint(uint64(m), 16)
}

func markDecode(d *decoder) (bool, error) {
	meta, ok := d.peek(0).(*nftexpr.Meta)
	if !ok || meta.Key != nftexpr.MetaKeyMARK || meta.SourceRegister || meta.Register != 1 {
		return false, nil
	}
	mask := uint32(0xffffffff)
	n := 1
	if b, ok := d.peek(1).(*nftexpr.Bitwise); ok {
		if b.Len != 4 || len(b.Mask) != 4 || !allZeroBytes(b.Xor) || b.SourceRegister != 1 || b.DestRegister != 1 {
			return false, nil
		}
		mask = hostOrder.Uint32(b.Mask)
		n = 2
	}
	c, ok := d.cmpAt(n)
	if !ok || len(c.Data) != 4 || (c.Op != nftexpr.CmpOpEq && c.Op != nftexpr.CmpOpNeq) {
		return false, nil
	}
	ext := lookup(matches, "mark", d.spec.Family)
	in := d.newInstance(ext, XTAlign(ext.Size))
	m := markMaskInfo{mark: hostOrder.Uint32(c.Data), mask: mask, invert: oneIf[uint8](c.Op == nftexpr.CmpOpNeq)}
	m.marshal(in.Info)
	d.spec.Matches = append(d.spec.Matches, in)
	d.pos += n + 1
	return true, nil
}
