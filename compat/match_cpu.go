package compat

import "strconv"

// cpu: -m cpu [!] --cpu N (struct xt_cpu_info, 8 bytes): u32 cpu @0,
// u32 invert @4 (host order).

func init() {
	Register(&Extension{
		Name: "cpu", Revision: 0, Size: 8,
		Options: []Option{{Name: "cpu", Args: 1, Invert: true, Mandatory: true}},
		LegacyParse: func(info []byte, _ *Option, args []string, invert bool, _ *ParseContext) error {
			v, ok := xtParseUint(args[0], 0, 1<<32-1)
			if !ok {
				return badSpec(args[0], "cpu: bad value for option \"--cpu\", or out of range (0-4294967295).")
			}
			putLe32(info[0:], uint32(v))
			if invert {
				putLe32(info[4:], 1)
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			w.Opt(le32(info[4:]) != 0, "cpu", strconv.FormatUint(uint64(le32(info[0:])), 10))
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" cpu " + map[bool]string{true: "! "}[le32(info[4:]) != 0] + strconv.FormatUint(uint64(le32(info[0:])), 10))
		},
	})
}
