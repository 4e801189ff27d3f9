package compat

// socket: -m socket, revision 3 (struct xt_socket_mtinfo3, 1 byte → 8):
// u8 flags (TRANSPARENT 1, NOWILDCARD 2, RESTORESKMARK 4), one per option
// in the order they are declared. The kernel allows it only in PREROUTING
// and INPUT (and user chains reached from there).

var socketOptions = []Option{{Name: "transparent", ID: 0}, {Name: "nowildcard", ID: 1}, {Name: "restore-skmark", ID: 2}}

func init() {
	Register(&Extension{
		Name: "socket", Revision: 3, Size: 1,
		Options: socketOptions,
		Parse: func(info []byte, c *OptionCall) error {
			info[0] |= 1 << c.Option.ID
			return nil
		},
		Save: func(info []byte, w *Writer) {
			for _, o := range socketOptions {
				if info[0]&(1<<o.ID) != 0 {
					w.Opt(false, o.Name)
				}
			}
		},
	})
}
