package compat

import (
	"math"
	"strconv"
	"strings"
)

// RATEEST: -j RATEEST (struct xt_rateest_target_info, 32 bytes): char
// name[16] (cut to 15 bytes), s8 interval, u8 ewma_log, a kernel pointer
// (0). --rateest-interval and --rateest-ewmalog take times (a number with
// s/sec/secs, ms/msec/msecs or us/usec/usecs; microseconds when bare) and
// are turned, once all options are read, into the structure's exponents
// as iptables' final check does: interval = i - 2 for the first i in 0..5
// with time <= 250ms << i, ewma_log the largest whose averaging constant
// stays below the given one (1-30). All three options are required. -S
// prints the times back from the exponents ("250.0ms", "1.0s", "125us"),
// -L the same without "--rateest-" ("name r interval 250.0ms ...").

type rateestInfo struct {
	name     [16]byte
	interval int8
	ewmaLog  uint8
}

func (r *rateestInfo) unmarshal(b []byte) {
	copy(r.name[:], b[0:16])
	r.interval, r.ewmaLog = int8(b[16]), b[17]
}

func (r *rateestInfo) marshal(b []byte) {
	copy(b[0:16], r.name[:])
	b[16], b[17] = byte(r.interval), r.ewmaLog
}

const (
	rateestOptName = iota
	rateestOptInterval
	rateestOptEwmalog
)

const rateestUnitsPerSec = 1000000

func init() {
	Register(&Extension{
		Name: "RATEEST", Target: true, Revision: 0, Size: 32,
		Options: []Option{
			{Name: "rateest-name", ID: rateestOptName, Type: TypeString, Flags: Mandatory},
			{Name: "rateest-interval", ID: rateestOptInterval, Type: TypeString, Flags: Mandatory},
			{Name: "rateest-ewmalog", ID: rateestOptEwmalog, Type: TypeString, Flags: Mandatory},
		},
		Parse: func(info []byte, c *OptionCall) error {
			a := c.Arg()
			if c.Option.ID == rateestOptName {
				var r rateestInfo
				r.unmarshal(info)
				putCString(r.name[:], a)
				r.marshal(info)
				return nil
			}
			// The times become exponents once both are known (Final).
			t, ok := rateestTime(a)
			if !ok {
				what := "interval"
				if c.Option.ID == rateestOptEwmalog {
					what = "ewmalog"
				}
				return badSpec(a, "RATEEST: bad %s value \"%s\"", what, a)
			}
			c.keep(c.Option.ID-rateestOptInterval, t)
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			vals := ctx.kept()
			interval, ewma := vals[0], vals[1]
			i := 0
			for ; i <= 5; i++ {
				if uint64(interval) <= uint64(1<<i)*(rateestUnitsPerSec/4) {
					break
				}
			}
			if i > 5 {
				return badSpec("--rateest-interval", "RATEEST: interval value is too large")
			}
			e := 1
			for ; e < 32; e++ {
				w := 1.0 - 1.0/float64(int32(uint32(1)<<e))
				if float64(interval)/(-math.Log(w)) > float64(ewma) {
					break
				}
			}
			e--
			if e == 0 || e >= 31 {
				return badSpec("--rateest-ewmalog", "RATEEST: ewmalog value is out of range")
			}
			var r rateestInfo
			r.unmarshal(info)
			r.interval, r.ewmaLog = int8(i-2), byte(e)
			r.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) { rateestWrite(info, w, "") },
		Save:  func(info []byte, w *Writer) { rateestWrite(info, w, "--rateest-") },
	})
}

// rateestWrite prints the estimator as -L (prefix "") and -S (prefix
// "--rateest-") do.
func rateestWrite(info []byte, w *Writer, prefix string) {
	var r rateestInfo
	r.unmarshal(info)
	interval := uint32(int32(uint32(rateestUnitsPerSec)<<(uint(r.interval+2)&31)) / 4)
	ewma := interval * uint32(int32(1)<<(uint(r.ewmaLog)&31))
	w.WriteString(" " + prefix + "name " + cString(r.name[:]))
	w.WriteString(" " + prefix + "interval " + rateestFormat(interval))
	w.WriteString(" " + prefix + "ewmalog " + rateestFormat(ewma))
}

// rateestTime parses a time as iptables' RATEEST_get_time does (strtod,
// then an optional unit), in microseconds converted to unsigned int.
func rateestTime(s string) (uint32, bool) {
	n := floatPrefix(s)
	if n == 0 {
		return 0, false
	}
	t, err := strconv.ParseFloat(strings.TrimLeft(s[:n], cSpaces), 64)
	if err != nil && !strings.Contains(err.Error(), "range") {
		return 0, false
	}
	switch u := strings.ToLower(s[n:]); u {
	case "":
	case "s", "sec", "secs":
		t *= rateestUnitsPerSec
	case "ms", "msec", "msecs":
		t *= rateestUnitsPerSec / 1000
	case "us", "usec", "usecs":
	default:
		return 0, false
	}
	// C converts double to unsigned int through a 64-bit integer.
	if math.IsNaN(t) || t >= 1<<63 || t < -(1<<63) {
		return 0, true
	}
	return uint32(int64(t)), true
}

// floatPrefix returns the length of the decimal floating-point number
// strtod would read at the start of s (0 when none).
func floatPrefix(s string) int {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	return i
}

// rateestFormat prints a time in microseconds as RATEEST_print_time.
func rateestFormat(t uint32) string {
	f := float64(t)
	switch {
	case f >= rateestUnitsPerSec:
		return strconv.FormatFloat(f/rateestUnitsPerSec, 'f', 1, 64) + "s"
	case f >= rateestUnitsPerSec/1000:
		return strconv.FormatFloat(f/(rateestUnitsPerSec/1000), 'f', 1, 64) + "ms"
	default:
		return strconv.FormatUint(uint64(t), 10) + "us"
	}
}
