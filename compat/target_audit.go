package compat

import "strings"

// AUDIT: -j AUDIT --type accept|drop|reject (case-insensitive), revision 0
// (struct xt_audit_info, 1 byte → 8): u8 type @0 (ACCEPT 0, DROP 1,
// REJECT 2). Allowed in every table and chain.

var auditTypes = []string{"accept", "drop", "reject"}

func init() {
	Register(&Extension{
		Name: "AUDIT", Target: true, Revision: 0, Size: 1,
		Options: []Option{{Name: "type", Args: 1, Mandatory: true}},
		LegacyParse: func(info []byte, _ *Option, args []string, _ bool, _ *ParseContext) error {
			for i, t := range auditTypes {
				if strings.EqualFold(args[0], t) {
					info[0] = byte(i)
					return nil
				}
			}
			return badSpec(args[0], "Bad action type value \"%s\"", args[0])
		},
		Save: func(info []byte, w *Writer) {
			if int(info[0]) < len(auditTypes) {
				w.Opt(false, "type", auditTypes[info[0]])
			}
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" AUDIT ")
			if int(info[0]) < len(auditTypes) {
				w.WriteString(auditTypes[info[0]])
			}
		},
	})
}
