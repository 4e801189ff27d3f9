package compat

import "strings"

// state: -m state [!] --state LIST, sent as conntrack revision 3 (struct
// xt_conntrack_mtinfo3, conntrackInfo in match_conntrack.go) with
// match_flags = XT_CONNTRACK_STATE | XT_CONNTRACK_STATE_ALIAS (0x2001),
// invert_flags bit 0 for "!", and the state_mask. States
// are INVALID, NEW, ESTABLISHED, RELATED and UNTRACKED (no SNAT/DNAT),
// case-insensitive prefixes. Reading back, the alias bit tells state from
// conntrack; -S prints what conntrack_dump prints ("--state" then the
// states in INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED order).

var stateStates = []nameBit{
	{"INVALID", 1 << 0}, {"NEW", 1 << 3}, {"ESTABLISHED", 1 << 1}, {"RELATED", 1 << 2}, {"UNTRACKED", 1 << 8},
}

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "state", KernelName: "conntrack", Family: fam, Revision: 3, Size: ctmSize,
			Options: []Option{{Name: "state", Type: TypeString, Flags: Invert | Mandatory}},
			Parse: func(info []byte, c *OptionCall) error {
				a := c.Arg()
				if strings.HasSuffix(a, ",") || a == "" {
					return badSpec(a, "\"--state\" requires a list of states with no spaces, e.g. ESTABLISHED,RELATED")
				}
				m, err := parsePrefixList(a, stateStates, "Bad state \"%s\"")
				if err != nil {
					return err
				}
				var t conntrackInfo
				t.unmarshal(info)
				t.matchFlags, t.stateMask = ctmFlagState|ctmFlagAlias, m
				if c.Invert {
					t.invertFlags |= ctmFlagState
				}
				t.marshal(info)
				return nil
			},
			Save:   func(info []byte, w *Writer) { conntrackDump(fam, info, w, "--") },
			Print:  func(info []byte, w *Writer) { conntrackDump(fam, info, w, "") },
			Claims: conntrackClaims(true),
		})
	}
}
