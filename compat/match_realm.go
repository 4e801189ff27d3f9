package compat

// realm: -m realm [!] --realm VALUE[/MASK] (IPv4 only; struct
// xt_realm_info, 9 bytes): u32 id @0, u32 mask @4 (host order), u8 invert
// @8. Names come from /etc/iproute2/rt_realms, as iptables reads them; -S
// prints the name of an unmasked id found there ("cosmos" for 0), else
// 0xID or 0xID/0xMASK. The kernel allows it only in INPUT, FORWARD,
// OUTPUT and POSTROUTING.

const realmFile = "/etc/iproute2/rt_realms"

func init() {
	Register(&Extension{
		Name: "realm", Family: IPv4, Revision: 0, Size: 9,
		Options: []Option{{Name: "realm", Args: 1, Invert: true, Mandatory: true}},
		LegacyParse: func(info []byte, _ *Option, args []string, invert bool, _ *ParseContext) error {
			v, m, err := parseValMask("realm", "realm", args[0], lmap(realmFile))
			if err != nil {
				return err
			}
			putLe32(info[0:], v)
			putLe32(info[4:], m)
			if invert {
				info[8] = 1
			}
			return nil
		},
		Final: func(_ []byte, ctx *ParseContext) error {
			return mcHookCheck(ctx, "realm", "realm match", []string{"INPUT", "FORWARD", "OUTPUT", "POSTROUTING"})
		},
		Save: func(info []byte, w *Writer) {
			if info[8] != 0 {
				w.WriteString(" !")
			}
			w.WriteString(" --realm" + formatValMask(le32(info[0:]), le32(info[4:]), lmap(realmFile)))
		},
		Print: func(info []byte, w *Writer) {
			if info[8] != 0 {
				w.WriteString(" !")
			}
			w.WriteString(" realm" + formatValMask(le32(info[0:]), le32(info[4:]), nil))
		},
	})
}
