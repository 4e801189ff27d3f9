package compat

import "strings"

// nfacct: -m nfacct --nfacct-name NAME, revision 1 (struct
// xt_nfacct_match_info_v1, 40 bytes): char name[32] (cut to 31 bytes), a
// kernel pointer (0). The accounting object must exist in the rule's
// namespace (nfacct add NAME): the kernel refuses the rule otherwise
// (ENOENT), as iptables-nft relays. -S and -L print the name quoted as
// iptables-save quotes, after two spaces (libxt_nfacct prints one
// before xtables_save_string prints its own).

func init() {
	Register(&Extension{
		Name: "nfacct", Revision: 1, Size: 40,
		Options: []Option{{Name: "nfacct-name", Type: TypeString, Min: 1, Flags: Mandatory}},
		Parse: func(info []byte, c *OptionCall) error {
			putCString(info[:32], c.Arg())
			if strings.Contains(c.Arg(), "\n") {
				return badSpec(c.Arg(), "Newlines not allowed in --nfacct-name")
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			w.WriteString(" --nfacct-name ")
			w.Quoted(cString(info[:32]))
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" nfacct-name ")
			w.Quoted(cString(info[:32]))
		},
	})
}
