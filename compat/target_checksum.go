package compat

// CHECKSUM: -j CHECKSUM --checksum-fill, revision 0 (struct
// xt_CHECKSUM_info, 1 byte → 8): u8 operation (FILL 1). --checksum-fill
// is mandatory. The kernel allows CHECKSUM only in the mangle table.

const checksumFill = 1

func init() {
	Register(&Extension{
		Name: "CHECKSUM", Target: true, Revision: 0, Size: 1,
		Options: []Option{{Name: "checksum-fill", Flags: Mandatory}},
		Parse: func(info []byte, _ *OptionCall) error {
			info[0] = checksumFill // operation
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if info[0]&checksumFill != 0 {
				w.Opt(false, "checksum-fill")
			}
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" CHECKSUM")
			if info[0]&checksumFill != 0 {
				w.WriteString(" fill")
			}
		},
		Tables: []string{"mangle"},
	})
}
