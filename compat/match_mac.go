package compat

import (
	"slices"
	"strings"
)

// mac: -m mac [!] --mac-source XX:XX:XX:XX:XX:XX (struct xt_mac_info, 12
// bytes, 16 sent): u8 srcaddr[6], 2 bytes padding, int invert. Each of
// the six parts is at most two characters read as strtoul base 16 does
// (an empty part is 0). -S prints lowercase two-digit hex. The kernel
// allows it only in PREROUTING, INPUT and FORWARD.

type macInfo struct {
	srcaddr [6]byte
	invert  uint32
}

func (m *macInfo) unmarshal(b []byte) {
	copy(m.srcaddr[:], b[0:6])
	m.invert = hostOrder.Uint32(b[8:])
}

func (m *macInfo) marshal(b []byte) {
	copy(b[0:6], m.srcaddr[:])
	hostOrder.PutUint32(b[8:], m.invert)
}

func init() {
	Register(&Extension{
		Name: "mac", Revision: 0, Size: 12,
		Options: []Option{{Name: "mac-source", Type: TypeString, Flags: Invert | Mandatory}},
		Parse: func(info []byte, c *OptionCall) error {
			mac, ok := macParse(c.Arg())
			if !ok {
				return badSpec(c.Arg(), "Invalid MAC address specified.")
			}
			m := macInfo{srcaddr: mac, invert: oneIf[uint32](c.Invert)}
			m.marshal(info)
			return nil
		},
		Final: func(_ []byte, ctx *ParseContext) error {
			return kernelMatchHooks(ctx, "mac", []string{"PREROUTING", "INPUT", "FORWARD"})
		},
		Print: func(info []byte, w *Writer) {
			var m macInfo
			m.unmarshal(info)
			w.WriteString(" MAC ")
			if m.invert != 0 {
				w.WriteString("! ")
			}
			w.WriteString(macFormat(m.srcaddr[:]))
		},
		Save: func(info []byte, w *Writer) {
			var m macInfo
			m.unmarshal(info)
			w.Opt(m.invert != 0, "mac-source", macFormat(m.srcaddr[:]))
		},
	})
}

// macParse is xtopt_parse_ethermac.
func macParse(s string) ([6]byte, bool) {
	var mac [6]byte
	parts := strings.Split(s, ":")
	if len(parts) < 6 {
		return mac, false
	}
	// Parts past the sixth make the last one end in ':', which fails.
	if len(parts) > 6 {
		return mac, false
	}
	for i, p := range parts {
		v, n, _ := strtoul(p, 16)
		if n != len(p) || n > 2 {
			return mac, false
		}
		mac[i] = byte(v)
	}
	return mac, true
}

func macFormat(b []byte) string {
	const hex = "0123456789abcdef"
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteByte(hex[c>>4])
		sb.WriteByte(hex[c&0xf])
	}
	return sb.String()
}

// kernelMatchHooks refuses a match in a built-in chain whose hook the kernel
// does not allow it in (user chains are checked when jumped to).
func kernelMatchHooks(ctx *ParseContext, name string, hooks []string) error {
	if IsBuiltinChain(ctx.Table, ctx.Chain) && !slices.Contains(hooks, ctx.Chain) {
		return badSpec("-m "+name, "%s match: used from hook %s, only valid from %s", name, ctx.Chain, strings.Join(hooks, "/"))
	}
	return nil
}
