package compat

import "strings"

// mac: -m mac [!] --mac-source XX:XX:XX:XX:XX:XX (struct xt_mac_info, 12
// bytes, 16 sent): u8 srcaddr[6] @0, int invert @8 (host order). Each of
// the six parts is at most two characters read as strtoul base 16 does
// (an empty part is 0). -S prints lowercase two-digit hex. The kernel
// allows it only in PREROUTING, INPUT and FORWARD.

func init() {
	Register(&Extension{
		Name: "mac", Revision: 0, Size: 12,
		Options: []Option{{Name: "mac-source", Args: 1, Invert: true, Mandatory: true}},
		LegacyParse: func(info []byte, _ *Option, args []string, invert bool, _ *ParseContext) error {
			mac, ok := macParse(args[0])
			if !ok {
				return badSpec(args[0], "Invalid MAC address specified.")
			}
			copy(info[0:6], mac[:])
			if invert {
				putLe32(info[8:], 1)
			}
			return nil
		},
		Final: func(_ []byte, ctx *ParseContext) error {
			return maKernelHooks(ctx, "mac", []string{"PREROUTING", "INPUT", "FORWARD"})
		},
		Save: func(info []byte, w *Writer) {
			if len(info) < 12 {
				return
			}
			w.Opt(le32(info[8:]) != 0, "mac-source", macFormat(info[0:6]))
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
