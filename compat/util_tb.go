package compat

import (
	"math"
	"math/bits"
	"runtime"
	"strconv"
	"sync"
	"weak"
)

// Helpers shared by the tb group's targets (MARK, CONNMARK, TCPMSS, DSCP,
// TOS, TTL, HL, HMARK, CONNSECMARK, IDLETIMER, NOTRACK, CT, RATEEST).

// tbState remembers, per payload being parsed, which options were given
// (iptables' xflags) and values parsed before Final (its udata), which the
// kernel structure alone cannot tell: "--ttl-set 0" and no option at all
// leave the same bytes. Keys are weak, so an abandoned parse leaks nothing.
type tbState struct {
	flags uint32
	vals  [2]uint32
}

var tbStates = struct {
	sync.Mutex
	m map[weak.Pointer[byte]]*tbState
}{m: map[weak.Pointer[byte]]*tbState{}}

// tbStateOf returns the parse state of the payload info (len > 0).
func tbStateOf(info []byte) *tbState {
	if len(info) == 0 {
		return &tbState{}
	}
	k := weak.Make(&info[0])
	tbStates.Lock()
	defer tbStates.Unlock()
	st, ok := tbStates.m[k]
	if !ok {
		st = &tbState{}
		tbStates.m[k] = st
		runtime.AddCleanup(&info[0], func(k weak.Pointer[byte]) {
			tbStates.Lock()
			delete(tbStates.m, k)
			tbStates.Unlock()
		}, k)
	}
	return st
}

// tbGiven returns the option IDs given so far as a bit mask.
func tbGiven(info []byte) uint32 {
	st := tbStateOf(info)
	tbStates.Lock()
	defer tbStates.Unlock()
	return st.flags
}

// tbSetGiven records option IDs (a bit mask) as given and returns the mask
// as it was before.
func tbSetGiven(info []byte, mask uint32) uint32 {
	st := tbStateOf(info)
	tbStates.Lock()
	defer tbStates.Unlock()
	prev := st.flags
	st.flags |= mask
	return prev
}

// tbOnce records option id as given, refusing it when it already was
// (xtables_option_parse: "option can only be used once"), also when
// another option set the same bit (HMARK's --hmark-tuple does).
func tbOnce(info []byte, ext, name string, id int) error {
	if tbSetGiven(info, 1<<id)&(1<<id) != 0 {
		return badSpec("--"+name, "%s: option \"--%s\" can only be used once.", ext, name)
	}
	return nil
}

// tbExclusive refuses more than one of the options in group (IDs as a
// mask), naming them as xtables_options_fcheck does.
func tbExclusive(info []byte, ext string, group uint32, names map[int]string) error {
	g := tbGiven(info) & group
	if bits.OnesCount32(g) < 2 {
		return nil
	}
	a := bits.TrailingZeros32(g)
	b := bits.TrailingZeros32(g &^ (1 << a))
	return badSpec("--"+names[b], "%s: option \"--%s\" cannot be used together with \"--%s\".", ext, names[a], names[b])
}

func tbIsSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// tbStrtoul parses the leading number of s as xtables_strtoul with an end
// pointer does (strtoumax base 0: leading blanks, an optional '+', 0x hex,
// 0 octal, decimal; '-' refused); rest is what follows the number. ok is
// false when there is no number, it overflows or is out of [min, max].
func tbStrtoul(s string, min, max uint64) (v uint64, rest string, ok bool) {
	i := 0
	for i < len(s) && tbIsSpace(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '-' {
		return 0, s, false
	}
	if i < len(s) && s[i] == '+' {
		i++
	}
	base := uint64(10)
	if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && i+2 < len(s) && tbDigit(s[i+2], 16) >= 0 {
		base = 16
		i += 2
	} else if i < len(s) && s[i] == '0' {
		base = 8
	}
	start := i
	overflow := false
	for ; i < len(s); i++ {
		d := tbDigit(s[i], base)
		if d < 0 {
			break
		}
		hi, lo := bits.Mul64(v, base)
		lo, carry := bits.Add64(lo, uint64(d), 0)
		if hi != 0 || carry != 0 {
			overflow = true
		}
		v = lo
	}
	if i == start {
		return 0, s, false
	}
	if overflow || v < min || v > max {
		return 0, s[i:], false
	}
	return v, s[i:], true
}

func tbDigit(c byte, base uint64) int {
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

// tbUint parses a whole argument as xtables_strtoul without end pointer.
func tbUint(s string, min, max uint64) (uint64, bool) {
	v, rest, ok := tbStrtoul(s, min, max)
	return v, ok && rest == ""
}

// tbUintOpt parses an XTTYPE_UINT* option, with xtopt_parse_int's error.
func tbUintOpt(ext, opt, s string, min, max uint64) (uint64, error) {
	v, ok := tbUint(s, min, max)
	if !ok {
		return 0, badSpec(s, "%s: bad value for option \"--%s\", or out of range (%d-%d).", ext, opt, min, max)
	}
	return v, nil
}

// tbMarkMask parses XTTYPE_MARKMASK32 "value[/mask]" as
// xtables_parse_val_mask does; the mask defaults to all ones.
func tbMarkMask(ext, opt, s string) (v, m uint32, err error) {
	bad := badSpec(s, "%s: bad integer value for option \"--%s\", or out of range.", ext, opt)
	garbage := badSpec(s, "%s: trailing garbage after value for option \"--%s\".", ext, opt)
	vv, rest, ok := tbStrtoul(s, 0, math.MaxUint32)
	if !ok {
		return 0, 0, bad
	}
	if rest == "" {
		return uint32(vv), math.MaxUint32, nil
	}
	if rest[0] != '/' {
		return 0, 0, garbage
	}
	mv, rest, ok := tbStrtoul(rest[1:], 0, math.MaxUint32)
	if !ok {
		return 0, 0, bad
	}
	if rest != "" {
		return 0, 0, garbage
	}
	return uint32(vv), uint32(mv), nil
}

// tbHex prints v as C's "0x%x".
func tbHex(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }

// tbHexPad prints v as C's "0x%0Nx".
func tbHexPad(v uint64, n int) string {
	s := strconv.FormatUint(v, 16)
	for len(s) < n {
		s = "0" + s
	}
	return "0x" + s
}

// tbMarkPair prints "0xV/0xM" as the MARK and CONNMARK saves do.
func tbMarkPair(v, m uint32) string { return tbHex(uint64(v)) + "/" + tbHex(uint64(m)) }
