package compat

// NOTRACK: -j NOTRACK is sent as CT revision 2 (struct
// xt_ct_target_info_v1, 72 bytes, see target_ct.go) with flags
// NOTRACK|NOTRACK_ALIAS (3) and nothing else; the alias bit is what makes
// -S print -j NOTRACK. It takes no options. The kernel allows it only in
// the raw table.

func init() {
	Register(&Extension{
		Name: "NOTRACK", KernelName: "CT", Target: true, Revision: 2, Size: ctSize,
		Init: func(info []byte, _ *ParseContext) {
			t := ctInfo{flags: ctFlagNotrack | ctFlagNotrackAlias}
			t.marshal(info)
		},
		Print:  ctPrint,
		Save:   func([]byte, *Writer) {},
		Claims: ctClaims(true),
		Tables: []string{"raw"},
	})
}
