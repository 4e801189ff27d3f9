package compat

import "strings"

// AUDIT: -j AUDIT --type accept|drop|reject (case-insensitive), revision 0
// (struct xt_audit_info, 1 byte → 8): u8 type (ACCEPT 0, DROP 1, REJECT
// 2). Allowed in every table and chain.

var auditTypes = []string{"accept", "drop", "reject"}

func init() {
	Register(&Extension{
		Name: "AUDIT", Target: true, Revision: 0, Size: 1,
		Options: []Option{{Name: "type", Type: TypeString, Flags: Mandatory}},
		Parse: func(info []byte, c *OptionCall) error {
			for i, t := range auditTypes {
				if strings.EqualFold(c.Arg(), t) {
					info[0] = byte(i) // type
					return nil
				}
			}
			return badSpec(c.Arg(), "Bad action type value \"%s\"", c.Arg())
		},
		Save: func(info []byte, w *Writer) {
			if typ := info[0]; int(typ) < len(auditTypes) {
				w.Opt(false, "type", auditTypes[typ])
			}
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" AUDIT ")
			if typ := info[0]; int(typ) < len(auditTypes) {
				w.WriteString(auditTypes[typ])
			}
		},
	})
}
