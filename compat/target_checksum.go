package compat

// CHECKSUM: -j CHECKSUM --checksum-fill, revision 0 (struct
// xt_CHECKSUM_info, 1 byte → 8): u8 operation @0 (FILL 1). --checksum-fill
// is mandatory. The kernel allows CHECKSUM only in the mangle table.

func init() {
	Register(&Extension{
		Name: "CHECKSUM", Target: true, Revision: 0, Size: 1,
		Options: []Option{{Name: "checksum-fill", Mandatory: true}},
		LegacyParse: func(info []byte, _ *Option, _ []string, _ bool, _ *ParseContext) error {
			info[0] = 1
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if info[0]&1 != 0 {
				w.Opt(false, "checksum-fill")
			}
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" CHECKSUM")
			if info[0]&1 != 0 {
				w.WriteString(" fill")
			}
		},
		Tables: []string{"mangle"},
	})
}
