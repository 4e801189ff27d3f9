package compat

import "strings"

// conntrack: -m conntrack, revision 3 (struct xt_conntrack_mtinfo3, 164
// bytes, 168 sent). Offsets:
//
//	@0   union nf_inet_addr origsrc_addr, @16 origsrc_mask,
//	@32  origdst_addr, @48 origdst_mask, @64 replsrc_addr, @80 replsrc_mask,
//	@96  repldst_addr, @112 repldst_mask (16 bytes each, network order)
//	@128 u32 expires_min, @132 u32 expires_max
//	@136 u16 l4proto
//	@138 u16 origsrc_port, @140 origdst_port, @142 replsrc_port,
//	@144 repldst_port (revision 3: host order, not network order)
//	@146 u16 match_flags, @148 u16 invert_flags
//	@150 u16 state_mask, @152 u16 status_mask
//	@154 u16 origsrc_port_high, @156 origdst_port_high,
//	@158 replsrc_port_high, @160 repldst_port_high
//
// All u16/u32 in host order. Addresses are stored unmasked; without "/" the
// mask is 16 bytes of ones, even for IPv4, and a dotted mask that is not a
// prefix also becomes all ones (xtopt_parse_plenmask). --ctdir REPLY is
// the DIRECTION bit in both match_flags and invert_flags. -m state is the
// same structure with match_flags STATE|STATE_ALIAS (match_state.go); the
// alias bit is what makes -S print "-m state --state". States and statuses
// are matched as case-insensitive prefixes ("E" is ESTABLISHED).

const (
	ctmSize = 164

	ctmOffExpMin     = 128
	ctmOffExpMax     = 132
	ctmOffProto      = 136
	ctmOffPorts      = 138 // four u16 low ports
	ctmOffMatchFlags = 146
	ctmOffInvFlags   = 148
	ctmOffState      = 150
	ctmOffStatus     = 152
	ctmOffPortsHigh  = 154 // four u16 high ports

	ctmFlagState     = 1 << 0
	ctmFlagProto     = 1 << 1
	ctmFlagOrigSrc   = 1 << 2
	ctmFlagOrigDst   = 1 << 3
	ctmFlagReplSrc   = 1 << 4
	ctmFlagReplDst   = 1 << 5
	ctmFlagStatus    = 1 << 6
	ctmFlagExpires   = 1 << 7
	ctmFlagOrigSrcPt = 1 << 8
	ctmFlagDirection = 1 << 12
	ctmFlagAlias     = 1 << 13
)

const (
	ctmOptState = iota
	ctmOptProto
	ctmOptOrigSrc
	ctmOptOrigDst
	ctmOptReplSrc
	ctmOptReplDst
	ctmOptOrigSrcPort
	ctmOptOrigDstPort
	ctmOptReplSrcPort
	ctmOptReplDstPort
	ctmOptStatus
	ctmOptExpire
	ctmOptDir
)

// ctmStates are the --ctstate names in parse order; ctmStatePrint the print
// order.
var (
	ctmStates = []struct {
		name string
		bit  uint16
	}{
		{"INVALID", 1 << 0}, {"NEW", 1 << 3}, {"ESTABLISHED", 1 << 1}, {"RELATED", 1 << 2},
		{"UNTRACKED", 1 << 8}, {"SNAT", 1 << 6}, {"DNAT", 1 << 7},
	}
	ctmStatePrint = []struct {
		name string
		bit  uint16
	}{
		{"INVALID", 1 << 0}, {"NEW", 1 << 3}, {"RELATED", 1 << 2}, {"ESTABLISHED", 1 << 1},
		{"UNTRACKED", 1 << 8}, {"SNAT", 1 << 6}, {"DNAT", 1 << 7},
	}
	ctmStatuses = []struct {
		name string
		bit  uint16
	}{
		{"NONE", 0}, {"EXPECTED", 1 << 0}, {"SEEN_REPLY", 1 << 1}, {"ASSURED", 1 << 2}, {"CONFIRMED", 1 << 3},
	}
	ctmAddrOpts = []string{"ctorigsrc", "ctorigdst", "ctreplsrc", "ctrepldst"}
	ctmPortOpts = []string{"ctorigsrcport", "ctorigdstport", "ctreplsrcport", "ctrepldstport"}
)

func init() {
	opts := []Option{
		{Name: "ctstate", Args: 1, Invert: true, ID: ctmOptState},
		{Name: "ctproto", Args: 1, Invert: true, ID: ctmOptProto},
		{Name: "ctstatus", Args: 1, Invert: true, ID: ctmOptStatus},
		{Name: "ctexpire", Args: 1, Invert: true, ID: ctmOptExpire},
		{Name: "ctdir", Args: 1, ID: ctmOptDir},
	}
	for i, n := range ctmAddrOpts {
		opts = append(opts, Option{Name: n, Args: 1, Invert: true, ID: ctmOptOrigSrc + i})
	}
	for i, n := range ctmPortOpts {
		opts = append(opts, Option{Name: n, Args: 1, Invert: true, ID: ctmOptOrigSrcPort + i})
	}
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "conntrack", Family: fam, Revision: 3, Size: ctmSize,
			Options: opts,
			LegacyParse: func(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
				return ctmParse(fam, info, opt, args[0], invert)
			},
			Final: func(info []byte, _ *ParseContext) error {
				if le16(info[ctmOffMatchFlags:]) == 0 {
					return badSpec("-m conntrack", "conntrack: At least one option is required")
				}
				return nil
			},
			Save:   func(info []byte, w *Writer) { ctmDump(fam, info, w, "--") },
			Print:  func(info []byte, w *Writer) { ctmDump(fam, info, w, "") },
			Claims: func(info []byte) bool { return len(info) >= ctmSize && le16(info[ctmOffMatchFlags:])&ctmFlagAlias == 0 },
		})
	}
}

func ctmSetFlag(info []byte, flag uint16, invert bool) {
	putLe16(info[ctmOffMatchFlags:], le16(info[ctmOffMatchFlags:])|flag)
	if invert {
		putLe16(info[ctmOffInvFlags:], le16(info[ctmOffInvFlags:])|flag)
	}
}

func ctmParse(fam Family, info []byte, opt *Option, a string, invert bool) error {
	switch id := opt.ID; id {
	case ctmOptState:
		m, err := ctmParseList(a, "ctstate", ctmStates)
		if err != nil {
			return err
		}
		putLe16(info[ctmOffState:], le16(info[ctmOffState:])|m)
		ctmSetFlag(info, ctmFlagState, invert)
	case ctmOptProto:
		p, err := maParseProtocol(a)
		if err != nil {
			return err
		}
		putLe16(info[ctmOffProto:], uint16(p))
		// libxt_conntrack tests XT_INV_PROTO (0x40, the STATUS bit)
		// in invert_flags, before this option's own negation.
		if p == 0 && le16(info[ctmOffInvFlags:])&0x40 != 0 {
			return badSpec(a, "conntrack: rule would never match protocol")
		}
		ctmSetFlag(info, ctmFlagProto, invert)
	case ctmOptOrigSrc, ctmOptOrigDst, ctmOptReplSrc, ctmOptReplDst:
		k := id - ctmOptOrigSrc
		addr, mask, err := maParseHostMask(fam, "conntrack", opt.Name, a)
		if err != nil {
			return err
		}
		copy(info[32*k:], addr[:])
		copy(info[32*k+16:], mask[:])
		ctmSetFlag(info, ctmFlagOrigSrc<<k, invert)
	case ctmOptOrigSrcPort, ctmOptOrigDstPort, ctmOptReplSrcPort, ctmOptReplDstPort:
		k := id - ctmOptOrigSrcPort
		lo, hi, err := ctmParsePorts(a)
		if err != nil {
			return err
		}
		putLe16(info[ctmOffPorts+2*k:], lo)
		putLe16(info[ctmOffPortsHigh+2*k:], hi)
		ctmSetFlag(info, ctmFlagOrigSrcPt<<k, invert)
	case ctmOptStatus:
		m, err := ctmParseList(a, "ctstatus", ctmStatuses)
		if err != nil {
			return err
		}
		putLe16(info[ctmOffStatus:], le16(info[ctmOffStatus:])|m)
		ctmSetFlag(info, ctmFlagStatus, invert)
	case ctmOptExpire:
		v, err := parseMint("conntrack", "ctexpire", a, 0xffffffff, 2)
		if err != nil {
			return err
		}
		putLe32(info[ctmOffExpMin:], uint32(v[0]))
		putLe32(info[ctmOffExpMax:], uint32(v[len(v)-1]))
		ctmSetFlag(info, ctmFlagExpires, invert)
	case ctmOptDir:
		switch {
		case strings.EqualFold(a, "ORIGINAL"):
			ctmSetFlag(info, ctmFlagDirection, false)
			putLe16(info[ctmOffInvFlags:], le16(info[ctmOffInvFlags:])&^ctmFlagDirection)
		case strings.EqualFold(a, "REPLY"):
			ctmSetFlag(info, ctmFlagDirection, true)
		default:
			return badSpec(a, "conntrack: Bad value for \"--ctdir\" option: \"%s\"", a)
		}
	}
	return nil
}

// ctmParseList parses a comma-separated list of state or status names,
// each a case-insensitive prefix of a name (first match wins).
func ctmParseList(arg, what string, names []struct {
	name string
	bit  uint16
}) (uint16, error) {
	var m uint16
	s := arg
	for {
		tok, rest, more := strings.Cut(s, ",")
		found := false
		if tok != "" {
			for _, n := range names {
				if maCasePrefix(tok, n.name) {
					m |= n.bit
					found = true
					break
				}
			}
		}
		if !found {
			return 0, badSpec(arg, "Bad %s \"%s\"", what, s)
		}
		if !more {
			return m, nil
		}
		s = rest
	}
}

// ctmParsePorts parses XTTYPE_PORTRC as xtopt_parse_mport does: "p",
// "lo:hi", "lo:" (hi 65535), ":hi" (lo 0); names resolve as getaddrinfo
// services; numbers are decimal and wrap at 65536.
func ctmParsePorts(arg string) (lo, hi uint16, err error) {
	parts := strings.Split(arg, ":")
	if len(parts) > 2 {
		return 0, 0, badSpec(arg, "conntrack: Too many components for option (max: 2)")
	}
	vals := [2]uint16{0, 0xffff}
	for i, p := range parts {
		if p == "" {
			continue
		}
		v, ok := ctmPortByName(p)
		if !ok {
			return 0, 0, badSpec(p, "Port \"%s\" does not resolve to anything.", p)
		}
		vals[i] = v
	}
	if len(parts) == 1 {
		vals[1] = vals[0]
	}
	return vals[0], vals[1], nil
}

func ctmPortByName(s string) (uint16, bool) {
	digits := s != ""
	var v uint64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			digits = false
			break
		}
		if v < 1<<32 {
			v = v*10 + uint64(s[i]-'0')
		}
	}
	if digits {
		if v >= 1<<32 {
			return 0xffff, true
		}
		return uint16(v), true
	}
	for _, proto := range []string{"tcp", "udp"} {
		if p, ok := serviceByName(s, proto); ok {
			return p, true
		}
	}
	return 0, false
}

// ctmDump prints the payload as conntrack_dump does, numerically: with
// prefix "--" for -S, "" for -L.
func ctmDump(fam Family, info []byte, w *Writer, prefix string) {
	if len(info) < ctmSize {
		return
	}
	opt := func(invert bool, name string, values ...string) {
		if invert {
			w.WriteString(" !")
		}
		w.WriteString(" " + prefix + name)
		for _, v := range values {
			w.WriteString(" " + v)
		}
	}
	mf, inv := le16(info[ctmOffMatchFlags:]), le16(info[ctmOffInvFlags:])
	neg := func(f uint16) bool { return inv&f != 0 }
	if mf&ctmFlagState != 0 {
		name := "ctstate"
		if mf&ctmFlagAlias != 0 {
			name = "state"
		}
		opt(neg(ctmFlagState), name)
		sep := " "
		st := le16(info[ctmOffState:])
		for _, s := range ctmStatePrint {
			if st&s.bit != 0 {
				w.WriteString(sep + s.name)
				sep = ","
			}
		}
	}
	if mf&ctmFlagProto != 0 {
		opt(neg(ctmFlagProto), "ctproto", utoa(le16(info[ctmOffProto:])))
	}
	l := fam.addrLen()
	for k, n := range ctmAddrOpts {
		if f := uint16(ctmFlagOrigSrc << k); mf&f != 0 {
			opt(neg(f), n, ipString(info[32*k:32*k+l])+maskSuffix(fam, info[32*k+16:32*k+32]))
		}
	}
	for k, n := range ctmPortOpts {
		if f := uint16(ctmFlagOrigSrcPt << k); mf&f != 0 {
			lo, hi := le16(info[ctmOffPorts+2*k:]), le16(info[ctmOffPortsHigh+2*k:])
			v := utoa(lo)
			if hi != 0 && lo != hi {
				v += ":" + utoa(hi)
			}
			opt(neg(f), n, v)
		}
	}
	if mf&ctmFlagStatus != 0 {
		opt(neg(ctmFlagStatus), "ctstatus")
		sep := " "
		st := le16(info[ctmOffStatus:])
		for _, s := range ctmStatuses[1:] {
			if st&s.bit != 0 {
				w.WriteString(sep + s.name)
				sep = ","
			}
		}
		if st == 0 {
			w.WriteString(sep + "NONE")
		}
	}
	if mf&ctmFlagExpires != 0 {
		lo, hi := le32(info[ctmOffExpMin:]), le32(info[ctmOffExpMax:])
		v := utoa(lo)
		if lo != hi {
			v += ":" + utoa(hi)
		}
		opt(neg(ctmFlagExpires), "ctexpire", v)
	}
	if mf&ctmFlagDirection != 0 {
		if neg(ctmFlagDirection) {
			opt(false, "ctdir", "REPLY")
		} else {
			opt(false, "ctdir", "ORIGINAL")
		}
	}
}
