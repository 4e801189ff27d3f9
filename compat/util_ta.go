package compat

import (
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"weak"
)

// Helpers shared by the ta group's targets (DNAT, SNAT, MASQUERADE,
// REDIRECT, NETMAP, TPROXY, TEE, NFQUEUE, AUDIT, CHECKSUM): libxtables'
// number, port and address parsers with their C quirks, glibc's inet_ntop,
// the NAT range structures and the --to-destination / --to-ports syntax.

// taIsSpace is C's isspace in the C locale.
func taIsSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func taDigit(c byte) uint64 {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0')
	case c >= 'a' && c <= 'z':
		return uint64(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return uint64(c-'A') + 10
	}
	return 99
}

// taStrtoumax is C's strtoumax(s, &end, base) for base 0 or 10: leading
// blanks, an optional sign (a minus negates modulo 2^64), then digits. n
// is how many bytes were consumed (0 when there were no digits); overflow
// reports ERANGE.
func taStrtoumax(s string, base uint64) (v uint64, n int, overflow bool) {
	i := 0
	for i < len(s) && taIsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 0 {
		switch {
		case i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && taDigit(s[i+2]) < 16:
			base, i = 16, i+2
		case i < len(s) && s[i] == '0':
			base = 8
		default:
			base = 10
		}
	}
	start := i
	for ; i < len(s) && taDigit(s[i]) < base; i++ {
		d := taDigit(s[i])
		if v > (math.MaxUint64-d)/base {
			overflow = true
		}
		v = v*base + d
	}
	if i == start {
		return 0, 0, false
	}
	if overflow {
		return math.MaxUint64, i, true
	}
	if neg {
		v = -v
	}
	return v, i, false
}

// taStrtoul is xtables_strtoul with an end pointer: a number in C notation
// (decimal, 0x hex, 0 octal) at the start of s, no minus sign, within
// [min, max]; rest is what follows it.
func taStrtoul(s string, min, max uint64) (v uint64, rest string, ok bool) {
	i := 0
	for i < len(s) && taIsSpace(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '-' {
		return 0, s, false
	}
	v, n, overflow := taStrtoumax(s, 0)
	if n == 0 || overflow || v < min || v > max {
		return 0, s, false
	}
	return v, s[n:], true
}

// taUint is xtables_strtoul without an end pointer: the whole of s must
// be the number.
func taUint(s string, min, max uint64) (uint64, bool) {
	v, rest, ok := taStrtoul(s, min, max)
	return v, ok && rest == ""
}

// taServicePort is getservbyname(name, NULL): a service of any protocol.
func taServicePort(name string) (uint16, bool) {
	for _, proto := range []string{"tcp", "udp", "sctp", "dccp"} {
		if p, ok := serviceByName(name, proto); ok {
			return p, true
		}
	}
	return 0, false
}

// taGaiPort resolves a port as libxtables' XTTYPE_PORT does, through
// getaddrinfo's service argument: glibc reads it with strtoul(s, &end, 10)
// into an int, so "65536" wraps to 0 and "-1" or trailing text fall back
// to a service name lookup.
func taGaiPort(s string) (uint16, bool) {
	if s == "" {
		return 0, false
	}
	v, n, _ := taStrtoumax(s, 10)
	if n == len(s) {
		if num := int32(uint32(v)); num >= 0 {
			return uint16(num), true
		}
	}
	return taServicePort(s)
}

// taInetAton parses an IPv4 address as glibc's inet_aton_exact (which
// getaddrinfo uses for numeric hosts): one to four parts in C notation,
// the last filling the remaining bytes ("10" is 0.0.0.10, "10.1" is
// 10.0.0.1).
func taInetAton(s string) ([4]byte, bool) {
	var out [4]byte
	var parts []uint64
	rest := s
	for {
		if rest == "" || rest[0] < '0' || rest[0] > '9' {
			return out, false
		}
		v, n, overflow := taStrtoumax(rest, 0)
		if overflow || v > math.MaxUint32 {
			return out, false
		}
		rest = rest[n:]
		if rest != "" && rest[0] == '.' {
			if len(parts) > 2 || v > 0xff {
				return out, false
			}
			parts = append(parts, v)
			rest = rest[1:]
			continue
		}
		if rest != "" {
			return out, false
		}
		limits := []uint64{math.MaxUint32, 0xffffff, 0xffff, 0xff}
		if v > limits[len(parts)] {
			return out, false
		}
		for i, p := range parts {
			v |= p << (24 - 8*i)
		}
		putBe32(out[:], uint32(v))
		return out, true
	}
}

// taHost parses a host as libxtables' XTTYPE_HOST does with a numeric
// address (getaddrinfo of the rule's family). Names are not resolved.
func taHost(fam Family, s string) ([16]byte, bool) {
	var out [16]byte
	if fam == IPv4 {
		a, ok := taInetAton(s)
		copy(out[:], a[:])
		return out, ok
	}
	ip, err := parseIP(IPv6, s)
	if err != nil {
		return out, false
	}
	copy(out[:], ip)
	return out, true
}

// taPlenMask parses the part after '/' of an XTTYPE_HOSTMASK value as
// libxtables does: a prefix length, or else a numeric mask. A mask that is
// not contiguous leaves the prefix length invalid, which libxtables turns
// into an all-ones mask.
func taPlenMask(fam Family, s string) ([16]byte, bool) {
	var mask [16]byte
	bits := 8 * fam.addrLen()
	plen, ok := taUint(s, 0, uint64(bits))
	if !ok {
		m, ok := taHost(fam, s)
		if !ok {
			return mask, false
		}
		a := Addr{Mask: m}
		p := a.prefixLen(fam)
		if p < 0 {
			p = 128 // all ones
		}
		plen = uint64(p)
	}
	for i := 0; i < int(plen) && i < 128; i++ {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	return mask, true
}

// taNtop prints an address of the family as glibc's inet_ntop does (Go
// differs for IPv4-compatible IPv6 addresses such as ::1.2.3.4).
func taNtop(fam Family, b []byte) string {
	if fam == IPv4 {
		if len(b) < 4 {
			return ""
		}
		return ipString(b[:4])
	}
	if len(b) < 16 {
		return ""
	}
	var words [8]int
	for i := range words {
		words[i] = int(b[2*i])<<8 | int(b[2*i+1])
	}
	best, bestLen, cur, curLen := -1, 0, -1, 0
	for i := 0; i <= 8; i++ {
		if i < 8 && words[i] == 0 {
			if cur < 0 {
				cur, curLen = i, 0
			}
			curLen++
			continue
		}
		if cur >= 0 && (best < 0 || curLen > bestLen) {
			best, bestLen = cur, curLen
		}
		cur = -1
	}
	if bestLen < 2 {
		best = -1
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if best >= 0 && i >= best && i < best+bestLen {
			if i == best {
				sb.WriteByte(':')
			}
			continue
		}
		if i != 0 {
			sb.WriteByte(':')
		}
		if i == 6 && best == 0 && (bestLen == 6 || bestLen == 5 && words[5] == 0xffff) {
			sb.WriteString(ipString(b[12:16]))
			return sb.String()
		}
		sb.WriteString(strconv.FormatInt(int64(words[i]), 16))
	}
	if best >= 0 && best+bestLen == 8 {
		sb.WriteByte(':')
	}
	return sb.String()
}

// taMarkMask parses "value[/mask]" as xtables_parse_mark_mask does (mask
// defaults to all ones).
func taMarkMask(ext, opt, s string) (v, m uint32, err error) {
	bad := badSpec(s, "%s: bad integer value for option \"--%s\", or out of range.", ext, opt)
	vv, rest, ok := taStrtoul(s, 0, math.MaxUint32)
	if !ok {
		return 0, 0, bad
	}
	if rest == "" {
		return uint32(vv), math.MaxUint32, nil
	}
	if rest[0] != '/' {
		return 0, 0, badSpec(s, "%s: trailing garbage after value for option \"--%s\".", ext, opt)
	}
	mv, rest, ok := taStrtoul(rest[1:], 0, math.MaxUint32)
	if !ok {
		return 0, 0, bad
	}
	if rest != "" {
		return 0, 0, badSpec(s, "%s: trailing garbage after value for option \"--%s\".", ext, opt)
	}
	return uint32(vv), uint32(mv), nil
}

// taHex prints v as C's "0x%x".
func taHex(v uint32) string { return "0x" + strconv.FormatUint(uint64(v), 16) }

// taGiven records which options of a payload being parsed were given
// (iptables' xflags), for the checks the payload alone cannot tell. Keys
// are weak, so an abandoned parse leaks nothing.
var taGiven = struct {
	sync.Mutex
	m map[weak.Pointer[byte]]uint32
}{m: map[weak.Pointer[byte]]uint32{}}

// taMarkGiven adds the option bits to the payload's given set and returns
// the set as it is now.
func taMarkGiven(info []byte, bits uint32) uint32 {
	if len(info) == 0 {
		return bits
	}
	k := weak.Make(&info[0])
	taGiven.Lock()
	defer taGiven.Unlock()
	old, ok := taGiven.m[k]
	if !ok {
		runtime.AddCleanup(&info[0], func(k weak.Pointer[byte]) {
			taGiven.Lock()
			delete(taGiven.m, k)
			taGiven.Unlock()
		}, k)
	}
	taGiven.m[k] = old | bits
	return old | bits
}

// NAT ranges. iptables 1.8.9 parses every NAT option into a struct
// nf_nat_range2 and copies it into the structure the kernel revision takes:
//
//	nf_nat_ipv4_multi_range_compat (20 bytes): u32 rangesize @0 (always 1),
//	  u32 flags @4, be32 min_ip @8, be32 max_ip @12, be16 min port @16,
//	  be16 max port @18.
//	nf_nat_range (40 bytes): u32 flags @0, min_addr[16] @4, max_addr[16]
//	  @20, be16 min port @36, be16 max port @38.
//	nf_nat_range2 (44 bytes): nf_nat_range, then be16 base port @40, pad.
//
// Flags: MAP_IPS 1, PROTO_SPECIFIED 2, PROTO_RANDOM 4, PERSISTENT 8,
// PROTO_RANDOM_FULLY 0x10, PROTO_OFFSET 0x20 (the "/base" port, which only
// nf_nat_range2 has room for: the others print it as "/0").

const (
	taNatMapIPs         = 0x01
	taNatProtoSpecified = 0x02
	taNatRandom         = 0x04
	taNatPersistent     = 0x08
	taNatRandomFully    = 0x10
	taNatProtoOffset    = 0x20
)

type taNatLayout int

const (
	taNatCompat taNatLayout = iota // nf_nat_ipv4_multi_range_compat
	taNatRange1                    // nf_nat_range
	taNatRange2                    // nf_nat_range2
)

// taNatSizes are the C sizes of the layouts.
var taNatSizes = [...]int{taNatCompat: 20, taNatRange1: 40, taNatRange2: 44}

type taNatRange struct {
	flags             uint32
	min, max          [16]byte
	minP, maxP, baseP uint16
	layout            taNatLayout
	fam               Family
}

// taNatLoad reads a payload of the layout (any bytes; short payloads read
// as zero).
func taNatLoad(info []byte, l taNatLayout, fam Family) taNatRange {
	r := taNatRange{layout: l, fam: fam}
	b := make([]byte, 48)
	copy(b, info)
	switch l {
	case taNatCompat:
		r.flags = le32(b[4:])
		copy(r.min[:4], b[8:12])
		copy(r.max[:4], b[12:16])
		r.minP, r.maxP = be16(b[16:]), be16(b[18:])
	default:
		r.flags = le32(b[0:])
		copy(r.min[:], b[4:20])
		copy(r.max[:], b[20:36])
		r.minP, r.maxP = be16(b[36:]), be16(b[38:])
		if l == taNatRange2 {
			r.baseP = be16(b[40:])
		}
	}
	return r
}

// store writes the range into a payload of its layout.
func (r *taNatRange) store(info []byte) {
	if len(info) < taNatSizes[r.layout] {
		return
	}
	switch r.layout {
	case taNatCompat:
		putLe32(info[0:], 1)
		putLe32(info[4:], r.flags)
		copy(info[8:12], r.min[:4])
		copy(info[12:16], r.max[:4])
		putBe16(info[16:], r.minP)
		putBe16(info[18:], r.maxP)
	default:
		putLe32(info[0:], r.flags)
		copy(info[4:20], r.min[:])
		copy(info[20:36], r.max[:])
		putBe16(info[36:], r.minP)
		putBe16(info[38:], r.maxP)
		if r.layout == taNatRange2 {
			putBe16(info[40:], r.baseP)
		}
	}
}

// taNatPortOK tells whether -p allows a port in a NAT range (the protocol
// as given, negated or not, as iptables looks at it).
func taNatPortOK(ctx *ParseContext) bool {
	switch ctx.Spec.Proto {
	case 6, 17, 132, 33, 1:
		return true
	}
	return false
}

// parsePorts parses "port[-port[/base]]" into r as iptables' parse_ports.
func (r *taNatRange) parsePorts(arg string, portOK bool) error {
	if !portOK {
		return badSpec(arg, "Need TCP, UDP, SCTP or DCCP with port specification")
	}
	r.flags |= taNatProtoSpecified
	port, end, ok := taStrtoul(arg, 0, math.MaxUint16)
	if !ok {
		p, found := taServicePort(arg)
		if !found {
			return badSpec(arg, "Port `%s' not valid", arg)
		}
		port, end = uint64(p), ""
	}
	switch {
	case end == "":
		r.minP, r.maxP = uint16(port), uint16(port)
		return nil
	case end[0] == '-':
	case end[0] == ':':
		return badSpec(arg, "Invalid port:port syntax - use dash")
	default:
		return badSpec(arg, "Garbage after port value: `%s'", end)
	}
	arg = end[1:]
	maxport, end, ok := taStrtoul(arg, 0, math.MaxUint16)
	if !ok {
		return badSpec(arg, "Port `%s' not valid", arg)
	}
	if maxport < port {
		return badSpec(arg, "Port range `%s' funky", arg)
	}
	r.minP, r.maxP = uint16(port), uint16(maxport)
	switch {
	case end == "":
		return nil
	case end[0] != '/':
		return badSpec(end, "Garbage after port range: `%s'", end)
	}
	arg = end[1:]
	base, _, ok := taStrtoul(arg, 1, math.MaxUint16)
	if !ok {
		p, found := taServicePort(arg)
		if !found {
			return badSpec(arg, "Port `%s' not valid", arg)
		}
		base = uint64(p)
	}
	r.flags |= taNatProtoOffset
	r.baseP = uint16(base)
	return nil
}

// parseTo parses "[addr[-addr]][:port[-port[/base]]]" (IPv6 addresses in
// brackets when a port follows) as iptables' parse_to, quirks included: a
// colon at index 0 or 2 means ports only, and text after "]" up to the
// colon is ignored.
func (r *taNatRange) parseTo(orig string, portOK bool) error {
	start, colon := orig, -1
	if lb := strings.IndexByte(orig, '['); lb < 0 {
		colon = strings.IndexByte(orig, ':')
		if colon >= 0 && strings.IndexByte(orig[colon+1:], ':') >= 0 {
			colon = -1
		}
		if colon >= 0 {
			start = orig[:colon]
		}
	} else {
		rb := strings.IndexByte(orig[lb+1:], ']')
		if rb < 0 || r.fam == IPv4 {
			return badSpec(orig, "Invalid address format")
		}
		rb += lb + 1
		start = orig[lb+1 : rb]
		if c := strings.IndexByte(orig[rb+1:], ':'); c >= 0 {
			colon = rb + 1 + c
		}
	}
	if colon >= 0 {
		if err := r.parsePorts(orig[colon+1:], portOK); err != nil {
			return err
		}
		if colon == 0 || colon == 2 {
			return nil
		}
	}
	r.flags |= taNatMapIPs
	lo, hi, dash := strings.Cut(start, "-")
	ip, err := parseIP(r.fam, lo)
	if err != nil {
		return badSpec(orig, "Bad IP address \"%s\"", lo)
	}
	clear(r.min[:])
	copy(r.min[:], ip)
	r.max = r.min
	if dash {
		ip, err := parseIP(r.fam, hi)
		if err != nil {
			return badSpec(orig, "Bad IP address \"%s\"", hi)
		}
		clear(r.max[:])
		copy(r.max[:], ip)
	}
	return nil
}

// String formats the range as iptables' sprint_range.
func (r *taNatRange) String() string {
	var sb strings.Builder
	brackets := r.fam == IPv6 && r.flags&taNatProtoSpecified != 0
	if r.flags&taNatMapIPs != 0 {
		if brackets {
			sb.WriteByte('[')
		}
		sb.WriteString(taNtop(r.fam, r.min[:]))
		if r.min != r.max {
			sb.WriteString("-" + taNtop(r.fam, r.max[:]))
		}
		if brackets {
			sb.WriteByte(']')
		}
	}
	if r.flags&taNatProtoSpecified != 0 {
		sb.WriteString(":" + strconv.Itoa(int(r.minP)))
		if r.maxP != r.minP {
			sb.WriteString("-" + strconv.Itoa(int(r.maxP)))
		}
		if r.flags&taNatProtoOffset != 0 {
			base := r.baseP
			if r.layout != taNatRange2 {
				base = 0
			}
			sb.WriteString("/" + strconv.Itoa(int(base)))
		}
	}
	return sb.String()
}

// taNatFormat writes the range and flags as iptables' __NAT_print: rangeOpt
// before the range ("--to-source " for -S, "to:" for -L), flagPfx before
// each flag ("--" or ""), skipColon to drop a leading ':' (--to-ports).
func taNatFormat(w *Writer, r taNatRange, rangeOpt, flagPfx string, skipColon bool) {
	if s := r.String(); s != "" {
		if skipColon && s[0] == ':' {
			s = s[1:]
		}
		w.WriteString(" " + rangeOpt + s)
	}
	if r.flags&taNatRandom != 0 {
		w.WriteString(" " + flagPfx + "random")
	}
	if r.flags&taNatRandomFully != 0 {
		w.WriteString(" " + flagPfx + "random-fully")
	}
	if r.flags&taNatPersistent != 0 {
		w.WriteString(" " + flagPfx + "persistent")
	}
}

// NAT option IDs, shared by DNAT, SNAT, MASQUERADE and REDIRECT.
const (
	taNatOptTo = iota
	taNatOptToPorts
	taNatOptRandom
	taNatOptRandomFully
	taNatOptPersistent
)

// taNatParse is the Parse of the NAT targets for a layout and family.
func taNatParse(l taNatLayout, fam Family) func([]byte, *Option, []string, bool, *ParseContext) error {
	return func(info []byte, opt *Option, args []string, _ bool, ctx *ParseContext) error {
		r := taNatLoad(info, l, fam)
		switch opt.ID {
		case taNatOptTo:
			if err := r.parseTo(args[0], taNatPortOK(ctx)); err != nil {
				return err
			}
		case taNatOptToPorts:
			if err := r.parsePorts(args[0], taNatPortOK(ctx)); err != nil {
				return err
			}
		case taNatOptRandom:
			r.flags |= taNatRandom
		case taNatOptRandomFully:
			r.flags |= taNatRandomFully
		case taNatOptPersistent:
			r.flags |= taNatPersistent
		}
		r.store(info)
		return nil
	}
}

// taNatInit sets rangesize to 1 in the IPv4 compat layout.
func taNatInit(l taNatLayout) func([]byte, *ParseContext) {
	return func(info []byte, _ *ParseContext) {
		if l == taNatCompat && len(info) >= 4 {
			putLe32(info, 1)
		}
	}
}

// taNatNoOffset is REDIRECT's final check: its structures cannot hold a
// base port.
func taNatNoOffset(l taNatLayout, fam Family) func([]byte, *ParseContext) error {
	return func(info []byte, _ *ParseContext) error {
		if taNatLoad(info, l, fam).flags&taNatProtoOffset != 0 {
			return badSpec("--to-ports", "Shifted portmap ranges not supported with this kernel")
		}
		return nil
	}
}

// taNatSave and taNatPrint print a NAT payload for -S and -L.
func taNatSave(l taNatLayout, fam Family, rangeOpt string, skipColon bool) func([]byte, *Writer) {
	return func(info []byte, w *Writer) {
		taNatFormat(w, taNatLoad(info, l, fam), "--"+rangeOpt+" ", "--", skipColon)
	}
}

func taNatPrint(l taNatLayout, fam Family, rangeOpt string, skipColon bool) func([]byte, *Writer) {
	return func(info []byte, w *Writer) {
		taNatFormat(w, taNatLoad(info, l, fam), rangeOpt, "", skipColon)
	}
}
