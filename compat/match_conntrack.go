package compat

import "strings"

// conntrack: -m conntrack, revision 3 (struct xt_conntrack_mtinfo3, 164
// bytes, 168 sent): the original and reply source and destination
// addresses and masks, the expiry range, the layer 4 protocol, the four
// port ranges (revision 3: host order, not network order), match_flags
// and invert_flags, state_mask and status_mask. Addresses are stored
// unmasked; without "/" the mask is 16 bytes of ones, even for IPv4, and
// a dotted mask that is not a prefix also becomes all ones
// (xtopt_parse_plenmask). --ctdir REPLY is the DIRECTION bit in both
// match_flags and invert_flags. -m state is the same structure with
// match_flags STATE|STATE_ALIAS (match_state.go); the alias bit is what
// makes -S print "-m state --state". States and statuses are matched as
// case-insensitive prefixes ("E" is ESTABLISHED).

const (
	ctmSize = 164

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

// conntrackInfo is struct xt_conntrack_mtinfo3.
type conntrackInfo struct {
	// addrs are origsrc, origdst, replsrc, repldst: address, then mask.
	addrs                  [4][2][16]byte
	expiresMin, expiresMax uint32
	l4proto                uint16
	// ports and portsHigh are the low and high ends of the origsrc,
	// origdst, replsrc and repldst port ranges.
	ports                   [4]uint16
	matchFlags, invertFlags uint16
	stateMask, statusMask   uint16
	portsHigh               [4]uint16
}

func (t *conntrackInfo) unmarshal(b []byte) {
	for i := range 8 {
		copy(t.addrs[i/2][i%2][:], b[16*i:16*i+16])
	}
	t.expiresMin, t.expiresMax = hostOrder.Uint32(b[128:]), hostOrder.Uint32(b[132:])
	t.l4proto = hostOrder.Uint16(b[136:])
	for i := range 4 {
		t.ports[i] = hostOrder.Uint16(b[138+2*i:])
		t.portsHigh[i] = hostOrder.Uint16(b[154+2*i:])
	}
	t.matchFlags, t.invertFlags = hostOrder.Uint16(b[146:]), hostOrder.Uint16(b[148:])
	t.stateMask, t.statusMask = hostOrder.Uint16(b[150:]), hostOrder.Uint16(b[152:])
}

func (t *conntrackInfo) marshal(b []byte) {
	for i := range 8 {
		copy(b[16*i:16*i+16], t.addrs[i/2][i%2][:])
	}
	hostOrder.PutUint32(b[128:], t.expiresMin)
	hostOrder.PutUint32(b[132:], t.expiresMax)
	hostOrder.PutUint16(b[136:], t.l4proto)
	for i := range 4 {
		hostOrder.PutUint16(b[138+2*i:], t.ports[i])
		hostOrder.PutUint16(b[154+2*i:], t.portsHigh[i])
	}
	hostOrder.PutUint16(b[146:], t.matchFlags)
	hostOrder.PutUint16(b[148:], t.invertFlags)
	hostOrder.PutUint16(b[150:], t.stateMask)
	hostOrder.PutUint16(b[152:], t.statusMask)
}

// claimedBy tells the conntrack payloads that are -m state (alias) from
// the others; too short a payload is neither's.
func conntrackClaims(alias bool) func([]byte) bool {
	return func(info []byte) bool {
		if len(info) < ctmSize {
			return false
		}
		var t conntrackInfo
		t.unmarshal(info)
		return (t.matchFlags&ctmFlagAlias != 0) == alias
	}
}

// setFlag sets a match flag, and its invert flag when negated.
func (t *conntrackInfo) setFlag(flag uint16, invert bool) {
	t.matchFlags |= flag
	if invert {
		t.invertFlags |= flag
	}
}

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
	ctmStates = []nameBit{
		{"INVALID", 1 << 0}, {"NEW", 1 << 3}, {"ESTABLISHED", 1 << 1}, {"RELATED", 1 << 2},
		{"UNTRACKED", 1 << 8}, {"SNAT", 1 << 6}, {"DNAT", 1 << 7},
	}
	ctmStatePrint = []nameBit{
		{"INVALID", 1 << 0}, {"NEW", 1 << 3}, {"RELATED", 1 << 2}, {"ESTABLISHED", 1 << 1},
		{"UNTRACKED", 1 << 8}, {"SNAT", 1 << 6}, {"DNAT", 1 << 7},
	}
	ctmStatuses = []nameBit{
		{"NONE", 0}, {"EXPECTED", 1 << 0}, {"SEEN_REPLY", 1 << 1}, {"ASSURED", 1 << 2}, {"CONFIRMED", 1 << 3},
	}
	ctmAddrOpts = []string{"ctorigsrc", "ctorigdst", "ctreplsrc", "ctrepldst"}
	ctmPortOpts = []string{"ctorigsrcport", "ctorigdstport", "ctreplsrcport", "ctrepldstport"}
)

func init() {
	opts := []Option{
		{Name: "ctstate", ID: ctmOptState, Type: TypeString, Flags: Invert},
		{Name: "ctproto", ID: ctmOptProto, Type: TypeString, Flags: Invert},
		{Name: "ctstatus", ID: ctmOptStatus, Type: TypeString, Flags: Invert},
		{Name: "ctexpire", ID: ctmOptExpire, Type: TypeUint32Range, Flags: Invert},
		{Name: "ctdir", ID: ctmOptDir, Type: TypeString},
	}
	for i, n := range ctmAddrOpts {
		opts = append(opts, Option{Name: n, ID: ctmOptOrigSrc + i, Type: TypeString, Flags: Invert})
	}
	for i, n := range ctmPortOpts {
		opts = append(opts, Option{Name: n, ID: ctmOptOrigSrcPort + i, Type: TypeString, Flags: Invert})
	}
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "conntrack", Family: fam, Revision: 3, Size: ctmSize,
			Options: opts,
			OneOf:   &OneOf{IDs: 1<<(ctmOptDir+1) - 1, Token: "-m conntrack", Msg: "conntrack: At least one option is required"},
			Parse: func(info []byte, c *OptionCall) error {
				var t conntrackInfo
				t.unmarshal(info)
				if err := t.parse(fam, c); err != nil {
					return err
				}
				t.marshal(info)
				return nil
			},
			Save:   func(info []byte, w *Writer) { conntrackDump(fam, info, w, "--") },
			Print:  func(info []byte, w *Writer) { conntrackDump(fam, info, w, "") },
			Claims: conntrackClaims(false),
		})
	}
}

func (t *conntrackInfo) parse(fam Family, c *OptionCall) error {
	a, invert := c.Arg(), c.Invert
	switch id := c.Option.ID; id {
	case ctmOptState:
		m, err := parsePrefixList(a, ctmStates, "Bad ctstate \"%s\"")
		if err != nil {
			return err
		}
		t.stateMask |= m
		t.setFlag(ctmFlagState, invert)
	case ctmOptProto:
		p, err := parseProtocolOpt(a)
		if err != nil {
			return err
		}
		t.l4proto = uint16(p)
		// libxt_conntrack tests XT_INV_PROTO (0x40, the STATUS bit)
		// in invert_flags, before this option's own negation.
		if p == 0 && t.invertFlags&0x40 != 0 {
			return badSpec(a, "conntrack: rule would never match protocol")
		}
		t.setFlag(ctmFlagProto, invert)
	case ctmOptOrigSrc, ctmOptOrigDst, ctmOptReplSrc, ctmOptReplDst:
		k := id - ctmOptOrigSrc
		addr, mask, err := parseHostMask(fam, "conntrack", c.Option.Name, a)
		if err != nil {
			return err
		}
		t.addrs[k] = [2][16]byte{addr, mask}
		t.setFlag(ctmFlagOrigSrc<<k, invert)
	case ctmOptOrigSrcPort, ctmOptOrigDstPort, ctmOptReplSrcPort, ctmOptReplDstPort:
		k := id - ctmOptOrigSrcPort
		lo, hi, err := ctmParsePorts(a)
		if err != nil {
			return err
		}
		t.ports[k], t.portsHigh[k] = lo, hi
		t.setFlag(ctmFlagOrigSrcPt<<k, invert)
	case ctmOptStatus:
		m, err := parsePrefixList(a, ctmStatuses, "Bad ctstatus \"%s\"")
		if err != nil {
			return err
		}
		t.statusMask |= m
		t.setFlag(ctmFlagStatus, invert)
	case ctmOptExpire:
		t.expiresMin, t.expiresMax = uint32(c.Val.Range[0]), uint32(c.Val.Range[1])
		t.setFlag(ctmFlagExpires, invert)
	case ctmOptDir:
		switch {
		case strings.EqualFold(a, "ORIGINAL"):
			t.setFlag(ctmFlagDirection, false)
			t.invertFlags &^= ctmFlagDirection
		case strings.EqualFold(a, "REPLY"):
			t.setFlag(ctmFlagDirection, true)
		default:
			return badSpec(a, "conntrack: Bad value for \"--ctdir\" option: \"%s\"", a)
		}
	}
	return nil
}

// nameBit is one name of a list parsePrefixList reads, and its bit.
type nameBit struct {
	name string
	bit  uint16
}

// parsePrefixList parses a comma-separated list of names, each a
// case-insensitive prefix of one in names (the first that fits wins), into
// their bits; an unknown one is refused with bad, a format given the rest
// of the list from it on. The conntrack states and statuses and the
// addrtype types are read so.
func parsePrefixList(arg string, names []nameBit, bad string) (uint16, error) {
	var m uint16
	s := arg
	for {
		tok, rest, more := strings.Cut(s, ",")
		found := false
		if tok != "" {
			for _, n := range names {
				if hasPrefixFold(n.name, tok) {
					m |= n.bit
					found = true
					break
				}
			}
		}
		if !found {
			return 0, badSpec(arg, bad, s)
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

// ctmAddr prints an address and mask as conntrack_dump_addr does: with
// names (-L without -n), "anywhere" for the zero address and the host or
// network name of any other, its mask always in numbers.
func ctmAddr(fam Family, addr, mask []byte, names bool) string {
	if names && allZeroBytes(addr) {
		return "anywhere"
	}
	a := ipString(addr)
	if names {
		if n, ok := hostName(a); ok {
			a = n
		}
	}
	return a + maskSuffix(fam, mask)
}

// conntrackDump prints the payload as conntrack_dump does, numerically:
// with prefix "--" for -S, "" for -L.
func conntrackDump(fam Family, info []byte, w *Writer, prefix string) {
	var t conntrackInfo
	t.unmarshal(info)
	opt := func(invert bool, name string, values ...string) {
		if invert {
			w.WriteString(" !")
		}
		w.WriteString(" " + prefix + name)
		for _, v := range values {
			w.WriteString(" " + v)
		}
	}
	mf := t.matchFlags
	neg := func(f uint16) bool { return t.invertFlags&f != 0 }
	if mf&ctmFlagState != 0 {
		name := "ctstate"
		if mf&ctmFlagAlias != 0 {
			name = "state"
		}
		opt(neg(ctmFlagState), name)
		sep := " "
		for _, s := range ctmStatePrint {
			if t.stateMask&s.bit != 0 {
				w.WriteString(sep + s.name)
				sep = ","
			}
		}
	}
	if mf&ctmFlagProto != 0 {
		opt(neg(ctmFlagProto), "ctproto", utoa(t.l4proto))
	}
	l := fam.addrLen()
	for k, n := range ctmAddrOpts {
		if f := uint16(ctmFlagOrigSrc << k); mf&f != 0 {
			opt(neg(f), n, ctmAddr(fam, t.addrs[k][0][:l], t.addrs[k][1][:l], prefix == "" && !w.Numeric()))
		}
	}
	for k, n := range ctmPortOpts {
		if f := uint16(ctmFlagOrigSrcPt << k); mf&f != 0 {
			lo, hi := t.ports[k], t.portsHigh[k]
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
		for _, s := range ctmStatuses[1:] {
			if t.statusMask&s.bit != 0 {
				w.WriteString(sep + s.name)
				sep = ","
			}
		}
		if t.statusMask == 0 {
			w.WriteString(sep + "NONE")
		}
	}
	if mf&ctmFlagExpires != 0 {
		opt(neg(ctmFlagExpires), "ctexpire", formatRange(t.expiresMin, t.expiresMax))
	}
	if mf&ctmFlagDirection != 0 {
		if neg(ctmFlagDirection) {
			opt(false, "ctdir", "REPLY")
		} else {
			opt(false, "ctdir", "ORIGINAL")
		}
	}
}
