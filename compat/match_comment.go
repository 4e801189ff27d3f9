package compat

// comment: -m comment --comment TEXT (struct xt_comment_info): char
// comment[256]. Longer text is cut to 255 bytes, as iptables does.

const commentSize = 256

func init() {
	Register(&Extension{
		Name: "comment", Revision: 0, Size: commentSize,
		Options: []Option{{Name: "comment", Type: TypeString, Flags: Mandatory}},
		Parse: func(info []byte, c *OptionCall) error {
			putCString(info[:commentSize], c.Arg())
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
