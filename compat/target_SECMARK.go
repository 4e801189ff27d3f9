package compat

// SECMARK: -j SECMARK --selctx CONTEXT, revision 1 (struct
// xt_secmark_target_info_v1, 264 bytes): u8 mode (1, SELinux), char
// secctx[256] (cut to 255 bytes), u32 secid (the kernel's, 0 here). The
// kernel allows it only in the mangle and security tables, and without
// an LSM to map the context it answers "No such file or directory":
// iptables-nft leaves both to it, and so does this (exit status 4). -S
// prints "--selctx CONTEXT", -L "SECMARK selctx CONTEXT".

type secmarkInfo struct {
	mode   uint8
	secctx [256]byte
}

func (s *secmarkInfo) unmarshal(b []byte) {
	s.mode = b[0]
	copy(s.secctx[:], b[1:257])
}

func (s *secmarkInfo) marshal(b []byte) {
	b[0] = s.mode
	copy(b[1:257], s.secctx[:])
}

// secmarkModeSEL is SECMARK_MODE_SEL.
const secmarkModeSEL = 1

func init() {
	Register(&Extension{
		Name: "SECMARK", Target: true, Revision: 1, Size: 264,
		Options: []Option{
			{Name: "selctx", ID: 0, Type: TypeString, Flags: Mandatory},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var s secmarkInfo
			s.unmarshal(info)
			putCString(s.secctx[:], c.Arg())
			s.mode = secmarkModeSEL
			s.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var s secmarkInfo
			s.unmarshal(info)
			w.WriteString(" --")
			s.print(w)
		},
		Print: func(info []byte, w *Writer) {
			var s secmarkInfo
			s.unmarshal(info)
			w.WriteString(" SECMARK ")
			s.print(w)
		},
	})
}

// print writes "selctx CONTEXT" (iptables stops with an error on any
// other mode; its printing ends there).
func (s *secmarkInfo) print(w *Writer) {
	if s.mode == secmarkModeSEL {
		w.WriteString("selctx " + cString(s.secctx[:]))
	}
}
