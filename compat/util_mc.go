package compat

import (
	"fmt"
	"math"
	"math/bits"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Helpers shared by the mc group's extensions (quota, time, realm,
// connbytes, tcpmss, frag, ipv6header, rt, cpu, devgroup, sctp, ah, esp,
// dst, hbh).

// mcIsSpace is C's isspace in the C locale.
func mcIsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func mcDigit(c byte, base uint64) int {
	var d uint64
	switch {
	case c >= '0' && c <= '9':
		d = uint64(c - '0')
	case c >= 'a' && c <= 'z':
		d = uint64(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		d = uint64(c-'A') + 10
	default:
		return -1
	}
	if d >= base {
		return -1
	}
	return int(d)
}

// mcStrtoul parses the start of s as glibc's strtoul / strtoumax do (64-bit
// unsigned long): leading white space, an optional sign (a minus negates
// modulo 2^64), base 0 (0x hex, 0 octal, decimal) or 10 or 16. It returns
// the value, how many bytes were consumed (0 when no digit was read, as C
// sets end to the start) and whether the value overflowed (ERANGE; the
// value is then the maximum).
func mcStrtoul(s string, base uint64) (v uint64, end int, overflow bool) {
	i := 0
	for i < len(s) && mcIsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	hexPrefix := i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && mcDigit(s[i+2], 16) >= 0
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
		d := mcDigit(s[i], base)
		if d < 0 {
			break
		}
		hi, lo := bits.Mul64(v, base)
		sum, carry := bits.Add64(lo, uint64(d), 0)
		if hi != 0 || carry != 0 {
			overflow = true
		}
		v = sum
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

// mcStrtoulRange is xtables_strtoul with an end pointer: the leading number
// of s within [min, max] (max 0: no limit), with the rest of s.
func mcStrtoulRange(s string, min, max uint64) (v uint64, rest string, ok bool) {
	i := 0
	for i < len(s) && mcIsSpace(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '-' {
		return 0, s, false
	}
	v, end, overflow := mcStrtoul(s, 0)
	if end == 0 || overflow || v < min || (max != 0 && v > max) {
		return 0, s, false
	}
	return v, s[end:], true
}

// mcStrtoulStrict is xtables_strtoul without an end pointer: all of s must
// be the number.
func mcStrtoulStrict(s string, min, max uint64) (uint64, bool) {
	v, rest, ok := mcStrtoulRange(s, min, max)
	return v, ok && rest == ""
}

// mcParseMint parses "a[:b...]" as xtables' XTTYPE_UINT*RC options do: an
// empty component is 0 first and lmax after; at most maxiter components.
func mcParseMint(ext, opt, arg string, lmax uint64, maxiter int) ([]uint64, error) {
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
			v, rest, ok = mcStrtoulRange(s, 0, lmax)
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

// mcLmapEntry is one line of an iproute2 name table (rt_realms, group).
type mcLmapEntry struct {
	id   int
	name string
}

var (
	mcLmapMu    sync.Mutex
	mcLmapCache = map[string][]mcLmapEntry{}
)

// mcLmap reads an iproute2 id/name table as xtables_lmap_init does; a
// missing file is an empty table.
func mcLmap(file string) []mcLmapEntry {
	mcLmapMu.Lock()
	defer mcLmapMu.Unlock()
	if m, ok := mcLmapCache[file]; ok {
		return m
	}
	var out []mcLmapEntry
	if b, err := os.ReadFile(file); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			cur := strings.TrimLeft(line, " \t\n\v\f\r")
			if cur == "" || cur[0] == '#' {
				continue
			}
			base := uint64(10)
			if strings.HasPrefix(cur, "0x") {
				base = 16
			}
			v, end, overflow := mcStrtoul(cur, base)
			if end == 0 || overflow {
				continue
			}
			id := int(int32(uint32(v)))
			if id < 0 || id > 255 {
				continue
			}
			cur = cur[end:]
			if cur == "" || !mcIsSpace(cur[0]) {
				continue
			}
			cur = strings.TrimLeft(cur, " \t\n\v\f\r")
			if cur == "" || cur[0] == '#' {
				continue
			}
			name := cur
			if k := strings.IndexAny(cur, " \t\n\v\f\r"); k >= 0 {
				name = cur[:k]
			}
			out = append(out, mcLmapEntry{id, name})
		}
	}
	mcLmapCache[file] = out
	return out
}

// mcParseValMask parses "value[/mask]" or a name of the table, as
// xtables_parse_val_mask does; the mask defaults to all ones.
func mcParseValMask(ext, opt, arg string, lmap []mcLmapEntry) (val, mask uint32, err error) {
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
	v, rest, ok := mcStrtoulRange(arg, 0, math.MaxUint32)
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
	m, rest, ok := mcStrtoulRange(rest[1:], 0, math.MaxUint32)
	if !ok {
		return 0, 0, badVal
	}
	if rest != "" {
		return 0, 0, badSpec(arg, "%s: trailing garbage after value for option \"--%s\".", ext, opt)
	}
	return uint32(v), uint32(m), nil
}

// mcFormatValMask prints " 0xV/0xM", the table's name, or " 0xV", as
// xtables_print_val_mask does.
func mcFormatValMask(val, mask uint32, lmap []mcLmapEntry) string {
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

// mcInetNtop6 formats an IPv6 address as glibc's inet_ntop does (which
// differs from Go for IPv4-compatible addresses such as ::1.2.3.4).
func mcInetNtop6(b []byte) string {
	if len(b) != 16 {
		return ""
	}
	var words [8]uint16
	for i := range words {
		words[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	bestBase, bestLen, curBase, curLen := -1, 0, -1, 0
	for i := 0; i < 8; i++ {
		if words[i] == 0 {
			if curBase == -1 {
				curBase, curLen = i, 1
			} else {
				curLen++
			}
			continue
		}
		if curBase != -1 {
			if bestBase == -1 || curLen > bestLen {
				bestBase, bestLen = curBase, curLen
			}
			curBase = -1
		}
	}
	if curBase != -1 && (bestBase == -1 || curLen > bestLen) {
		bestBase, bestLen = curBase, curLen
	}
	if bestBase != -1 && bestLen < 2 {
		bestBase = -1
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if bestBase != -1 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				sb.WriteByte(':')
			}
			continue
		}
		if i != 0 {
			sb.WriteByte(':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xffff)) {
			fmt.Fprintf(&sb, "%d.%d.%d.%d", b[12], b[13], b[14], b[15])
			return sb.String()
		}
		sb.WriteString(strconv.FormatUint(uint64(words[i]), 16))
	}
	if bestBase != -1 && bestBase+bestLen == 8 {
		sb.WriteByte(':')
	}
	return sb.String()
}

// mcHookCheck refuses a match in a built-in chain whose hook the kernel
// module does not allow (user chains are checked when jumped to).
func mcHookCheck(ctx *ParseContext, name, what string, hooks []string) error {
	if IsBuiltinChain(ctx.Table, ctx.Chain) && !slices.Contains(hooks, ctx.Chain) {
		return badSpec("-m "+name, "%s is only valid in the %s chains, not %s", what, strings.Join(hooks, "/"), ctx.Chain)
	}
	return nil
}

// mcProtoCheck refuses a protocol match without the matching -p, as the
// kernel does ("only valid for protocol N").
func mcProtoCheck(ctx *ParseContext, want uint8, name string) error {
	if ctx.Spec.Proto != want || ctx.Spec.InvProto {
		return badSpec("-m "+name, "%s match: only valid for protocol %d (use -p %s)", name, want, formatProto(want))
	}
	return nil
}

// mcInv returns "!" when set, "" otherwise (for -L texts).
func mcInv(set bool) string {
	if set {
		return "!"
	}
	return ""
}
