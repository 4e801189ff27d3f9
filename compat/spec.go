package compat

import (
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
)

// Spec is one iptables rule, parsed: the fields of the rule's IP header
// part, its matches in order, and its target. It is what a rulespec parses
// into, what a kernel rule decodes into, and what prints as `iptables -S`
// does.
type Spec struct {
	Family Family // IPv4 or IPv6
	Table  string
	Chain  string

	Src, Dst       Addr
	InvSrc, InvDst bool
	InIface        string
	OutIface       string
	InvIn, InvOut  bool
	// Proto is the -p protocol number; 0 is "all" (no -p).
	Proto    uint8
	InvProto bool
	// Frag is -f (IPv4 only): second and later fragments.
	Frag, InvFrag bool

	Matches []*Instance
	// Target is a target extension (-j REJECT, -j NFLOG, ...); nil when
	// the rule ends in a verdict, a jump or nothing.
	Target *Instance
	// Verdict is ACCEPT, DROP or RETURN, or the chain -j jumps to (-g
	// when Goto); "" when the rule has no -j / -g or has a Target.
	Verdict string
	Goto    bool

	// Counters, when set, initializes (-c) or reports the rule's counter.
	Counters *Counters

	// nsFd is the namespace the rule was parsed for or read from (-1: the
	// current one), where printing looks names (ipsets) up.
	nsFd int
}

// Counters are a rule's packet and byte counts.
type Counters struct {
	Packets, Bytes uint64
}

// Instance is one match or target of a rule: its extension and the
// payload (the kernel structure, XTAlign(Ext.Size) bytes).
type Instance struct {
	Ext  *Extension
	Info []byte
}

// Addr is an address with its mask; parsing stores the address masked, as
// iptables does (one read from the kernel may have bits outside its mask;
// see outsideMask). Only the first 4 bytes are used for IPv4.
type Addr struct {
	IP, Mask [16]byte
}

func (f Family) addrLen() int {
	if f == IPv6 {
		return 16
	}
	return 4
}

// outsideMask reports address bits the mask does not keep: no packet's
// masked address equals such an address, which only a rule read from the
// kernel can hold (parsing masks the address, as iptables does).
func (a Addr) outsideMask(fam Family) bool {
	for i := range fam.addrLen() {
		if a.IP[i]&^a.Mask[i] != 0 {
			return true
		}
	}
	return false
}

// isZero reports an all-zero mask: the field matches anything.
func (a Addr) isZero(fam Family) bool {
	for _, b := range a.Mask[:fam.addrLen()] {
		if b != 0 {
			return false
		}
	}
	return true
}

// prefixLen returns the mask as a prefix length, or -1 when it is not
// contiguous.
func (a Addr) prefixLen(fam Family) int {
	n := 0
	m := a.Mask[:fam.addrLen()]
	i := 0
	for ; i < len(m) && m[i] == 0xff; i++ {
		n += 8
	}
	if i < len(m) {
		lead := bits.LeadingZeros8(^m[i])
		if m[i] != byte(0xff<<(8-lead)) {
			return -1
		}
		n += lead
		for i++; i < len(m); i++ {
			if m[i] != 0 {
				return -1
			}
		}
	}
	return n
}

// String prints the address as iptables -S does: addr/prefix when the
// mask is contiguous, addr/mask otherwise.
func (a Addr) format(fam Family) string {
	var buf [96]byte
	return string(a.appendTo(buf[:0], fam))
}

// appendTo appends the address as format spells it: a rule's line is
// printed into its buffer without a string per address.
func (a Addr) appendTo(dst []byte, fam Family) []byte {
	l := fam.addrLen()
	dst = appendIP(dst, a.IP[:l])
	dst = append(dst, '/')
	if p := a.prefixLen(fam); p >= 0 {
		return strconv.AppendInt(dst, int64(p), 10)
	}
	return appendIP(dst, a.Mask[:l])
}

// appendIP appends an address (4 or 16 bytes) as inet_ntop formats it
// (glibc's IPv6 form, which differs from Go's for IPv4-compatible
// addresses such as ::1.2.3.4); nothing for any other length.
func appendIP(dst, b []byte) []byte {
	if len(b) == 4 {
		return netip.AddrFrom4([4]byte(b)).AppendTo(dst)
	}
	return appendInetNtop6(dst, b)
}

// ipString is appendIP as a string.
func ipString(b []byte) string {
	var buf [len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")]byte
	return string(appendIP(buf[:0], b))
}

// parseAddrs parses -s / -d arguments: one or more comma-separated
// addresses, each with an optional /prefix or /mask, appended to dst.
// iptables makes one rule per address; so do we.
func parseAddrs(dst []Addr, fam Family, token, s string) ([]Addr, error) {
	for {
		part, rest, more := strings.Cut(s, ",")
		a, err := parseAddr(fam, token, part)
		if err != nil {
			return nil, err
		}
		dst = append(dst, a)
		if !more {
			return dst, nil
		}
		s = rest
	}
}

// parseAddr parses one -s / -d address as xtables_ipparse_any and
// xtables_ip6parse_any do: the mask first (a zero mask makes the host
// "any", whatever it names: "0/0" is any address), then the host, IPv4 in
// xtables_numeric_to_ipaddr's forms ("10.1" is 10.1.0.0, "010" octal) and
// else inet_aton's ("0x7f000001"), as getaddrinfo reads a numeric host.
func parseAddr(fam Family, token, s string) (Addr, error) {
	var a Addr
	l := fam.addrLen()
	host, mask, hasMask := strings.Cut(s, "/")
	switch {
	case !hasMask:
		for i := range l {
			a.Mask[i] = 0xff
		}
	case fam == IPv4 && strings.IndexByte(mask, '.') >= 0:
		// A dotted mask has all four parts (no "255.255").
		m, ok := numericToIPv4(mask)
		if !ok || strings.Count(mask, ".") != 3 {
			return a, badSpec(token, "invalid mask `%s' specified", mask)
		}
		copy(a.Mask[:], m[:])
	case fam == IPv6 && strings.IndexByte(mask, ':') >= 0:
		if err := parseIPInto(&a.Mask, fam, mask); err != nil {
			return a, badSpec(token, "invalid mask `%s' specified", mask)
		}
	default:
		n, ok := xtParseUint(mask, 0, uint64(8*l))
		if !ok {
			return a, badSpec(token, "invalid mask `%s' specified", mask)
		}
		for i := 0; i < int(n); i++ {
			a.Mask[i/8] |= 0x80 >> (i % 8)
		}
	}
	if a.Mask == ([16]byte{}) {
		return a, nil // any address: the host is not looked at
	}
	if err := parseHostInto(&a.IP, fam, host); err != nil {
		return a, badSpec(token, "host/network `%s' not found", host)
	}
	for i := range l {
		a.IP[i] &= a.Mask[i]
	}
	return a, nil
}

// parseHostInto parses the host part of an -s / -d address (see parseAddr).
func parseHostInto(dst *[16]byte, fam Family, host string) error {
	if fam == IPv6 {
		return parseIPInto(dst, fam, host)
	}
	b, ok := numericToIPv4(host)
	if !ok {
		b, ok = inetAton(host)
	}
	if !ok {
		return errBadAddr
	}
	copy(dst[:], b[:])
	return nil
}

func isDecimal(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseIP parses a numeric address of the family. Host names are not
// resolved: a firewall rule that depends on DNS at load time is a trap,
// and iptables resolves them only once anyway.
func parseIP(fam Family, s string) ([]byte, error) {
	var b [16]byte
	if err := parseIPInto(&b, fam, s); err != nil {
		return nil, err
	}
	return b[:fam.addrLen()], nil
}

// parseIPInto is parseIP into dst (an IPv4 address in its first 4 bytes),
// without allocating.
func parseIPInto(dst *[16]byte, fam Family, s string) error {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return errBadAddr
	}
	if fam == IPv4 {
		if !ip.Is4() {
			return errBadAddr
		}
		b := ip.As4()
		copy(dst[:], b[:])
		return nil
	}
	if !ip.Is6() || ip.Zone() != "" {
		return errBadAddr
	}
	*dst = ip.As16()
	return nil
}

var errBadAddr = badSpec("", "bad address")

// ifnamsiz is IFNAMSIZ: an interface name has at most 15 bytes.
const ifnamsiz = 16

func parseIface(token, s string) (string, error) {
	if len(s) >= ifnamsiz {
		return "", badSpec(token, "interface name `%s' must be shorter than %d characters", s, ifnamsiz)
	}
	if s == "" {
		return "", badSpec(token, "empty interface name")
	}
	if strings.ContainsRune(s, 0) {
		return "", badSpec(token, "interface name contains a NUL byte")
	}
	return s, nil
}

// chainProtos are the names iptables knows without /etc/protocols.
var chainProtos = []struct {
	name string
	num  uint8
}{
	{"tcp", 6}, {"sctp", 132}, {"udp", 17}, {"udplite", 136}, {"icmp", 1},
	{"icmpv6", 58}, {"ipv6-icmp", 58}, {"esp", 50}, {"ah", 51},
	{"ipv6-mh", 135}, {"mh", 135}, {"all", 0},
}

func parseProto(token, s string) (uint8, error) {
	s = strings.ToLower(s)
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		if n, err := strconv.ParseUint(s, 0, 8); err == nil {
			return uint8(n), nil
		} else if isDecimal(s) || strings.HasPrefix(s, "0x") {
			return 0, badSpec(token, "unknown protocol \"%s\" specified", s)
		}
	}
	if s == "all" {
		return 0, nil
	}
	if n, ok := protoByName(s); ok {
		return n, nil
	}
	for _, p := range chainProtos {
		if p.name == s {
			return p.num, nil
		}
	}
	return 0, badSpec(token, "unknown protocol \"%s\" specified", s)
}

// parseIfaceMask fills an interface name and its mask (IFNAMSIZ each) as
// xtables_parse_interface does: "eth+" matches the prefix, a plain name
// includes its NUL in the mask.
func parseIfaceMask(token, s string) (name, mask [ifnamsiz]byte, err error) {
	if len(s)+1 > ifnamsiz {
		return name, mask, badSpec(token, "interface name `%s' must be shorter than IFNAMSIZ (%d)", s, ifnamsiz-1)
	}
	copy(name[:], s)
	switch {
	case s == "":
	case s[len(s)-1] == '+':
		for i := 0; i < len(s)-1; i++ {
			mask[i] = 0xff
		}
	default:
		for i := 0; i <= len(s); i++ {
			mask[i] = 0xff
		}
	}
	return name, mask, nil
}

// parseProtocolOpt parses XTTYPE_PROTOCOL as xtables_parse_protocol does.
func parseProtocolOpt(s string) (uint8, error) {
	if v, ok := xtParseUint(s, 0, 255); ok {
		return uint8(v), nil
	}
	for _, p := range chainProtos {
		if p.name == s {
			return p.num, nil
		}
	}
	if n, ok := protoByName(s); ok {
		return n, nil
	}
	return 0, badSpec(s, "unknown protocol \"%s\" specified", s)
}

// formatProto names a protocol as iptables -S does.
func formatProto(n uint8) string {
	if s, ok := protoName(n); ok {
		return s
	}
	for _, p := range chainProtos {
		if p.num == n {
			return p.name
		}
	}
	return strconv.Itoa(int(n))
}

// protoMatchName is the match -p loads implicitly for its options
// ("-p tcp --dport 22" loads -m tcp).
func protoMatchName(proto uint8, given string) string {
	switch proto {
	case 58:
		return "icmp6"
	case 0:
		return ""
	}
	if s, ok := protoName(proto); ok && lookupAny(s) {
		return s
	}
	return strings.ToLower(given)
}

func lookupAny(name string) bool { return len(matches[name]) > 0 }
