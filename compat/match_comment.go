package compat

// comment: -m comment --comment TEXT (struct xt_comment_info): char
// comment[256]. Longer text is cut to 255 bytes, as iptables does.

const commentSize = 256

func init() {
	Register(&Extension{
		Name: "comment", Revision: 0, Size: commentSize,
		Options: []Option{{Name: "comment", Args: 1, Mandatory: true}},
		LegacyParse: func(info []byte, _ *Option, args []string, _ bool, _ *ParseContext) error {
			putCString(info[:commentSize], args[0])
			return nil
		},
		Save: func(info []byte, w *Writer) {
			w.Opt(false, "comment")
			w.Quoted(cString(info[:commentSize]))
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" /* " + cString(info[:commentSize]) + " */")
		},
	})
}

// putCString copies s into a fixed-size C string field, cutting it to
// len(field)-1 bytes so the terminating NUL fits (xtables' XTOPT_PUT).
func putCString(field []byte, s string) {
	clear(field)
	if len(s) > len(field)-1 {
		s = s[:len(field)-1]
	}
	copy(field, s)
}
