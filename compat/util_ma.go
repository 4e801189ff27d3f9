package compat

import (
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"weak"
)

// Helpers shared by the ma group's matches (conntrack, state, multiport,
// icmp, icmp6, addrtype, pkttype, mac, length, iprange, statistic, ttl, hl,
// tos, dscp, ecn, connmark).

// maGivenState remembers, per payload being parsed, which option IDs were
// given (iptables' xflags): the kernel structure alone often cannot tell
// ("--ttl-eq 0" and nothing leave the same bytes). Keys are weak, so an
// abandoned parse leaks nothing.
var maGivenState = struct {
	sync.Mutex
	m map[weak.Pointer[byte]]uint32
}{m: map[weak.Pointer[byte]]uint32{}}

// maSetGiven records option id as given for payload info and returns the
// mask of IDs given before.
func maSetGiven(info []byte, id int) uint32 {
	if len(info) == 0 {
		return 0
	}
	k := weak.Make(&info[0])
	maGivenState.Lock()
	defer maGivenState.Unlock()
	prev, ok := maGivenState.m[k]
	if !ok {
		runtime.AddCleanup(&info[0], func(k weak.Pointer[byte]) {
			maGivenState.Lock()
			delete(maGivenState.m, k)
			maGivenState.Unlock()
		}, k)
	}
	maGivenState.m[k] = prev | 1<<id
	return prev
}

// maGiven returns the mask of option IDs given for payload info.
func maGiven(info []byte) uint32 {
	if len(info) == 0 {
		return 0
	}
	k := weak.Make(&info[0])
	maGivenState.Lock()
	defer maGivenState.Unlock()
	return maGivenState.m[k]
}

// maExcl refuses option id when one of the IDs in excl was given before
// it, with xtables_options_fcheck's wording.
func maExcl(info []byte, ext string, id int, excl uint32, names map[int]string) error {
	prev := maSetGiven(info, id)
	if prev&(1<<id) != 0 && excl&(1<<id) != 0 {
		return badSpec("--"+names[id], "%s: option \"--%s\" can only be used once.", ext, names[id])
	}
	for o := 0; o < 32; o++ {
		if o != id && excl&(1<<o) != 0 && prev&(1<<o) != 0 {
			a, b := o, id
			if b < a {
				a, b = b, a
			}
			return badSpec("--"+names[id], "%s: option \"--%s\" cannot be used together with \"--%s\".", ext, names[a], names[b])
		}
	}
	return nil
}

func maIsSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func maDigit(c byte, base uint64) (uint64, bool) {
	var d uint64
	switch {
	case c >= '0' && c <= '9':
		d = uint64(c - '0')
	case c >= 'a' && c <= 'z':
		d = uint64(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		d = uint64(c-'A') + 10
	default:
		return 0, false
	}
	return d, d < base
}

// maStrtoul parses an unsigned number as xtables_strtoul does with an end
// pointer: leading white space, an optional '+', base 0 (0x hex, 0 octal,
// decimal); a '-' is refused. It returns the value, the unparsed rest and
// whether a number in [min, max] was read.
func maStrtoul(s string, min, max uint64) (uint64, string, bool) {
	i := 0
	for i < len(s) && maIsSpace(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '-' {
		return 0, s, false
	}
	if i < len(s) && s[i] == '+' {
		i++
	}
	base := uint64(10)
	if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') {
		if i+2 < len(s) {
			if _, ok := maDigit(s[i+2], 16); ok {
				base, i = 16, i+2
			}
		}
	} else if i < len(s) && s[i] == '0' {
		base = 8
	}
	start := i
	var v uint64
	overflow := false
	for i < len(s) {
		d, ok := maDigit(s[i], base)
		if !ok {
			break
		}
		if v > (math.MaxUint64-d)/base {
			overflow = true
		}
		v = v*base + d
		i++
	}
	if i == start {
		return 0, s, false
	}
	if overflow || v < min || v > max {
		return 0, s[i:], false
	}
	return v, s[i:], true
}

// maStrtoulStrict is maStrtoul for a whole argument (xtables_strtoul with
// no end pointer).
func maStrtoulStrict(s string, min, max uint64) (uint64, bool) {
	v, rest, ok := maStrtoul(s, min, max)
	return v, ok && rest == ""
}

// maUintOpt parses XTTYPE_UINT* options as xtopt_parse_int does.
func maUintOpt(ext, opt, s string, min, max uint64) (uint64, error) {
	v, ok := maStrtoulStrict(s, min, max)
	if !ok {
		return 0, badSpec(s, "%s: bad value for option \"--%s\", or out of range (%d-%d).", ext, opt, min, max)
	}
	return v, nil
}

// maParseRange parses XTTYPE_UINT*RC as xtopt_parse_mint does: "a",
// "a:b", "a:" (b is lmax) and ":b" (a is 0); it returns the values read
// (1 or 2).
func maParseRange(ext, opt, arg string, lmax uint64) ([]uint64, error) {
	var vals []uint64
	s := arg
	for {
		if len(vals) == 2 {
			return nil, badSpec(arg, "%s: Too many components for option \"--%s\" (max: 2)", ext, opt)
		}
		var v uint64
		if s == "" || s[0] == ':' {
			if len(vals) == 1 {
				v = lmax
			}
		} else {
			var ok bool
			var rest string
			v, rest, ok = maStrtoul(s, 0, lmax)
			if !ok {
				return nil, badSpec(arg, "%s: bad value for option \"--%s\" near \"%s\", or out of range (0-%d).", ext, opt, s, lmax)
			}
			if rest != "" && rest[0] != ':' {
				return nil, badSpec(arg, "%s: Argument to \"--%s\" has unexpected characters near \"%s\".", ext, opt, rest)
			}
			s = rest
		}
		vals = append(vals, v)
		if s == "" {
			return vals, nil
		}
		s = s[1:]
	}
}

// maParseIPv4 parses an IPv4 address as xtables_numeric_to_ipaddr does:
// up to four dot-separated bytes (each decimal, 0x hex or 0 octal), the
// missing trailing ones zero ("10" is 10.0.0.0); input past 19 bytes is
// ignored.
func maParseIPv4(s string) ([4]byte, bool) {
	var a [4]byte
	if len(s) > 19 {
		s = s[:19]
	}
	parts := strings.SplitN(s, ".", 4)
	for i, p := range parts {
		v, ok := maStrtoulStrict(p, 0, 255)
		if !ok {
			return a, false
		}
		a[i] = byte(v)
	}
	return a, true
}

// maParseHost parses a numeric address of the family as getaddrinfo
// does (IPv4 in inet_aton's forms; names are not resolved).
func maParseHost(fam Family, s string) ([16]byte, bool) {
	var a [16]byte
	if fam == IPv4 {
		b, ok := maInetAton(s)
		copy(a[:], b[:])
		return a, ok
	}
	ip, err := parseIP(fam, s)
	if err != nil {
		return a, false
	}
	copy(a[:], ip)
	return a, true
}

// maParseHostMask parses XTTYPE_HOSTMASK as xtopt_parse_hostmask does:
// addr[/plen|/mask]. The address is not masked; the mask is 16 bytes of
// ones without "/", a prefix mask otherwise, and all ones again for a
// dotted mask that is not a prefix (its prefix length is -1).
func maParseHostMask(fam Family, ext, opt, s string) (addr, mask [16]byte, err error) {
	host, m, hasMask := strings.Cut(s, "/")
	a, ok := maParseHost(fam, host)
	if !ok {
		return addr, mask, badSpec(s, "getaddrinfo: Name or service not known")
	}
	addr = a
	for i := range mask {
		mask[i] = 0xff
	}
	if !hasMask {
		return addr, mask, nil
	}
	maxLen := uint64(8 * fam.addrLen())
	plen := -1
	if v, ok := maStrtoulStrict(m, 0, maxLen); ok {
		plen = int(v)
	} else if mb, ok := maParseHost(fam, m); ok {
		var x Addr
		copy(x.Mask[:], mb[:])
		plen = x.prefixLen(fam)
	} else {
		return addr, mask, badSpec(s, "%s: bad value for option \"--%s\", neither a valid network mask nor valid CIDR (0-%d).", ext, opt, maxLen)
	}
	if plen >= 0 {
		clear(mask[:])
		for i := 0; i < plen; i++ {
			mask[i/8] |= 0x80 >> (i % 8)
		}
	}
	return addr, mask, nil
}

// maInetAton parses an IPv4 address as glibc's inet_aton does: one to
// four dot-separated numbers (decimal, 0x hex or 0 octal), the last one
// filling the remaining bytes ("10.1" is 10.0.0.1, "33" is 0.0.0.33).
func maInetAton(s string) ([4]byte, bool) {
	var a [4]byte
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return a, false
	}
	var vals []uint64
	for _, p := range parts {
		if p == "" || p[0] < '0' || p[0] > '9' {
			return a, false
		}
		v, rest, ok := maStrtoul(p, 0, math.MaxUint32)
		if !ok || rest != "" {
			return a, false
		}
		vals = append(vals, v)
	}
	n := len(vals)
	for i := 0; i < n-1; i++ {
		if vals[i] > 0xff {
			return a, false
		}
		a[i] = byte(vals[i])
	}
	last := vals[n-1]
	if last >= 1<<(8*(5-n)) {
		return a, false
	}
	for i := 3; i >= n-1; i-- {
		a[i] = byte(last)
		last >>= 8
	}
	return a, true
}

// maMaskSuffix prints a mask as xtables_ipmask_to_numeric /
// xtables_ip6mask_to_numeric do: "" for a host mask, "/N" for a prefix,
// "/a.b.c.d" otherwise.
func maMaskSuffix(fam Family, mask []byte) string {
	var a Addr
	copy(a.Mask[:], mask[:fam.addrLen()])
	p := a.prefixLen(fam)
	switch {
	case p < 0:
		return "/" + ipString(mask[:fam.addrLen()])
	case p == 8*fam.addrLen():
		return ""
	}
	return "/" + strconv.Itoa(p)
}

// maProtoName is the name xtables_parse_protocol knows without
// /etc/protocols (xtables_chain_protos), matched case-sensitively.
var maChainProtos = []struct {
	name string
	num  uint8
}{
	{"tcp", 6}, {"sctp", 132}, {"udp", 17}, {"udplite", 136}, {"icmp", 1},
	{"icmpv6", 58}, {"ipv6-icmp", 58}, {"esp", 50}, {"ah", 51},
	{"ipv6-mh", 135}, {"mh", 135}, {"all", 0},
}

// maParseProtocol parses XTTYPE_PROTOCOL as xtables_parse_protocol does.
func maParseProtocol(s string) (uint8, error) {
	if v, ok := maStrtoulStrict(s, 0, 255); ok {
		return uint8(v), nil
	}
	for _, p := range maChainProtos {
		if p.name == s {
			return p.num, nil
		}
	}
	if n, ok := protoByName(s); ok {
		return n, nil
	}
	return 0, badSpec(s, "unknown protocol \"%s\" specified", s)
}

// maKernelProto refuses, as the kernel's xt_check_match does for matches
// bound to one protocol, a rule whose -p is not that protocol or is
// negated.
func maKernelProto(ctx *ParseContext, name string, want uint8) error {
	if ctx.Spec.Proto != want || ctx.Spec.InvProto {
		return badSpec("-m "+name, "%s match: only valid for protocol %d", name, want)
	}
	return nil
}

// maKernelHooks refuses a match in a built-in chain whose hook the kernel
// does not allow it in (user chains are checked when jumped to).
func maKernelHooks(ctx *ParseContext, name string, hooks []string) error {
	if IsBuiltinChain(ctx.Table, ctx.Chain) && !slices.Contains(hooks, ctx.Chain) {
		return badSpec("-m "+name, "%s match: used from hook %s, only valid from %s", name, ctx.Chain, strings.Join(hooks, "/"))
	}
	return nil
}

// maCasePrefix reports whether s is a (case-insensitive) prefix of name,
// as strncasecmp(s, name, strlen(s)) == 0 tests it.
func maCasePrefix(s, name string) bool {
	return len(s) <= len(name) && strings.EqualFold(s, name[:len(s)])
}

// maUtoa prints an unsigned number in decimal.
func maUtoa[T ~uint8 | ~uint16 | ~uint32 | ~uint64](v T) string {
	return strconv.FormatUint(uint64(v), 10)
}
