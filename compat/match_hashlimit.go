package compat

import (
	"math"
	"strings"
)

// hashlimit: -m hashlimit, revision 3 (struct xt_hashlimit_mtinfo3, 312
// bytes): char name[255] (NAME_MAX), 1 byte padding, u64 avg (seconds per
// packet × 1000000, or a byte cost), u64 burst, u32 mode (DIP=1 DPT=2
// SIP=4 SPT=8 INVERT=0x10 BYTES=0x20 RATE_MATCH=0x40), u32 size, max,
// gc_interval, expire and interval, u8 srcmask, u8 dstmask, padding, a
// kernel pointer (sent as 0). The same layout serves both families; only
// the default masks (32 or 128) differ, so it is registered once per
// family. The rate's unit in seconds is kept beside the payload while
// parsing (as libxt_hashlimit keeps it in udata) for the final check.

type hashlimitInfo struct {
	name                                          [255]byte
	avg, burst                                    uint64
	mode, size, max, gcInterval, expire, interval uint32
	srcmask, dstmask                              uint8
}

func (h *hashlimitInfo) unmarshal(b []byte) {
	copy(h.name[:], b[0:255])
	h.avg, h.burst = hostOrder.Uint64(b[256:]), hostOrder.Uint64(b[264:])
	h.mode, h.size, h.max = hostOrder.Uint32(b[272:]), hostOrder.Uint32(b[276:]), hostOrder.Uint32(b[280:])
	h.gcInterval, h.expire, h.interval = hostOrder.Uint32(b[284:]), hostOrder.Uint32(b[288:]), hostOrder.Uint32(b[292:])
	h.srcmask, h.dstmask = b[296], b[297]
}

func (h *hashlimitInfo) marshal(b []byte) {
	copy(b[0:255], h.name[:])
	hostOrder.PutUint64(b[256:], h.avg)
	hostOrder.PutUint64(b[264:], h.burst)
	for i, v := range [...]uint32{h.mode, h.size, h.max, h.gcInterval, h.expire, h.interval} {
		hostOrder.PutUint32(b[272+4*i:], v)
	}
	b[296], b[297] = h.srcmask, h.dstmask
}

const (
	hlModeDIP       = 0x01
	hlModeDPT       = 0x02
	hlModeSIP       = 0x04
	hlModeSPT       = 0x08
	hlModeInvert    = 0x10
	hlModeBytes     = 0x20
	hlModeRateMatch = 0x40

	hlScale        = 1000000
	hlBurstDefault = 5
	hlBurstMax     = 1000000
	hlGCDefault    = 1000
	hlByteShift    = 4
	hlByteExpire   = 15
	hlByteExpireB  = 60
)

// Option IDs, as libxt_hashlimit numbers them.
const (
	hlOptUpto = iota
	hlOptAbove
	hlOptLimit
	hlOptMode
	hlOptSrcMask
	hlOptDstMask
	hlOptName
	hlOptBurst
	hlOptHtableSize
	hlOptHtableMax
	hlOptHtableGC
	hlOptHtableExpire
	hlOptRateMatch
	hlOptInterval
)

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		dmask := byte(8 * fam.addrLen())
		u32 := func(name string, id int) Option {
			return Option{Name: name, ID: id, Type: TypeUint32, Flags: MinusWraps}
		}
		Register(&Extension{
			Name: "hashlimit", Family: fam, Revision: 3, Size: 312,
			Options: []Option{
				{Name: "hashlimit-upto", Aliases: []string{"hashlimit"}, ID: hlOptUpto, Type: TypeString, Flags: Invert},
				{Name: "hashlimit-above", ID: hlOptAbove, Type: TypeString, Flags: Invert},
				{Name: "hashlimit-srcmask", ID: hlOptSrcMask, Type: TypeString},
				{Name: "hashlimit-dstmask", ID: hlOptDstMask, Type: TypeString},
				{Name: "hashlimit-burst", ID: hlOptBurst, Type: TypeString},
				u32("hashlimit-htable-size", hlOptHtableSize),
				u32("hashlimit-htable-max", hlOptHtableMax),
				u32("hashlimit-htable-gcinterval", hlOptHtableGC),
				u32("hashlimit-htable-expire", hlOptHtableExpire),
				{Name: "hashlimit-mode", ID: hlOptMode, Type: TypeString},
				{Name: "hashlimit-name", ID: hlOptName, Type: TypeString, Flags: Mandatory},
				{Name: "hashlimit-rate-match", ID: hlOptRateMatch},
				{Name: "hashlimit-rate-interval", ID: hlOptInterval, Type: TypeString},
			},
			OneOf: &OneOf{IDs: 1<<hlOptUpto | 1<<hlOptAbove, Token: "hashlimit", Msg: "You have to specify --hashlimit"},
			Init: func(info []byte, _ *ParseContext) {
				h := hashlimitInfo{burst: hlBurstDefault, gcInterval: hlGCDefault, srcmask: dmask, dstmask: dmask}
				h.marshal(info)
			},
			Parse: func(info []byte, c *OptionCall) error {
				var h hashlimitInfo
				h.unmarshal(info)
				if err := h.parse(c); err != nil {
					return err
				}
				h.marshal(info)
				return nil
			},
			Final: func(info []byte, ctx *ParseContext) error {
				var h hashlimitInfo
				h.unmarshal(info)
				if err := h.final(ctx); err != nil {
					return err
				}
				h.marshal(info)
				return nil
			},
			Print: func(info []byte, w *Writer) {
				var h hashlimitInfo
				h.unmarshal(info)
				h.print(w, dmask)
			},
			Save: func(info []byte, w *Writer) {
				var h hashlimitInfo
				h.unmarshal(info)
				h.save(w, dmask)
			},
		})
	}
}

func (h *hashlimitInfo) parse(c *OptionCall) error {
	arg := c.Arg()
	switch c.Option.ID {
	case hlOptBurst:
		v, err := hashlimitParseBurst(arg)
		if err != nil {
			return err
		}
		h.burst = v
	case hlOptUpto, hlOptAbove:
		if c.Invert == (c.Option.ID == hlOptUpto) {
			h.mode |= hlModeInvert
		}
		if avg, ok, err := hashlimitParseBytes(arg); err != nil {
			return err
		} else if ok {
			h.mode |= hlModeBytes
			h.avg = avg
			c.keep(0, hlByteExpire)
		} else {
			avg, mult, err := hashlimitParseRate(arg)
			if err != nil {
				return err
			}
			if avg == 0 {
				return badSpec(arg, "hashlimit: Bad value for option \"--%s\": \"%s\"", c.Option.Name, arg)
			}
			h.avg = avg
			c.keep(0, mult)
		}
	case hlOptMode:
		for _, tok := range strings.FieldsFunc(arg, func(r rune) bool { return r == ',' || r == '|' }) {
			switch tok {
			case "dstip":
				h.mode |= hlModeDIP
			case "srcip":
				h.mode |= hlModeSIP
			case "srcport":
				h.mode |= hlModeSPT
			case "dstport":
				h.mode |= hlModeDPT
			default:
				return badSpec(arg, "hashlimit: Bad value for option \"--hashlimit-mode\": \"%s\"", arg)
			}
		}
	case hlOptSrcMask, hlOptDstMask:
		p, ok := parsePlenStrict(c.Family, arg)
		if !ok {
			return badPlen(arg, "hashlimit", c.Option.Name, c.Family)
		}
		if c.Option.ID == hlOptSrcMask {
			h.srcmask = byte(p)
		} else {
			h.dstmask = byte(p)
		}
	case hlOptName:
		if arg == "" {
			return badSpec(arg, "Argument must have a minimum length of 1 characters")
		}
		putCString(h.name[:], arg)
	case hlOptHtableSize:
		h.size = uint32(c.Val.Uint)
	case hlOptHtableMax:
		h.max = uint32(c.Val.Uint)
	case hlOptHtableGC:
		h.gcInterval = uint32(c.Val.Uint)
	case hlOptHtableExpire:
		h.expire = uint32(c.Val.Uint)
	case hlOptRateMatch:
		h.mode |= hlModeRateMatch
	case hlOptInterval:
		r := int32(atoll(arg))
		if r <= 0 {
			return badSpec(arg, "hashlimit: Bad value for option \"--hashlimit-rate-interval\": \"%s\"", arg)
		}
		h.interval = uint32(r)
	}
	return nil
}

// hashlimitParseBurst parses --hashlimit-burst: a number, optionally
// followed by k or m (bytes mode bursts).
func hashlimitParseBurst(s string) (uint64, error) {
	bad := badSpec(s, "bad value for option \"--hashlimit-burst\", or out of range (1-%d).", hlBurstMax)
	// Unlike xtables_strtoul, a '+' is refused too (as this option always
	// has been).
	t := strings.TrimLeft(s, cSpaces)
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") {
		return 0, bad
	}
	v, rest, ok := xtStrtoul(t, 0, math.MaxUint64)
	if !ok || v < 1 || (rest == "" && v > hlBurstMax) {
		return 0, bad
	}
	f := uint64(1)
	if rest != "" {
		f = hashlimitFactor(rest[0])
	}
	return v * f, nil
}

func hashlimitFactor(c byte) uint64 {
	switch c {
	case 'm':
		return 1024 * 1024
	case 'k':
		return 1024
	}
	return 1
}

func hashlimitCostToBytes(cost uint64) uint64 {
	r := uint64(0xffffffff)
	if cost != 0 {
		r = 0xffffffff / cost
	}
	return (r - 1) << hlByteShift
}

func hashlimitBytesToCost(b uint64) uint64 {
	r := uint32(b >> hlByteShift)
	if r+1 == 0 {
		return 0
	}
	return 0xffffffff / uint64(r+1)
}

// hashlimitParseBytes parses a "Nb/s", "Nkb/s", "Nmb/s" rate; ok false
// means the argument is not a byte rate.
func hashlimitParseBytes(s string) (avg uint64, ok bool, err error) {
	i := strings.Index(s, "b/s")
	if i <= 0 {
		return 0, false, nil
	}
	r := atoll(s)
	if r == 0 {
		return 0, false, nil
	}
	cost := hashlimitBytesToCost(r * hashlimitFactor(s[i-1]))
	if cost == 0 {
		return 0, false, badSpec(s, "Rate too high \"%s\"", s)
	}
	return cost, true, nil
}

// hashlimitParseRate parses "N[/second|minute|hour|day]"; avg 0 means a
// bad value.
func hashlimitParseRate(s string) (avg uint64, mult uint32, err error) {
	mult = 1
	if _, unit, has := strings.Cut(s, "/"); has {
		u := strings.ToLower(unit)
		switch {
		case u == "":
			return 0, 1, nil
		case strings.HasPrefix("second", u):
			mult = 1
		case strings.HasPrefix("minute", u):
			mult = 60
		case strings.HasPrefix("hour", u):
			mult = 3600
		case strings.HasPrefix("day", u):
			mult = 86400
		default:
			return 0, 1, nil
		}
	}
	r := atoll(s)
	if r == 0 {
		return 0, mult, nil
	}
	avg = hlScale * uint64(mult) / r
	if avg == 0 {
		return 0, mult, badSpec(s, "Rate too fast \"%s\"", s)
	}
	return avg, mult, nil
}

func (h *hashlimitInfo) final(ctx *ParseContext) error {
	given, mult := ctx.given(), ctx.kept()[0]
	has := func(id int) bool { return given&(1<<id) != 0 }
	if has(hlOptUpto) && has(hlOptAbove) {
		return badSpec("--hashlimit-above", "hashlimit: option \"--hashlimit-upto\" cannot be used together with \"--hashlimit-above\".\n")
	}
	if !has(hlOptHtableExpire) {
		h.expire = mult * 1000
	}
	if h.mode&hlModeBytes != 0 {
		var burst uint32
		if has(hlOptBurst) {
			b := h.burst
			ctb := hashlimitCostToBytes(h.avg)
			if b < ctb {
				return badSpec("--hashlimit-burst", "burst cannot be smaller than %db", ctb)
			}
			if ctb != 0 {
				burst = uint32(uint64(uint32(b)) / ctb)
				if b%ctb != 0 {
					burst++
				}
			}
			if !has(hlOptHtableExpire) {
				h.expire = hlByteExpireB * 1000
			}
		}
		h.burst = uint64(burst)
	} else if h.burst > hlBurstMax {
		return badSpec("--hashlimit-burst", "bad value for option \"--hashlimit-burst\", or out of range (1-%d).", hlBurstMax)
	}
	if has(hlOptRateMatch) {
		if h.mode&hlModeBytes == 0 && mult != 0 {
			h.avg /= uint64(mult)
		}
		if h.interval == 0 {
			if h.mode&hlModeBytes != 0 {
				h.interval = 1
			} else {
				h.interval = mult
			}
		}
	}
	return nil
}

var hashlimitRates = []struct {
	name string
	mult uint64
}{
	{"day", hlScale * 24 * 60 * 60},
	{"hour", hlScale * 60 * 60},
	{"min", hlScale * 60},
	{"sec", hlScale},
}

// hashlimitPrintRate prints a packet rate as print_rate does and returns
// the default expire (the unit, in ms).
func hashlimitPrintRate(w *Writer, period uint64) uint64 {
	if period == 0 {
		w.WriteString(" inf")
		return 0
	}
	i := 1
	for ; i < len(hashlimitRates); i++ {
		m := hashlimitRates[i].mult
		if period > m || m/period < m%period {
			break
		}
	}
	r := hashlimitRates[i-1]
	w.WriteString(" " + utoa(r.mult/period) + "/" + r.name)
	return r.mult / hlScale * 1000
}

var hashlimitUnits = []struct {
	name   string
	thresh uint64
}{{"m", 1024 * 1024}, {"k", 1024}, {"", 1}}

// hashlimitPrintBytes prints a byte rate and burst as print_bytes does,
// the burst's name after prefix ("--hashlimit-" for -S, "" for -L).
func hashlimitPrintBytes(w *Writer, avg, burst uint64, prefix string) uint64 {
	r := hashlimitCostToBytes(avg)
	i := 0
	for ; i < len(hashlimitUnits)-1; i++ {
		u := hashlimitUnits[i]
		if r >= u.thresh && hashlimitBytesToCost(r&^(u.thresh-1)) == avg {
			break
		}
	}
	w.WriteString(" " + utoa(r/hashlimitUnits[i].thresh) + hashlimitUnits[i].name + "b/s")
	if burst == 0 {
		return hlByteExpire * 1000
	}
	r *= burst
	w.WriteString(" " + prefix)
	for i = 0; i < len(hashlimitUnits)-1; i++ {
		if r >= hashlimitUnits[i].thresh {
			break
		}
	}
	w.WriteString("burst " + utoa(r/hashlimitUnits[i].thresh) + hashlimitUnits[i].name + "b")
	return hlByteExpireB * 1000
}

// hashlimitModes names the mode bits in the order iptables prints them.
var hashlimitModes = []struct {
	bit  uint32
	name string
}{{hlModeSIP, "srcip"}, {hlModeSPT, "srcport"}, {hlModeDIP, "dstip"}, {hlModeDPT, "dstport"}}

// print writes what -L shows: " limit: up to 1/sec burst 5 mode srcip".
func (h *hashlimitInfo) print(w *Writer, dmask byte) {
	mode := h.mode
	if mode&hlModeInvert != 0 {
		w.WriteString(" limit: above")
	} else {
		w.WriteString(" limit: up to")
	}
	var quantum uint64
	if mode&hlModeBytes != 0 {
		quantum = hashlimitPrintBytes(w, h.avg, h.burst, "")
	} else {
		period := h.avg
		if h.interval != 0 {
			period *= uint64(h.interval)
		}
		quantum = hashlimitPrintRate(w, period)
		w.WriteString(" burst " + utoa(h.burst))
	}
	if mode&(hlModeSIP|hlModeSPT|hlModeDIP|hlModeDPT) != 0 {
		var parts []string
		for _, m := range hashlimitModes {
			if mode&m.bit != 0 {
				parts = append(parts, m.name)
			}
		}
		w.WriteString(" mode " + strings.Join(parts, "-"))
	}
	if v := h.size; v != 0 {
		w.WriteString(" htable-size " + utoa(v))
	}
	if v := h.max; v != 0 {
		w.WriteString(" htable-max " + utoa(v))
	}
	if v := h.gcInterval; v != hlGCDefault {
		w.WriteString(" htable-gcinterval " + utoa(v))
	}
	if v := h.expire; uint64(v) != quantum&0xffffffff {
		w.WriteString(" htable-expire " + utoa(v))
	}
	if h.srcmask != dmask {
		w.WriteString(" srcmask " + utoa(h.srcmask))
	}
	if h.dstmask != dmask {
		w.WriteString(" dstmask " + utoa(h.dstmask))
	}
	if mode&hlModeRateMatch != 0 {
		w.WriteString(" rate-match")
		if v := h.interval; v != 1 {
			w.WriteString(" rate-interval " + utoa(v))
		}
	}
}

func (h *hashlimitInfo) save(w *Writer, dmask byte) {
	mode := h.mode
	if mode&hlModeInvert != 0 {
		w.Opt(false, "hashlimit-above")
	} else {
		w.Opt(false, "hashlimit-upto")
	}
	var quantum uint64
	if mode&hlModeBytes != 0 {
		quantum = hashlimitPrintBytes(w, h.avg, h.burst, "--hashlimit-")
	} else {
		quantum = hashlimitPrintRate(w, h.avg)
		w.Opt(false, "hashlimit-burst", utoa(h.burst))
	}
	if mode&(hlModeSIP|hlModeSPT|hlModeDIP|hlModeDPT) != 0 {
		var parts []string
		for _, m := range []struct {
			bit  uint32
			name string
		}{{hlModeSIP, "srcip"}, {hlModeSPT, "srcport"}, {hlModeDIP, "dstip"}, {hlModeDPT, "dstport"}} {
			if mode&m.bit != 0 {
				parts = append(parts, m.name)
			}
		}
		w.Opt(false, "hashlimit-mode", strings.Join(parts, ","))
	}
	w.Opt(false, "hashlimit-name", cString(h.name[:]))
	if v := h.size; v != 0 {
		w.Opt(false, "hashlimit-htable-size", utoa(v))
	}
	if v := h.max; v != 0 {
		w.Opt(false, "hashlimit-htable-max", utoa(v))
	}
	if v := h.gcInterval; v != hlGCDefault {
		w.Opt(false, "hashlimit-htable-gcinterval", utoa(v))
	}
	if v := h.expire; uint64(v) != quantum&0xffffffff {
		w.Opt(false, "hashlimit-htable-expire", utoa(v))
	}
	if h.srcmask != dmask {
		w.Opt(false, "hashlimit-srcmask", utoa(h.srcmask))
	}
	if h.dstmask != dmask {
		w.Opt(false, "hashlimit-dstmask", utoa(h.dstmask))
	}
	if mode&hlModeRateMatch != 0 {
		w.Opt(false, "hashlimit-rate-match")
		if v := h.interval; v != 1 {
			w.Opt(false, "hashlimit-rate-interval", utoa(v))
		}
	}
}
