package compat

import (
	"math"
	"strconv"
	"strings"
)

// Address parsing and printing as libxtables and glibc do it, shared by
// the extensions. The core's own -s / -d parsing (parseIP in spec.go) is
// deliberately stricter for IPv4 (four decimal parts only); extensions
// that take XTTYPE_HOST values go through getaddrinfo in iptables, which
// accepts inet_aton's short and octal/hex forms, hence parseNumericHost.

// inetAton parses an IPv4 address as glibc's inet_aton_exact (which
// getaddrinfo uses for numeric hosts): one to four dot-separated numbers,
// each starting with a digit and in C notation (decimal, 0x hex, 0 octal),
// the last filling the remaining bytes ("10.1" is 10.0.0.1, "33" is
// 0.0.0.33).
func inetAton(s string) ([4]byte, bool) {
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
		v, n, erange := strtoul(p, 0)
		if erange || n != len(p) || v > math.MaxUint32 {
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

// numericToIPv4 parses an IPv4 address as xtables_numeric_to_ipaddr does
// (iprange): up to four dot-separated bytes (each as xtables_strtoul reads
// it), the missing trailing ones zero ("10" is 10.0.0.0, unlike
// inetAton); input past 19 bytes is ignored.
func numericToIPv4(s string) ([4]byte, bool) {
	var a [4]byte
	if len(s) > 19 {
		s = s[:19]
	}
	parts := strings.SplitN(s, ".", 4)
	for i, p := range parts {
		v, ok := xtParseUint(p, 0, 255)
		if !ok {
			return a, false
		}
		a[i] = byte(v)
	}
	return a, true
}

// parseNumericHost parses a numeric address of the family as getaddrinfo
// with AI_NUMERICHOST does (libxtables' XTTYPE_HOST): IPv4 in inet_aton's
// forms, IPv6 as parseIP reads it. Names are not resolved.
func parseNumericHost(fam Family, s string) ([16]byte, bool) {
	var a [16]byte
	if fam == IPv4 {
		b, ok := inetAton(s)
		copy(a[:], b[:])
		return a, ok
	}
	ip, err := parseIP(IPv6, s)
	if err != nil {
		return a, false
	}
	copy(a[:], ip)
	return a, true
}

// parsePlen parses a prefix length (0..32 or 0..128) as xtables_strtoul
// reads it, or else a numeric netmask (parseNumericHost), as
// xtopt_parse_plen does. A mask that is not contiguous gives -1, which
// callers turn into an all-ones mask as libxtables does.
func parsePlen(fam Family, s string) (int, bool) {
	if v, ok := xtParseUint(s, 0, uint64(8*fam.addrLen())); ok {
		return int(v), true
	}
	m, ok := parseNumericHost(fam, s)
	if !ok {
		return 0, false
	}
	return Addr{Mask: m}.prefixLen(fam), true
}

// parsePlenStrict is parsePlen with the core's parsers, as connlimit,
// hashlimit and policy have always read their masks: the length as
// parseUint reads it (a '-' wraps, so "-0" is 0) and the netmask as
// parseIP does (IPv4 only as four decimal parts). Kept apart from parsePlen
// so that those options accept exactly what they did.
func parsePlenStrict(fam Family, s string) (int, bool) {
	if v, ok := parseUint(s, 0, uint64(8*fam.addrLen())); ok {
		return int(v), true
	}
	m, err := parseIP(fam, s)
	if err != nil {
		return 0, false
	}
	return maskPrefixLen(fam, m), true
}

// maskPrefixLen is the prefix length of mask m (the family's address
// length, or longer), or -1 when it is not contiguous.
func maskPrefixLen(fam Family, m []byte) int {
	var a Addr
	copy(a.Mask[:], m)
	return a.prefixLen(fam)
}

// badPlen is xtopt_parse_plen's error for a value that is neither a
// prefix length nor a netmask.
func badPlen(token, ext, opt string, fam Family) error {
	return badSpec(token, "%s: bad value for option \"--%s\", neither a valid network mask nor valid CIDR (0-%d).", ext, opt, 8*fam.addrLen())
}

// plenMask turns a prefix length into a 16-byte mask; out of range
// (-1 for a non-contiguous mask) gives all ones, as xtopt_parse_plenmask
// leaves it.
func plenMask(plen int) [16]byte {
	var m [16]byte
	if plen < 0 || plen > 128 {
		for i := range m {
			m[i] = 0xff
		}
		return m
	}
	for i := 0; i < plen; i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}

// maskSuffix prints a mask as xtables_ipmask_to_numeric /
// xtables_ip6mask_to_numeric do: "" for a host mask, "/N" for a prefix,
// "/a.b.c.d" otherwise. mask holds at least the family's address length.
func maskSuffix(fam Family, mask []byte) string {
	p := maskPrefixLen(fam, mask[:fam.addrLen()])
	switch {
	case p < 0:
		return "/" + ipString(mask[:fam.addrLen()])
	case p == 8*fam.addrLen():
		return ""
	}
	return "/" + strconv.Itoa(p)
}

// inetNtop prints an address of the family as glibc's inet_ntop does: the
// first 4 bytes of b for IPv4, 16 otherwise ("" when b is shorter).
func inetNtop(fam Family, b []byte) string {
	n := 16
	if fam == IPv4 {
		n = 4
	}
	if len(b) < n {
		return ""
	}
	return ipString(b[:n])
}

// appendInetNtop6 appends a 16-byte IPv6 address as glibc's inet_ntop
// formats it, which differs from Go for IPv4-compatible addresses such as
// ::1.2.3.4 (nothing when b is not 16 bytes).
func appendInetNtop6(dst, b []byte) []byte {
	if len(b) != 16 {
		return dst
	}
	var words [8]uint16
	for i := range words {
		words[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	// The longest run of zero words (the first of equal ones), if at least
	// two long, becomes "::".
	bestBase, bestLen, curBase, curLen := -1, 0, -1, 0
	for i := 0; i <= 8; i++ {
		if i < 8 && words[i] == 0 {
			if curBase == -1 {
				curBase, curLen = i, 0
			}
			curLen++
			continue
		}
		if curBase != -1 && (bestBase == -1 || curLen > bestLen) {
			bestBase, bestLen = curBase, curLen
		}
		curBase = -1
	}
	if bestLen < 2 {
		bestBase = -1
	}
	for i := 0; i < 8; i++ {
		if bestBase != -1 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				dst = append(dst, ':')
			}
			continue
		}
		if i != 0 {
			dst = append(dst, ':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xffff)) {
			return appendIP(dst, b[12:16])
		}
		dst = strconv.AppendUint(dst, uint64(words[i]), 16)
	}
	if bestBase != -1 && bestBase+bestLen == 8 {
		dst = append(dst, ':')
	}
	return dst
}

// parseHostMask parses XTTYPE_HOSTMASK as xtopt_parse_hostmask does:
// addr[/plen|/mask]. The address is not masked; the mask is 16 bytes of
// ones without "/", a prefix mask otherwise, and all ones again for a
// dotted mask that is not a prefix (its prefix length is -1).
func parseHostMask(fam Family, ext, opt, s string) (addr, mask [16]byte, err error) {
	host, m, hasMask := strings.Cut(s, "/")
	a, ok := parseNumericHost(fam, host)
	if !ok {
		return addr, mask, badSpec(s, "getaddrinfo: Name or service not known")
	}
	addr = a
	if !hasMask {
		return addr, plenMask(-1), nil
	}
	plen, ok := parsePlen(fam, m)
	if !ok {
		return addr, mask, badPlen(s, ext, opt, fam)
	}
	return addr, plenMask(plen), nil
}
