package compat

import (
	"strconv"
	"strings"
)

// Helpers shared by the mb group's extensions (hashlimit, connlimit,
// recent, physdev, string, helper, policy, socket, owner, set).

// mbAtoll reads the leading decimal number of s as atoll does (0 when
// there is none).
func mbAtoll(s string) uint64 {
	s = strings.TrimLeft(s, cSpaces)
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

// mbItoa32 prints a u32 as C's "%d" does (as a signed int).
func mbItoa32(v uint32) string { return strconv.Itoa(int(int32(v))) }
