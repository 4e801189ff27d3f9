package nft

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// The types of meta time, day and hour (meta.c): the kernel compares UTC
// nanoseconds, seconds since midnight UTC and the weekday; nft reads and
// prints them in local time.

const secondsPerDay = 24 * 60 * 60

// gmtOffset is the local zone's offset from UTC, in seconds, at t.
func gmtOffset(t time.Time) int64 {
	_, off := t.In(time.Local).Zone()
	return int64(off)
}

// parseDate reads "YYYY-MM-DD[ HH:MM[:SS]]" in local time, or seconds
// since the epoch, into nanoseconds.
func parseDate(dt *Datatype, s string) ([]byte, error) {
	var secs int64
	parsed := false
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			secs = t.Unix()
			secs -= gmtOffset(time.Unix(secs, 0))
			parsed = true
			break
		}
	}
	if !parsed {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("Cannot parse date")
		}
		secs = int64(v)
	}
	return uintBytes(uint64(secs)*1000000000, 8), nil
}

func formatDate(_ *Datatype, b []byte, _ *PrintOptions) string {
	secs := int64(new(big.Int).SetBytes(b).Uint64() / 1000000000)
	secs += gmtOffset(time.Unix(secs, 0))
	return `"` + time.Unix(secs, 0).UTC().Format("2006-01-02 15:04:05") + `"`
}

// errValueRange is a number past the largest value a type allows; no
// other reading of the word is tried.
type errValueRange struct {
	s   string
	max uint64
}

func (*errValueRange) final() {} // a finalError

func (e *errValueRange) Error() string {
	return fmt.Sprintf("Value %s exceeds valid range 0-%d", e.s, e.max)
}

// parseDay reads a day's name or its number, 0 (Sunday) to 6.
func parseDay(dt *Datatype, s string) ([]byte, error) {
	if v, ok := dt.lookupSymbol(s); ok {
		return uintBytes(v, 1), nil
	}
	v, ok := parseInteger(s)
	if !ok {
		return nil, fmt.Errorf("Could not parse %s", dt.Desc)
	}
	if !v.IsUint64() || v.Uint64() > 6 {
		return nil, &errValueRange{s, 6}
	}
	return uintBytes(v.Uint64(), 1), nil
}

func formatDay(dt *Datatype, b []byte, o *PrintOptions) string {
	v := new(big.Int).SetBytes(b)
	if !o.Numeric && v.IsUint64() {
		for _, sym := range dt.Symbols {
			if sym.val == v.Uint64() {
				return strconv.Quote(sym.name)
			}
		}
	}
	return v.String()
}

// parseHour reads seconds since midnight, or "HH:MM[:SS]" in local time.
func parseHour(_ *Datatype, s string) ([]byte, error) {
	if v, err := strconv.ParseUint(s, 10, 32); err == nil {
		return uintBytes(v, 4), nil
	}
	var h, m, sec int
	parts := strings.Split(s, ":")
	ok := len(parts) == 2 || len(parts) == 3
	for i, p := range parts {
		if !ok {
			break
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			ok = false
			break
		}
		switch i {
		case 0:
			h = v
		case 1:
			m = v
		case 2:
			sec = v
		}
	}
	if !ok || h > 23 || m > 59 || sec > 60 {
		return nil, fmt.Errorf("Can't parse trailing input: \"%s\"\n", s)
	}
	res := int64(h*3600 + m*60 + sec)
	off := gmtOffset(time.Now())
	if res >= off {
		res = (res - off) % secondsPerDay
	} else {
		res = secondsPerDay - off + res
	}
	return uintBytes(uint64(res), 4), nil
}

func formatHour(_ *Datatype, b []byte, _ *PrintOptions) string {
	secs := int64(new(big.Int).SetBytes(b).Uint64())
	secs = ((secs+gmtOffset(time.Now()))%secondsPerDay + secondsPerDay) % secondsPerDay
	s := fmt.Sprintf("\"%02d:%02d", secs/3600, secs/60%60)
	if secs%60 != 0 {
		s += fmt.Sprintf(":%02d", secs%60)
	}
	return s + `"`
}
