package compat

import (
	"math/bits"
	"strconv"
	"strings"
)

// Helpers shared by the mb group's extensions (hashlimit, connlimit,
// recent, physdev, string, helper, policy, socket, owner, set).

// mbStrtoul parses the leading unsigned number of s as strtoull with base 0
// does (decimal, 0x hex, 0 octal) and returns it with the rest of s; ok is
// false when no digit was read or the value overflows 64 bits.
func mbStrtoul(s string) (v uint64, rest string, ok bool) {
	base := uint64(10)
	i := 0
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && mbDigit(s[2], 16) >= 0:
		base, i = 16, 2
	case len(s) > 0 && s[0] == '0':
		base = 8
	}
	start := i
	for ; i < len(s); i++ {
		d := mbDigit(s[i], base)
		if d < 0 {
			break
		}
		hi, lo := bits.Mul64(v, base)
		if hi != 0 || lo+uint64(d) < lo {
			return 0, s, false
		}
		v = lo + uint64(d)
	}
	if i == start {
		return 0, s, false
	}
	return v, s[i:], true
}

func mbDigit(c byte, base uint64) int {
	var d int
	switch {
	case c >= '0' && c <= '9':
		d = int(c - '0')
	case c >= 'a' && c <= 'f':
		d = int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		d = int(c-'A') + 10
	default:
		return -1
	}
	if uint64(d) >= base {
		return -1
	}
	return d
}

// mbAtoll reads the leading decimal number of s as atoll does (0 when
// there is none).
func mbAtoll(s string) uint64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var v uint64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + uint64(s[i]-'0')
	}
	if neg {
		return -v
	}
	return v
}

// mbParseIface fills an interface name and its mask (IFNAMSIZ each) as
// xtables_parse_interface does: "eth+" matches the prefix, a plain name
// includes its NUL in the mask.
func mbParseIface(token, s string, name, mask []byte) error {
	if len(s)+1 > ifnamsiz {
		return badSpec(token, "interface name `%s' must be shorter than IFNAMSIZ (%d)", s, ifnamsiz-1)
	}
	clear(name[:ifnamsiz])
	clear(mask[:ifnamsiz])
	copy(name, s)
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
	return nil
}

// mbParsePlen parses a prefix length (0..32 or 0..128), or a numeric
// netmask, as xtopt_parse_plen does.
func mbParsePlen(fam Family, ext, opt, s string) (int, error) {
	maxLen := uint64(8 * fam.addrLen())
	if v, ok := parseUint(s, 0, maxLen); ok {
		return int(v), nil
	}
	if m, err := parseIP(fam, s); err == nil {
		var a Addr
		copy(a.Mask[:], m)
		if p := a.prefixLen(fam); p >= 0 {
			return p, nil
		}
		return -1, nil // not contiguous: callers keep an all-ones mask
	}
	return 0, badSpec(s, "%s: bad value for option \"--%s\", neither a valid network mask nor valid CIDR (0-%d).", ext, opt, maxLen)
}

// mbPlenMask turns a prefix length into a 16-byte mask (all ones when
// plen is out of range, as xtopt_parse_plenmask leaves it).
func mbPlenMask(plen int) [16]byte {
	var m [16]byte
	for i := range m {
		m[i] = 0xff
	}
	if plen < 0 || plen > 128 {
		return m
	}
	clear(m[:])
	for i := 0; i < plen; i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}

// mbMaskSuffix prints a mask as xtables_ipmask_to_numeric /
// xtables_ip6mask_to_numeric do: "" for a host mask, "/N" for a prefix,
// "/a.b.c.d" otherwise.
func mbMaskSuffix(fam Family, mask []byte) string {
	var a Addr
	copy(a.Mask[:], mask)
	p := a.prefixLen(fam)
	switch {
	case p < 0:
		return "/" + ipString(mask[:fam.addrLen()])
	case p == 8*fam.addrLen():
		return ""
	}
	return "/" + strconv.Itoa(p)
}

// mbUtoa prints an unsigned number.
func mbUtoa[T ~uint8 | ~uint16 | ~uint32 | ~uint64](v T) string {
	return strconv.FormatUint(uint64(v), 10)
}

// mbItoa32 prints a u32 as C's "%d" does (as a signed int).
func mbItoa32(v uint32) string { return strconv.Itoa(int(int32(v))) }
