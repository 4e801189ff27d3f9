package compat

import "strings"

// state: -m state [!] --state LIST, sent as conntrack revision 3 (struct
// xt_conntrack_mtinfo3, 164 bytes, 168 sent; layout in match_conntrack.go)
// with match_flags = XT_CONNTRACK_STATE | XT_CONNTRACK_STATE_ALIAS
// (0x2001) @146, invert_flags bit 0 @148 for "!", state_mask @150. States
// are INVALID, NEW, ESTABLISHED, RELATED and UNTRACKED (no SNAT/DNAT),
// case-insensitive prefixes. Reading back, the alias bit tells state from
// conntrack; -S prints what conntrack_dump prints ("--state" then the
// states in INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED order).

var stateStates = []struct {
	name string
	bit  uint16
}{
	{"INVALID", 1 << 0}, {"NEW", 1 << 3}, {"ESTABLISHED", 1 << 1}, {"RELATED", 1 << 2}, {"UNTRACKED", 1 << 8},
}

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "state", KernelName: "conntrack", Family: fam, Revision: 3, Size: ctmSize,
			Options: []Option{{Name: "state", Args: 1, Invert: true, Mandatory: true}},
			LegacyParse: func(info []byte, _ *Option, args []string, invert bool, _ *ParseContext) error {
				a := args[0]
				if strings.HasSuffix(a, ",") || a == "" {
					return badSpec(a, "\"--state\" requires a list of states with no spaces, e.g. ESTABLISHED,RELATED")
				}
				m, err := ctmParseList(a, "state", stateStates)
				if err != nil {
					return err
				}
				putLe16(info[ctmOffMatchFlags:], ctmFlagState|ctmFlagAlias)
				putLe16(info[ctmOffState:], m)
				if invert {
					putLe16(info[ctmOffInvFlags:], le16(info[ctmOffInvFlags:])|ctmFlagState)
				}
				return nil
			},
			Save:   func(info []byte, w *Writer) { ctmDump(fam, info, w, "--") },
			Print:  func(info []byte, w *Writer) { ctmDump(fam, info, w, "") },
			Claims: func(info []byte) bool { return len(info) >= ctmSize && le16(info[ctmOffMatchFlags:])&ctmFlagAlias != 0 },
		})
	}
}
