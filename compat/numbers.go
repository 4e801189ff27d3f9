package compat

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"sync"

	"github.com/xtnl/xtnl/internal/sysfile"
)

// C-like number parsing and printing, shared by the core and every
// extension. iptables reads numbers with glibc's strtoul family, through
// libxtables' wrappers; the quirks (leading blanks, a '+', a '-' that
// negates modulo 2^64, 0x hex and 0 octal) are visible in what it accepts,
// so they are reproduced exactly. Three entry points differ on purpose:
//
//   - strtoul is C's strtoul(s, &end, base) itself;
//   - xtStrtoul / xtParseUint are libxtables' xtables_strtoul (a '-' is
//     refused outright), with and without an end pointer;
//   - parseUint is the core's whole-string strtoul, where a '-' wraps as in
//     C (so only "-0" and its spellings pass a bounded range).

// isSpace is C's isspace in the C locale: ' ', '\t', '\n', '\v', '\f',
// '\r'.
func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// skipSpaceSign skips what C's strto* functions skip before the digits:
// white space, then a sign. i is where the digits start.
func skipSpaceSign(s string) (i int, neg bool) {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	return i, neg
}

// cSpaces is the set isSpace accepts, for strings.TrimLeft and friends.
const cSpaces = " \t\n\v\f\r"

// digitValue is the value of c as a digit in bases up to 36 (0-9, then a-z
// or A-Z from 10), or 99 when c is not alphanumeric; callers compare it
// with their base.
func digitValue(c byte) uint64 {
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

// strtoul is glibc's strtoul / strtoumax (64-bit unsigned long) for base
// 0, 10 or 16: leading white space, an optional sign (a minus negates
// modulo 2^64), then for base 0 a 0x prefix (hex), a leading 0 (octal) or
// decimal, and for base 16 an optional 0x. A "0x" not followed by a hex
// digit is read as the number 0 followed by "x", as C does. It returns the
// value, how many bytes were consumed (0 when no digit was read, as C sets
// end to the start) and whether the value overflowed (ERANGE; the value is
// then the maximum, whatever the sign).
func strtoul(s string, base uint64) (v uint64, n int, erange bool) {
	i, neg := skipSpaceSign(s)
	hexPrefix := i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && digitValue(s[i+2]) < 16
	switch {
	case (base == 0 || base == 16) && hexPrefix:
		base = 16
		i += 2
	case base == 0 && i < len(s) && s[i] == '0':
		base = 8
	case base == 0:
		base = 10
	}
	start := i
	for ; i < len(s); i++ {
		d := digitValue(s[i])
		if d >= base {
			break
		}
		hi, lo := bits.Mul64(v, base)
		sum, carry := bits.Add64(lo, d, 0)
		if hi != 0 || carry != 0 {
			erange = true
		}
		v = sum
	}
	if i == start {
		return 0, 0, false
	}
	if erange {
		return math.MaxUint64, i, true
	}
	if neg {
		v = -v
	}
	return v, i, false
}

// xtStrtoul is libxtables' xtables_strtoul with an end pointer: the
// number in C notation (strtoul base 0) at the start of s, where a '-'
// (after blanks) is refused, within [min, max] (max 0: no upper limit, as
// in C). rest is what follows the number whenever one was read (C sets
// *end before the range check); s itself when none was.
func xtStrtoul(s string, min, max uint64) (v uint64, rest string, ok bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '-' {
		return 0, s, false
	}
	v, n, erange := strtoul(s, 0)
	if n == 0 {
		return 0, s, false
	}
	if erange || v < min || (max != 0 && v > max) {
		return 0, s[n:], false
	}
	return v, s[n:], true
}

// xtParseUint is xtables_strtoul without an end pointer: all of s must be
// the number ('-' refused, within [min, max]).
func xtParseUint(s string, min, max uint64) (uint64, bool) {
	v, rest, ok := xtStrtoul(s, min, max)
	return v, ok && rest == ""
}

// parseUint parses all of s as C's strtoul with base 0 does, within [min,
// max]: optional leading blanks and sign, then decimal, 0x hex or 0 octal
// digits to the end. Unlike xtParseUint a minus sign is not refused but
// wraps as in C, so in a bounded range only "-0" passes (the core's -p,
// --dport and several match options have always read numbers this way).
func parseUint(s string, min, max uint64) (uint64, bool) {
	v, n, erange := strtoul(s, 0)
	if n == 0 || n != len(s) || erange || v < min || v > max {
		return 0, false
	}
	return v, true
}

// parseMint parses "a[:b...]" as xtopt_parse_mint does for the
// XTTYPE_UINT*RC options: an empty component is 0 first and lmax after;
// at most maxiter components, each within [0, lmax].
func parseMint(ext, opt, arg string, lmax uint64, maxiter int) ([]uint64, error) {
	var vals []uint64
	s := arg
	for {
		if len(vals) == maxiter {
			return nil, badSpec(arg, "%s: Too many components for option \"--%s\" (max: %d)", ext, opt, maxiter)
		}
		var v uint64
		rest := s
		if s == "" || s[0] == ':' {
			if len(vals) == 1 {
				v = lmax
			}
		} else {
			var ok bool
			v, rest, ok = xtStrtoul(s, 0, lmax)
			if !ok {
				return nil, badSpec(arg, "%s: bad value for option \"--%s\" near \"%s\", or out of range (0-%d).", ext, opt, s, lmax)
			}
			if rest != "" && rest[0] != ':' {
				return nil, badSpec(arg, "%s: Argument to \"--%s\" has unexpected characters near \"%s\".", ext, opt, rest)
			}
		}
		vals = append(vals, v)
		if rest == "" {
			return vals, nil
		}
		s = rest[1:]
	}
}

// atoll reads the leading decimal number of s as atoll does (0 when
// there is none).
func atoll(s string) uint64 {
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

// itoa32 prints a u32 as C's "%d" does (as a signed int).
func itoa32(v uint32) string { return strconv.Itoa(int(int32(v))) }

// lmapEntry is one line of an iproute2 name table (rt_realms, group).
type lmapEntry struct {
	id   int
	name string
}

var (
	lmapMu    sync.Mutex
	lmapCache = map[string][]lmapEntry{}
)

// lmap reads an iproute2 id/name table as xtables_lmap_init does; a
// missing file is an empty table.
func lmap(file string) []lmapEntry {
	lmapMu.Lock()
	defer lmapMu.Unlock()
	if m, ok := lmapCache[file]; ok {
		return m
	}
	var out []lmapEntry
	if b, err := sysfile.ReadFile(file); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			cur := strings.TrimLeft(line, cSpaces)
			if cur == "" || cur[0] == '#' {
				continue
			}
			base := uint64(10)
			if strings.HasPrefix(cur, "0x") {
				base = 16
			}
			v, end, overflow := strtoul(cur, base)
			if end == 0 || overflow {
				continue
			}
			id := int(int32(uint32(v)))
			if id < 0 || id > 255 {
				continue
			}
			cur = cur[end:]
			if cur == "" || !isSpace(cur[0]) {
				continue
			}
			cur = strings.TrimLeft(cur, cSpaces)
			if cur == "" || cur[0] == '#' {
				continue
			}
			name := cur
			if k := strings.IndexAny(cur, cSpaces); k >= 0 {
				name = cur[:k]
			}
			out = append(out, lmapEntry{id, name})
		}
	}
	lmapCache[file] = out
	return out
}

// parseValMask parses "value[/mask]", or a name of the table lmap (nil:
// none), as xtables_parse_val_mask / xtables_parse_mark_mask do; the mask
// defaults to all ones.
func parseValMask(ext, opt, arg string, lmap []lmapEntry) (val, mask uint32, err error) {
	mask = math.MaxUint32
	byName := func() (uint32, uint32, error) {
		for _, e := range lmap {
			if e.name == arg {
				return uint32(e.id), mask, nil
			}
		}
		return 0, 0, badSpec(arg, "%s: could not map name %s to an integer value for option \"--%s\".", ext, arg, opt)
	}
	badVal := badSpec(arg, "%s: bad integer value for option \"--%s\", or out of range.", ext, opt)
	v, rest, ok := xtStrtoul(arg, 0, math.MaxUint32)
	if !ok {
		if lmap != nil {
			return byName()
		}
		return 0, 0, badVal
	}
	if rest == "" {
		return uint32(v), mask, nil
	}
	if rest[0] != '/' {
		if lmap != nil {
			return byName()
		}
		return 0, 0, badSpec(arg, "%s: trailing garbage after value for option \"--%s\".", ext, opt)
	}
	m, rest, ok := xtStrtoul(rest[1:], 0, math.MaxUint32)
	if !ok {
		return 0, 0, badVal
	}
	if rest != "" {
		return 0, 0, badSpec(arg, "%s: trailing garbage after value for option \"--%s\".", ext, opt)
	}
	return uint32(v), uint32(m), nil
}

// formatValMask prints " 0xV/0xM", the table's name, or " 0xV", as
// xtables_print_val_mask does.
func formatValMask(val, mask uint32, lmap []lmapEntry) string {
	if mask != math.MaxUint32 {
		return fmt.Sprintf(" 0x%x/0x%x", val, mask)
	}
	for _, e := range lmap {
		if int32(val) == int32(e.id) {
			return " " + e.name
		}
	}
	return fmt.Sprintf(" 0x%x", val)
}

// utoa prints an unsigned number in decimal (C's "%u").
func utoa[T ~uint8 | ~uint16 | ~uint32 | ~uint64](v T) string {
	return strconv.FormatUint(uint64(v), 10)
}

// hex0x prints v as C's "0x%x".
func hex0x[T ~uint8 | ~uint16 | ~uint32 | ~uint64](v T) string {
	return "0x" + strconv.FormatUint(uint64(v), 16)
}

// hexPad prints v as C's "0x%0Nx" (n digits at least).
func hexPad[T ~uint8 | ~uint16 | ~uint32 | ~uint64](v T, n int) string {
	s := strconv.FormatUint(uint64(v), 16)
	for len(s) < n {
		s = "0" + s
	}
	return "0x" + s
}

// hasPrefixFold reports whether prefix starts s, case-insensitively, as
// strncasecmp(prefix, s, strlen(prefix)) == 0 tests it.
func hasPrefixFold(s, prefix string) bool {
	return len(prefix) <= len(s) && strings.EqualFold(prefix, s[:len(prefix)])
}

// hexPair prints "0xA/0xB", as the MARK, CONNMARK and TPROXY saves print
// a value and a mask.
func hexPair(a, b uint32) string { return hex0x(a) + "/" + hex0x(b) }
