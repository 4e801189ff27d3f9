package compat

// helper: -m helper --helper NAME (struct xt_helper_info, 34 bytes → 40):
// int invert @0 (host order), char name[30] @4. The name is cut to 29
// bytes, as XTOPT_PUT does.

func init() {
	Register(&Extension{
		Name: "helper", Revision: 0, Size: 34,
		Options: []Option{{Name: "helper", Args: 1, Invert: true, Mandatory: true}},
		LegacyParse: func(info []byte, _ *Option, args []string, invert bool, _ *ParseContext) error {
			putCString(info[4:34], args[0])
			if invert {
				putLe32(info[0:], 1)
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			w.Opt(le32(info[0:]) != 0, "helper")
			w.Quoted(cString(info[4:34]))
		},
	})
}
