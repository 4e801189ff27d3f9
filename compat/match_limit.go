package compat

import (
	"strconv"
	"strings"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
)

// limit: -m limit (struct xt_rateinfo, 40 bytes on 64-bit): u32 avg @0
// (seconds per packet × XT_LIMIT_SCALE), u32 burst @4, then kernel-private
// state. Always native: an nftables limit expression.

const (
	limitScale        = 10000
	limitDefaultBurst = 5
)

var limitUnits = []struct {
	name string
	mult uint32
}{
	{"day", limitScale * 24 * 60 * 60},
	{"hour", limitScale * 60 * 60},
	{"min", limitScale * 60},
	{"sec", limitScale},
}

// limitInfo is the part of struct xt_rateinfo iptables fills.
type limitInfo struct{ avg, burst uint32 }

func (l *limitInfo) unmarshal(b []byte) {
	l.avg, l.burst = hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:])
}

func (l *limitInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], l.avg)
	hostOrder.PutUint32(b[4:], l.burst)
}

func init() {
	Register(&Extension{
		Name: "limit", Revision: 0, Size: 40,
		Options: []Option{
			{Name: "limit", Type: TypeString, ID: 0},
			{Name: "limit-burst", Type: TypeString, ID: 1},
		},
		Init: func(info []byte, _ *ParseContext) {
			l := limitInfo{avg: limitScale * 3600 / 3, burst: limitDefaultBurst}
			l.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error {
			var l limitInfo
			l.unmarshal(info)
			if c.Option.ID == 1 {
				v, ok := parseUint(c.Arg(), 0, 10000)
				if !ok {
					return badSpec(c.Arg(), "bad --limit-burst `%s'", c.Arg())
				}
				l.burst = uint32(v)
			} else {
				avg, err := parseLimitRate(c.Arg())
				if err != nil {
					return err
				}
				l.avg = avg
			}
			l.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var l limitInfo
			l.unmarshal(info)
			w.Opt(false, "limit", formatLimitRate(l.avg))
			if l.burst != limitDefaultBurst {
				w.Opt(false, "limit-burst", strconv.FormatUint(uint64(l.burst), 10))
			}
		},
		Print: func(info []byte, w *Writer) {
			var l limitInfo
			l.unmarshal(info)
			w.WriteString(" limit: avg " + formatLimitRate(l.avg) + " burst " + strconv.FormatUint(uint64(l.burst), 10))
		},
		Native: func(info []byte, _ EncodeContext, b []byte) ([]byte, bool) {
			var l limitInfo
			l.unmarshal(info)
			if l.avg == 0 {
				return b, false
			}
			i := limitUnitIndex(l.avg)
			return expr.AppendLimit(b, &nftexpr.Limit{
				Type:  nftexpr.LimitTypePkts,
				Rate:  uint64(limitUnits[i].mult / l.avg),
				Unit:  nftexpr.LimitTime(limitUnits[i].mult / limitScale),
				Burst: l.burst,
			}), true
		},
	})
	registerNative(limitDecode)
}

// limitUnitIndex picks the unit iptables prints a rate in: the largest
// that still gives a whole, exact-enough number.
func limitUnitIndex(avg uint32) int {
	i := 1
	for ; i < len(limitUnits); i++ {
		m := limitUnits[i].mult
		if avg > m || m/avg < m%avg {
			break
		}
	}
	return i - 1
}

func formatLimitRate(avg uint32) string {
	if avg == 0 {
		return "+Inf"
	}
	i := limitUnitIndex(avg)
	return strconv.FormatUint(uint64(limitUnits[i].mult/avg), 10) + "/" + limitUnits[i].name
}

// parseLimitRate parses "N[/second|minute|hour|day]" (any prefix of the
// unit name) into the kernel's avg.
func parseLimitRate(s string) (uint32, error) {
	num, unit, hasUnit := strings.Cut(s, "/")
	mult := uint64(1)
	if hasUnit {
		switch {
		case unit == "":
			return 0, badSpec(s, "bad rate \"%s\"'", s)
		case strings.HasPrefix("second", strings.ToLower(unit)):
			mult = 1
		case strings.HasPrefix("minute", strings.ToLower(unit)):
			mult = 60
		case strings.HasPrefix("hour", strings.ToLower(unit)):
			mult = 3600
		case strings.HasPrefix("day", strings.ToLower(unit)):
			mult = 86400
		default:
			return 0, badSpec(s, "bad rate \"%s\"'", s)
		}
	}
	r, err := strconv.ParseUint(num, 10, 32)
	if err != nil || r == 0 {
		return 0, badSpec(s, "bad rate \"%s\"'", s)
	}
	avg := limitScale * mult / r
	if avg == 0 {
		return 0, badSpec(s, "Rate too fast \"%s\"", s)
	}
	return uint32(avg), nil
}

func limitDecode(d *decoder) (bool, error) {
	l, ok := d.peek(0).(*nftexpr.Limit)
	if !ok || l.Type != nftexpr.LimitTypePkts || l.Over || l.Rate == 0 {
		return false, nil
	}
	ext := lookup(matches, "limit", d.spec.Family)
	in := d.newInstance(ext, XTAlign(ext.Size))
	info := limitInfo{avg: uint32(limitScale * uint64(l.Unit) / l.Rate), burst: l.Burst}
	info.marshal(in.Info)
	d.spec.Matches = append(d.spec.Matches, in)
	d.pos++
	return true, nil
}
