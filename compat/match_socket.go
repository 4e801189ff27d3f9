package compat

// socket: -m socket, revision 3 (struct xt_socket_mtinfo3, 1 byte → 8):
// u8 flags @0 (TRANSPARENT=1, NOWILDCARD=2, RESTORESKMARK=4). The kernel
// allows it only in PREROUTING and INPUT (and user chains reached from
// there).

func init() {
	Register(&Extension{
		Name: "socket", Revision: 3, Size: 1,
		Options: []Option{
			{Name: "transparent", ID: 1},
			{Name: "nowildcard", ID: 2},
			{Name: "restore-skmark", ID: 4},
		},
		LegacyParse: func(info []byte, opt *Option, _ []string, _ bool, _ *ParseContext) error {
			info[0] |= byte(opt.ID)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if info[0]&1 != 0 {
				w.Opt(false, "transparent")
			}
			if info[0]&2 != 0 {
				w.Opt(false, "nowildcard")
			}
			if info[0]&4 != 0 {
				w.Opt(false, "restore-skmark")
			}
		},
	})
}
