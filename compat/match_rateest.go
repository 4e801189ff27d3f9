package compat

import (
	"math"
	"strconv"
	"strings"
)

// rateest: -m rateest, the rates of estimators made by -j RATEEST
// (target_rateest.go), compared with given rates (--rateest NAME, the
// absolute mode) or with another estimator's (--rateest1 NAME ...
// --rateest2 NAME, the relative mode). Struct xt_rateest_match_info (72
// bytes): char name1[16] @0, name2[16] @16 (cut to 15 bytes), u16 flags
// @32 (INVERT 1, ABS 2, REL 4, DELTA 8, BPS 0x10, PPS 0x20), u16 mode @34
// (EQ 1, LT 2, GT 3), u32 bps1 @36, pps1 @40, bps2 @44, pps2 @48 (host
// order; bps in bytes per second), two kernel pointers (0).
//
// iptables parses it the old way: the rate options take the next word as
// their rate only when there is one that starts with neither '-' nor '!'
// (TypeOptional), and each option refuses "!" and a second use in its
// own words. The final check sets ABS unless --rateest2 set REL; the
// kernel refuses a rule with neither bps nor pps or without
// --rateest-lt/-gt/-eq (EINVAL), and one naming no estimator (ENOENT).

type rateestMatchInfo struct {
	name1, name2           [16]byte
	flags, mode            uint16
	bps1, pps1, bps2, pps2 uint32
}

const (
	rateestInvert = 1 << iota
	rateestAbs
	rateestRel
	rateestDelta
	rateestBps
	rateestPps
)

const (
	rateestModeEq = 1 + iota
	rateestModeLt
	rateestModeGt
)

func (r *rateestMatchInfo) unmarshal(b []byte) {
	copy(r.name1[:], b[0:16])
	copy(r.name2[:], b[16:32])
	r.flags, r.mode = hostOrder.Uint16(b[32:]), hostOrder.Uint16(b[34:])
	r.bps1, r.pps1 = hostOrder.Uint32(b[36:]), hostOrder.Uint32(b[40:])
	r.bps2, r.pps2 = hostOrder.Uint32(b[44:]), hostOrder.Uint32(b[48:])
}

func (r *rateestMatchInfo) marshal(b []byte) {
	copy(b[0:16], r.name1[:])
	copy(b[16:32], r.name2[:])
	hostOrder.PutUint16(b[32:], r.flags)
	hostOrder.PutUint16(b[34:], r.mode)
	hostOrder.PutUint32(b[36:], r.bps1)
	hostOrder.PutUint32(b[40:], r.pps1)
	hostOrder.PutUint32(b[44:], r.bps2)
	hostOrder.PutUint32(b[48:], r.pps2)
}

// Option IDs: iptables' option codes, whose bits it keeps to refuse a
// second use (--rateest and --rateest1 are one, as are --rateest-bps and
// --rateest-bps2, --rateest-pps and --rateest-pps2).
const (
	rateestOpt1 = iota
	rateestOpt2
	rateestOptBps1
	rateestOptPps1
	rateestOptBps2
	rateestOptPps2
	rateestOptDelta
	rateestOptLt
	rateestOptGt
	rateestOptEq
)

// rateestOptionWords are, by option ID, the name a second use is refused
// with ("can't specify --NAME twice") and the one "!" is refused with
// ("NAME can't be inverted"; "" when "!" is allowed).
var rateestOptionWords = [...]struct{ twice, noInvert string }{
	rateestOpt1:     {"--rateest1", "rateest"},
	rateestOpt2:     {"--rateest2", "rateest"},
	rateestOptBps1:  {"--rateest-bps1", "rateest-bps"},
	rateestOptPps1:  {"--rateest-pps1", "rateest-pps"},
	rateestOptBps2:  {"--rateest-bps2", "rateest-bps"},
	rateestOptPps2:  {"--rateest-pps2", "rateest-pps"},
	rateestOptDelta: {"--rateest-delta", "rateest-delta"},
	rateestOptLt:    {"lt/gt/eq", ""},
	rateestOptGt:    {"lt/gt/eq", ""},
	rateestOptEq:    {"lt/gt/eq", ""},
}

func init() {
	// The engine lets "!" and repeats through (Invert, Multi): rateest
	// refuses them itself, in its own words (Parse).
	const f = Invert | Multi
	Register(&Extension{
		Name: "rateest", Revision: 0, Size: 72,
		Options: []Option{
			{Name: "rateest1", Aliases: []string{"rateest"}, ID: rateestOpt1, Type: TypeString, Flags: f},
			{Name: "rateest2", ID: rateestOpt2, Type: TypeString, Flags: f},
			{Name: "rateest-bps1", ID: rateestOptBps1, Type: TypeOptional, Flags: f},
			{Name: "rateest-pps1", ID: rateestOptPps1, Type: TypeOptional, Flags: f},
			{Name: "rateest-bps2", Aliases: []string{"rateest-bps"}, ID: rateestOptBps2, Type: TypeOptional, Flags: f},
			{Name: "rateest-pps2", Aliases: []string{"rateest-pps"}, ID: rateestOptPps2, Type: TypeOptional, Flags: f},
			{Name: "rateest-delta", ID: rateestOptDelta, Flags: f},
			{Name: "rateest-lt", ID: rateestOptLt, Flags: f},
			{Name: "rateest-gt", ID: rateestOptGt, Flags: f},
			{Name: "rateest-eq", ID: rateestOptEq, Flags: f},
		},
		Parse: func(info []byte, c *OptionCall) error {
			return parseInto(info, func(r *rateestMatchInfo) error { return r.parse(c) })
		},
		Final: func(info []byte, _ *ParseContext) error {
			var r rateestMatchInfo
			r.unmarshal(info)
			if r.flags&rateestRel == 0 {
				r.flags |= rateestAbs
				r.marshal(info)
			}
			if r.flags&(rateestBps|rateestPps) == 0 {
				return kernelRefuses("-m rateest", "rateest match: no rate to compare (--rateest-bps or --rateest-pps)")
			}
			if r.mode < rateestModeEq || r.mode > rateestModeGt {
				return kernelRefuses("-m rateest", "rateest match: no comparison (--rateest-lt, --rateest-gt or --rateest-eq)")
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var r rateestMatchInfo
			r.unmarshal(info)
			r.save(w)
		},
		Print: func(info []byte, w *Writer) {
			var r rateestMatchInfo
			r.unmarshal(info)
			r.print(w)
		},
	})
}

func (r *rateestMatchInfo) parse(c *OptionCall) error {
	id := c.Option.ID
	words := rateestOptionWords[id]
	if c.Invert && words.noInvert != "" {
		return badSpec("--"+c.Option.Name, "rateest: %s can't be inverted", words.noInvert)
	}
	// The options given so far, as iptables' flags (the engine's given
	// set already holds this one).
	seen := c.kept()[0]
	if seen&(1<<id) != 0 {
		return badSpec("--"+c.Option.Name, "rateest: can't specify %s twice", words.twice)
	}
	c.keep(0, seen|1<<id)
	switch id {
	case rateestOpt1:
		putCString(r.name1[:], c.Arg())
	case rateestOpt2:
		putCString(r.name2[:], c.Arg())
		r.flags |= rateestRel
	case rateestOptBps1, rateestOptBps2:
		r.flags |= rateestBps
		if len(c.Args) == 0 {
			break
		}
		v, ok := rateestRate(c.Arg())
		if !ok {
			return badSpec(c.Arg(), "rateest: could not parse rate `%s'", c.Arg())
		}
		if id == rateestOptBps1 {
			r.bps1 = v
		} else {
			r.bps2 = v
		}
	case rateestOptPps1, rateestOptPps2:
		r.flags |= rateestPps
		if len(c.Args) == 0 {
			break
		}
		v, ok := xtParseUint(c.Arg(), 0, math.MaxUint32)
		if !ok {
			return badSpec(c.Arg(), "rateest: could not parse pps `%s'", c.Arg())
		}
		if id == rateestOptPps1 {
			r.pps1 = uint32(v)
		} else {
			r.pps2 = uint32(v)
		}
	case rateestOptDelta:
		r.flags |= rateestDelta
	case rateestOptLt, rateestOptGt, rateestOptEq:
		r.mode = map[int]uint16{rateestOptLt: rateestModeLt, rateestOptGt: rateestModeGt, rateestOptEq: rateestModeEq}[id]
		if c.Invert {
			r.flags |= rateestInvert
		}
	}
	return nil
}

// rateestSuffixes are the rate units (iproute2's), compared caselessly
// in this order, with their bits each.
var rateestSuffixes = []struct {
	name  string
	scale float64
}{
	{"bit", 1}, {"Kibit", 1024}, {"kbit", 1000}, {"Mibit", 1024 * 1024},
	{"mbit", 1000000}, {"Gibit", 1024 * 1024 * 1024}, {"gbit", 1000000000},
	{"Tibit", 1024 * 1024 * 1024 * 1024}, {"tbit", 1000000000000},
	{"Bps", 8}, {"KiBps", 8 * 1024}, {"KBps", 8000}, {"MiBps", 8 * 1024 * 1024},
	{"MBps", 8000000}, {"GiBps", 8 * 1024 * 1024 * 1024}, {"GBps", 8000000000},
	{"TiBps", 8 * 1024 * 1024 * 1024 * 1024}, {"TBps", 8000000000000},
}

// rateestRate reads a rate as rateest_get_rate does: a number as strtod
// reads it (bytes per second when bare), or followed by a unit, in bytes
// per second converted to an unsigned int as C converts a double.
func rateestRate(s string) (uint32, bool) {
	v, n := strtod(s)
	if n == 0 {
		return 0, false
	}
	if s[n:] == "" {
		return cDoubleToUint32(v / 8), true
	}
	for _, u := range rateestSuffixes {
		if strings.EqualFold(u.name, s[n:]) {
			return cDoubleToUint32(v * u.scale / 8), true
		}
	}
	return 0, false
}

// cDoubleToUint32 converts as C does on x86-64 (through a 64-bit
// integer; NaN and what does not fit give 0).
func cDoubleToUint32(v float64) uint32 {
	if math.IsNaN(v) || v >= 1<<63 || v < -(1<<63) {
		return 0
	}
	return uint32(int64(v))
}

// strtod reads the number glibc's strtod reads at the start of s: its
// value and length (0 when there is none). Besides decimal numbers
// (floatPrefix) it reads hexadecimal ones ("0x1.8p3"), "inf",
// "infinity" and "nan" (with "(chars)").
func strtod(s string) (float64, int) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	start := i
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := func(v float64) float64 {
		if neg {
			return -v
		}
		return v
	}
	rest := s[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		return sign(math.Inf(1)), i + 8
	case hasPrefixFold(rest, "inf"):
		return sign(math.Inf(1)), i + 3
	case hasPrefixFold(rest, "nan"):
		n := i + 3
		if j := strings.IndexByte(s[n:], ')'); n < len(s) && s[n] == '(' && j > 0 {
			k := n + 1
			for k < n+j && (isAlnum(s[k]) || s[k] == '_') {
				k++
			}
			if k == n+j {
				n += j + 1
			}
		}
		return math.NaN(), n
	case len(rest) > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X'):
		if v, n, ok := hexFloat(rest[2:]); ok {
			return sign(v), i + 2 + n
		}
		return sign(0), i + 1 // "0x" without digits: the 0
	}
	n := floatPrefix(s)
	if n == 0 {
		return 0, 0
	}
	v, err := strconv.ParseFloat(s[start:n], 64)
	if err != nil && !strings.Contains(err.Error(), "range") {
		return 0, 0
	}
	return v, n
}

// hexFloat reads the hexadecimal digits, point and binary exponent that
// follow "0x" in a number strtod reads; ok false when no digit follows.
func hexFloat(s string) (v float64, n int, ok bool) {
	isHex := func(c byte) bool { return digitValue(c) < 16 }
	digits := 0
	for n < len(s) && isHex(s[n]) {
		n++
		digits++
	}
	if n < len(s) && s[n] == '.' {
		n++
		for n < len(s) && isHex(s[n]) {
			n++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	mant := s[:n]
	exp := "p0"
	if n < len(s) && (s[n] == 'p' || s[n] == 'P') {
		j := n + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			exp, n = s[n:j], j
		}
	}
	if strings.HasPrefix(mant, ".") {
		mant = "0" + mant
	}
	v, err := strconv.ParseFloat("0x"+mant+exp, 64)
	if err != nil && !strings.Contains(err.Error(), "range") {
		return 0, 0, false
	}
	return v, n, true
}

func isAlnum(c byte) bool { return digitValue(c) < 36 }

// rateestRateText prints a rate as rateest_print_rate does: bytes per
// second with -n (numeric), else bits per second in bit, Kbit or Mbit.
func rateestRateText(rate uint32, numeric bool) string {
	if numeric {
		return " " + utoa(rate)
	}
	bits := float64(rate) * 8
	switch {
	case bits >= 1000*1000000:
		return " " + strconv.FormatFloat(bits/1000000, 'f', 0, 64) + "Mbit"
	case bits >= 1000*1000:
		return " " + strconv.FormatFloat(bits/1000, 'f', 0, 64) + "Kbit"
	}
	return " " + strconv.FormatFloat(bits, 'f', 0, 64) + "bit"
}

// modeText is " [!] PREFIXlt" (gt, eq; nothing for another mode).
func (r *rateestMatchInfo) modeText(prefix string) string {
	inv := ""
	if r.flags&rateestInvert != 0 {
		inv = " !"
	}
	switch r.mode {
	case rateestModeEq:
		return inv + " " + prefix + "eq"
	case rateestModeLt:
		return inv + " " + prefix + "lt"
	case rateestModeGt:
		return inv + " " + prefix + "gt"
	}
	return inv
}

func (r *rateestMatchInfo) print(w *Writer) {
	num := w.Numeric()
	delta := r.flags&rateestDelta != 0
	w.WriteString(" rateest match " + cString(r.name1[:]))
	if delta {
		w.WriteString(" delta")
	}
	if r.flags&rateestBps != 0 {
		w.WriteString(" bps")
		if delta {
			w.WriteString(rateestRateText(r.bps1, num))
		}
		if r.flags&rateestAbs != 0 {
			w.WriteString(rateestRateText(r.bps2, num) + r.modeText(""))
		}
	}
	if r.flags&rateestPps != 0 {
		w.WriteString(" pps")
		if delta {
			w.WriteString(" " + utoa(r.pps1))
		}
		if r.flags&rateestAbs != 0 {
			w.WriteString(r.modeText("") + " " + utoa(r.pps2))
		}
	}
	if r.flags&rateestRel != 0 {
		w.WriteString(r.modeText("") + " " + cString(r.name2[:]))
		if r.flags&rateestBps != 0 {
			w.WriteString(" bps")
			if delta {
				w.WriteString(rateestRateText(r.bps2, num))
			}
		}
		if r.flags&rateestPps != 0 {
			w.WriteString(" pps")
			if delta {
				w.WriteString(" " + utoa(r.pps2))
			}
		}
	}
}

func (r *rateestMatchInfo) save(w *Writer) {
	if r.flags&rateestDelta != 0 {
		w.Opt(false, "rateest-delta")
	}
	if r.flags&rateestRel != 0 {
		w.Opt(false, "rateest1", cString(r.name1[:]))
		r.saveRates(w)
		w.Opt(false, "rateest2", cString(r.name2[:]))
		return
	}
	w.Opt(false, "rateest", cString(r.name1[:]))
	r.saveRates(w)
}

// saveRates writes the bps and pps comparisons (pps as numbers).
func (r *rateestMatchInfo) saveRates(w *Writer) {
	rate := func(name string, r1, r2 uint32, numeric bool) {
		if r.flags&rateestDelta != 0 {
			w.WriteString(" --rateest-" + name + "1" + rateestRateText(r1, numeric) + r.modeText("--rateest-") + " --rateest-" + name + "2")
		} else {
			w.WriteString(r.modeText("--rateest-") + " --rateest-" + name)
		}
		if r.flags&(rateestAbs|rateestDelta) != 0 {
			w.WriteString(rateestRateText(r2, numeric))
		}
	}
	if r.flags&rateestBps != 0 {
		rate("bps", r.bps1, r.bps2, false)
	}
	if r.flags&rateestPps != 0 {
		rate("pps", r.pps1, r.pps2, true)
	}
}
