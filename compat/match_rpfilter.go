package compat

// rpfilter: -m rpfilter [--loose] [--validmark] [--accept-local]
// [--invert], revision 0 (struct xt_rpfilter_info, 1 byte): u8 flags
// (LOOSE 1, VALID_MARK 2, ACCEPT_LOCAL 4, INVERT 8). The kernel takes it
// in the raw and mangle PREROUTING chains only and refuses it elsewhere
// (EINVAL, exit status 4), as iptables-nft relays. -S and -L print the
// flags in that order.

// rpfilterFlags are the options' flags, by ID, and their names.
var rpfilterFlags = [...]struct {
	bit  uint8
	name string
}{{1, "loose"}, {2, "validmark"}, {4, "accept-local"}, {8, "invert"}}

func init() {
	var opts []Option
	for id, f := range rpfilterFlags {
		opts = append(opts, Option{Name: f.name, ID: id})
	}
	Register(&Extension{
		Name: "rpfilter", Revision: 0, Size: 1,
		Options: opts,
		Parse: func(info []byte, c *OptionCall) error {
			info[0] |= rpfilterFlags[c.Option.ID].bit
			return nil
		},
		Save: func(info []byte, w *Writer) { rpfilterFlagsOut(info[0], "--", w) },
		Print: func(info []byte, w *Writer) {
			w.WriteString(" rpfilter")
			rpfilterFlagsOut(info[0], "", w)
		},
	})
}

func rpfilterFlagsOut(flags uint8, prefix string, w *Writer) {
	for _, f := range rpfilterFlags {
		if flags&f.bit != 0 {
			w.WriteString(" " + prefix + f.name)
		}
	}
}
