package compat

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// time: -m time (struct xt_time_info, 24 bytes): u32 date_start, u32
// date_stop (seconds since the epoch, UTC), u32 daytime_start, u32
// daytime_stop (seconds of the day), u32 monthdays_match (bit N = day N),
// u8 weekdays_match (bit 1 = Monday ... bit 7 = Sunday), u8 flags
// (LOCAL_TZ 1, CONTIGUOUS 2), 2 bytes padding. Defaults: every day,
// 00:00:00-23:59:59, date_stop INT_MAX, which -S prints as --datestop
// 2038-01-19T03:14:07. --utc leaves no trace in the structure but
// excludes --kerneltz and --localtz.

type timeInfo struct {
	dateStart, dateStop       uint32
	daytimeStart, daytimeStop uint32
	monthdays                 uint32
	weekdays, flags           uint8
}

func (t *timeInfo) unmarshal(b []byte) {
	t.dateStart, t.dateStop = hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:])
	t.daytimeStart, t.daytimeStop = hostOrder.Uint32(b[8:]), hostOrder.Uint32(b[12:])
	t.monthdays, t.weekdays, t.flags = hostOrder.Uint32(b[16:]), b[20], b[21]
}

func (t *timeInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], t.dateStart)
	hostOrder.PutUint32(b[4:], t.dateStop)
	hostOrder.PutUint32(b[8:], t.daytimeStart)
	hostOrder.PutUint32(b[12:], t.daytimeStop)
	hostOrder.PutUint32(b[16:], t.monthdays)
	b[20], b[21] = t.weekdays, t.flags
}

const (
	timeLocalTZ      = 0x01
	timeContiguous   = 0x02
	timeAllMonthdays = 0xfffffffe
	timeAllWeekdays  = 0xfe
	timeMaxDaytime   = 24*60*60 - 1
	timeDateStop     = 0x7fffffff
)

var timeWeekDays = []string{"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

const (
	timeOptDateStart = iota
	timeOptDateStop
	timeOptTimeStart
	timeOptTimeStop
	timeOptContiguous
	timeOptMonthdays
	timeOptWeekdays
	timeOptLocalTZ
	timeOptUTC
	timeOptKernelTZ
)

func init() {
	Register(&Extension{
		Name: "time", Revision: 0, Size: 24,
		Options: []Option{
			{Name: "datestart", ID: timeOptDateStart, Type: TypeString},
			{Name: "datestop", ID: timeOptDateStop, Type: TypeString},
			{Name: "timestart", ID: timeOptTimeStart, Type: TypeString},
			{Name: "timestop", ID: timeOptTimeStop, Type: TypeString},
			{Name: "contiguous", ID: timeOptContiguous},
			{Name: "weekdays", ID: timeOptWeekdays, Type: TypeString, Flags: Invert},
			{Name: "monthdays", ID: timeOptMonthdays, Type: TypeString, Flags: Invert},
			{Name: "localtz", ID: timeOptLocalTZ},
			{Name: "utc", ID: timeOptUTC},
			{Name: "kerneltz", ID: timeOptKernelTZ},
		},
		Init: func(info []byte, _ *ParseContext) {
			t := timeInfo{dateStop: timeDateStop, daytimeStop: timeMaxDaytime, monthdays: timeAllMonthdays, weekdays: timeAllWeekdays}
			t.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error {
			var t timeInfo
			t.unmarshal(info)
			if err := t.parse(c); err != nil {
				return err
			}
			t.marshal(info)
			return nil
		},
		Final: func(info []byte, _ *ParseContext) error {
			var t timeInfo
			t.unmarshal(info)
			if t.flags&timeContiguous != 0 && t.daytimeStart < t.daytimeStop {
				return badSpec("--contiguous", "time: --contiguous only makes sense when stoptime is smaller than starttime")
			}
			return nil
		},
		Save:  timeSave,
		Print: timePrint,
	})
}

func (t *timeInfo) parse(c *OptionCall) error {
	var err error
	switch c.Option.ID {
	case timeOptDateStart:
		t.dateStart, err = timeParseDate(c.Arg())
	case timeOptDateStop:
		t.dateStop, err = timeParseDate(c.Arg())
	case timeOptTimeStart:
		t.daytimeStart, err = timeParseDaytime(c.Arg())
	case timeOptTimeStop:
		t.daytimeStop, err = timeParseDaytime(c.Arg())
	case timeOptContiguous:
		t.flags |= timeContiguous
	case timeOptLocalTZ, timeOptKernelTZ:
		// The engine marked this option given; --utc leaves only that mark.
		if c.given()&(1<<timeOptUTC) != 0 {
			return badSpec("--"+c.Option.Name, "time: option \"--%s\" cannot be used together with \"--utc\".", c.Option.Name)
		}
		t.flags |= timeLocalTZ
	case timeOptUTC:
		if t.flags&timeLocalTZ != 0 {
			return badSpec("--utc", "time: option \"--utc\" cannot be used together with \"--kerneltz\".")
		}
	case timeOptMonthdays:
		m, err := timeParseMonthdays(c.Arg())
		if err != nil {
			return err
		}
		if c.Invert {
			m ^= timeAllMonthdays
		}
		t.monthdays = m
	case timeOptWeekdays:
		m, err := timeParseWeekdays(c.Arg())
		if err != nil {
			return err
		}
		if c.Invert {
			m ^= timeAllWeekdays
		}
		t.weekdays = m
	}
	return err
}

// timeStrtoul is C's strtoul(s, &e, base) stored in an unsigned int.
func timeStrtoul(s string, base uint64) (uint32, string) {
	v, end, _ := strtoul(s, base)
	return uint32(v), s[end:]
}

// timeParseDate parses YYYY[-MM[-DD[Thh[:mm[:ss]]]]] as UTC, normalising
// out-of-range days and months as mktime does.
func timeParseDate(arg string) (uint32, error) {
	bad := badSpec(arg, "Invalid date \"%s\" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]", arg)
	fields := []struct {
		sep byte
		max uint32
	}{{'-', 12}, {'T', 31}, {':', 23}, {':', 59}, {0, 59}}
	vals := [6]uint32{0, 1, 1, 0, 0, 0}
	year, e := timeStrtoul(arg, 10)
	if (e != "" && e[0] != '-') || year < 1970 || year > 2038 {
		return 0, bad
	}
	vals[0] = year
	for i := 0; e != ""; i++ {
		s := e[1:]
		var v uint32
		v, e = timeStrtoul(s, 10)
		f := fields[i]
		if (e != "" && (f.sep == 0 || e[0] != f.sep)) || v > f.max {
			return 0, bad
		}
		vals[i+1] = v
	}
	t := time.Date(int(vals[0]), time.Month(vals[1]), int(vals[2]), int(vals[3]), int(vals[4]), int(vals[5]), 0, time.UTC).Unix()
	if t < 0 {
		return 0, badSpec(arg, "mktime returned an error")
	}
	return uint32(t), nil
}

func timeParseDaytime(arg string) (uint32, error) {
	bad := badSpec(arg, "invalid time \"%s\" specified, should be hh:mm[:ss] format and within the boundaries", arg)
	hour, e := timeStrtoul(arg, 10)
	if e == "" || e[0] != ':' || hour > 23 {
		return 0, bad
	}
	minute, e := timeStrtoul(e[1:], 10)
	if (e != "" && e[0] != ':') || minute > 59 {
		return 0, bad
	}
	var second uint32
	if e != "" {
		second, e = timeStrtoul(e[1:], 10)
		if e != "" || second > 59 {
			return 0, bad
		}
	}
	return 3600*hour + 60*minute + second, nil
}

// timeSegments splits a list at commas as my_strseg does, cutting each
// piece to n-1 bytes (its snprintf into a char[n]).
func timeSegments(arg string, n int) []string {
	var out []string
	for arg != "" {
		seg, rest, more := strings.Cut(arg, ",")
		if len(seg) > n-1 {
			seg = seg[:n-1]
		}
		out = append(out, seg)
		if !more {
			break
		}
		arg = rest
	}
	return out
}

func timeParseMonthdays(arg string) (uint32, error) {
	var ret uint32
	for _, day := range timeSegments(arg, 3) {
		v, end, _ := strtoul(day, 0)
		i := uint32(v)
		if (end < len(day) && day[end] != ',') || i > 31 {
			return 0, badSpec(arg, "%s is not a valid day for --monthdays", day)
		}
		ret |= 1 << i
	}
	return ret, nil
}

func timeParseWeekdays(arg string) (uint8, error) {
	var ret uint32
	for _, day := range timeSegments(arg, 4) {
		v, end, _ := strtoul(day, 0)
		if end == len(day) {
			i := uint32(v)
			if i == 0 {
				return 0, badSpec(arg, "No, the week does NOT begin with Sunday.")
			}
			ret |= 1 << (i & 31)
			continue
		}
		valid := false
		for i := 1; i < len(timeWeekDays); i++ {
			if len(day) >= 2 && day[:2] == timeWeekDays[i][:2] {
				ret |= 1 << i
				valid = true
			}
		}
		if !valid {
			return 0, badSpec(arg, "%s is not a valid day specifier", day)
		}
	}
	return uint8(ret), nil
}

func timeDaytime(t uint32) string {
	return fmt.Sprintf("%02d:%02d:%02d", t/3600, t/60%60, t%60)
}

func timeMonthdays(mask uint32, human bool) string {
	var parts []string
	for i := 1; i <= 31; i++ {
		if mask&(1<<i) == 0 {
			continue
		}
		s := strconv.Itoa(i)
		if human {
			switch i % 10 {
			case 1:
				s += "st"
			case 2:
				s += "nd"
			case 3:
				s += "rd"
			default:
				s += "th"
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}

func timeWeekdays(mask uint8) string {
	var parts []string
	for i := 1; i <= 7; i++ {
		if mask&(1<<i) != 0 {
			parts = append(parts, timeWeekDays[i])
		}
	}
	return strings.Join(parts, ",")
}

func timeDate(d uint32, sep string) string {
	t := time.Unix(int64(d), 0).UTC()
	return fmt.Sprintf("%04d-%02d-%02d%s%02d:%02d:%02d", t.Year(), int(t.Month()), t.Day(), sep, t.Hour(), t.Minute(), t.Second())
}

func timeSave(info []byte, w *Writer) {
	var t timeInfo
	t.unmarshal(info)
	start, stop := t.daytimeStart, t.daytimeStop
	if start != 0 || stop != timeMaxDaytime {
		w.Opt(false, "timestart", timeDaytime(start))
		w.Opt(false, "timestop", timeDaytime(stop))
	}
	if m := t.monthdays; m != timeAllMonthdays {
		w.Opt(false, "monthdays", timeMonthdays(m, false))
	}
	if m := t.weekdays; m != timeAllWeekdays {
		w.Opt(false, "weekdays", timeWeekdays(m))
	}
	if d := t.dateStart; d != 0 {
		w.Opt(false, "datestart", timeDate(d, "T"))
	}
	if d := t.dateStop; d != 0 {
		w.Opt(false, "datestop", timeDate(d, "T"))
	}
	if t.flags&timeLocalTZ != 0 {
		w.Opt(false, "kerneltz")
	}
	if t.flags&timeContiguous != 0 {
		w.Opt(false, "contiguous")
	}
}

func timePrint(info []byte, w *Writer) {
	var t timeInfo
	t.unmarshal(info)
	w.WriteString(" TIME")
	start, stop := t.daytimeStart, t.daytimeStop
	if start != 0 || stop != timeMaxDaytime {
		w.WriteString(" from " + timeDaytime(start) + " to " + timeDaytime(stop))
	}
	if m := t.weekdays; m != timeAllWeekdays {
		w.WriteString(" on " + timeWeekdays(m))
	}
	if m := t.monthdays; m != timeAllMonthdays {
		w.WriteString(" on " + timeMonthdays(m, true))
	}
	if d := t.dateStart; d != 0 {
		w.WriteString(" starting from " + timeDate(d, " "))
	}
	if d := t.dateStop; d != timeDateStop {
		w.WriteString(" until date")
		if d != 0 {
			w.WriteString(" " + timeDate(d, " "))
		}
	}
	if t.flags&timeLocalTZ == 0 {
		w.WriteString(" UTC")
	}
	if t.flags&timeContiguous != 0 {
		w.WriteString(" contiguous")
	}
}
