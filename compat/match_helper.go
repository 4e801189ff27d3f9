package compat

// helper: -m helper --helper NAME (struct xt_helper_info, 34 bytes → 40):
// int invert, char name[30]. The name is cut to 29 bytes, as XTOPT_PUT
// does.

type helperInfo struct {
	invert uint32
	name   string
}

func (h *helperInfo) unmarshal(b []byte) {
	h.invert, h.name = hostOrder.Uint32(b[0:]), cString(b[4:34])
}

func (h *helperInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], h.invert)
	putCString(b[4:34], h.name)
}

func init() {
	Register(&Extension{
		Name: "helper", Revision: 0, Size: 34,
		Options: []Option{{Name: "helper", Type: TypeString, Flags: Invert | Mandatory}},
		Parse: func(info []byte, c *OptionCall) error {
			h := helperInfo{invert: oneIf[uint32](c.Invert), name: c.Arg()}
			h.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var h helperInfo
			h.unmarshal(info)
			w.WriteString(" helper match ")
			if h.invert != 0 {
				w.WriteString("! ")
			}
			w.WriteString("\"" + h.name + "\"")
		},
		Save: func(info []byte, w *Writer) {
			var h helperInfo
			h.unmarshal(info)
			w.Opt(h.invert != 0, "helper")
			w.Quoted(h.name)
		},
	})
}
