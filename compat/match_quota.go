package compat

import "strconv"

// quota: -m quota [!] --quota BYTES (struct xt_quota_info, 24 bytes):
// u32 flags @0 (XT_QUOTA_INVERT 1), u32 pad @4, u64 quota @8 (host order),
// kernel pointer @16 (sent as zero).

const quotaInvert = 0x1

func init() {
	Register(&Extension{
		Name: "quota", Revision: 0, Size: 24,
		Options: []Option{{Name: "quota", Args: 1, Invert: true, Mandatory: true}},
		LegacyParse: func(info []byte, _ *Option, args []string, invert bool, _ *ParseContext) error {
			v, ok := xtParseUint(args[0], 0, 1<<64-1)
			if !ok {
				return badSpec(args[0], "quota: bad value for option \"--quota\", or out of range (0-18446744073709551615).")
			}
			putLe64(info[8:], v)
			if invert {
				putLe32(info[0:], le32(info[0:])|quotaInvert)
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			w.Opt(le32(info[0:])&quotaInvert != 0, "quota", strconv.FormatUint(le64(info[8:]), 10))
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" quota: " + strconv.FormatUint(le64(info[8:]), 10) + " bytes")
		},
	})
}
