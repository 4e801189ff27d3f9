package compat

import (
	"math"
	"strings"
)

// hashlimit: -m hashlimit, revision 3 (struct xt_hashlimit_mtinfo3, 312
// bytes, host byte order):
//
//	@0   char name[255] (NAME_MAX), 1 byte padding
//	@256 u64 avg      (seconds per packet × 1000000, or a byte cost)
//	@264 u64 burst
//	@272 u32 mode     (DIP=1 DPT=2 SIP=4 SPT=8 INVERT=0x10 BYTES=0x20
//	                   RATE_MATCH=0x40)
//	@276 u32 size, @280 u32 max, @284 u32 gc_interval, @288 u32 expire
//	@292 u32 interval
//	@296 u8 srcmask, @297 u8 dstmask, padding
//	@304 kernel pointer (hinfo)
//
// The same layout serves both families; only the default masks (32 or
// 128) differ, so it is registered once per family. While parsing, the
// kernel pointer holds the option flags (@304) and the rate's unit in
// seconds (@308), as libxt_hashlimit keeps them in xflags and udata; Final
// clears them.

const (
	hlName     = 0
	hlNameSize = 255
	hlAvg      = 256
	hlBurst    = 264
	hlMode     = 272
	hlSize     = 276
	hlMax      = 280
	hlGC       = 284
	hlExpire   = 288
	hlInterval = 292
	hlSrcMask  = 296
	hlDstMask  = 297
	hlXflags   = 304
	hlMult     = 308

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

// Option IDs, as libxt_hashlimit numbers them (the flag bits follow).
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
		Register(&Extension{
			Name: "hashlimit", Family: fam, Revision: 3, Size: 312,
			Options: []Option{
				{Name: "hashlimit-upto", Aliases: []string{"hashlimit"}, Args: 1, Invert: true, ID: hlOptUpto},
				{Name: "hashlimit-above", Args: 1, Invert: true, ID: hlOptAbove},
				{Name: "hashlimit-srcmask", Args: 1, ID: hlOptSrcMask},
				{Name: "hashlimit-dstmask", Args: 1, ID: hlOptDstMask},
				{Name: "hashlimit-burst", Args: 1, ID: hlOptBurst},
				{Name: "hashlimit-htable-size", Args: 1, ID: hlOptHtableSize},
				{Name: "hashlimit-htable-max", Args: 1, ID: hlOptHtableMax},
				{Name: "hashlimit-htable-gcinterval", Args: 1, ID: hlOptHtableGC},
				{Name: "hashlimit-htable-expire", Args: 1, ID: hlOptHtableExpire},
				{Name: "hashlimit-mode", Args: 1, ID: hlOptMode},
				{Name: "hashlimit-name", Args: 1, Mandatory: true, ID: hlOptName},
				{Name: "hashlimit-rate-match", ID: hlOptRateMatch},
				{Name: "hashlimit-rate-interval", Args: 1, ID: hlOptInterval},
			},
			Init: func(info []byte, _ *ParseContext) {
				putLe64(info[hlBurst:], hlBurstDefault)
				putLe32(info[hlGC:], hlGCDefault)
				info[hlSrcMask] = dmask
				info[hlDstMask] = dmask
			},
			LegacyParse: func(info []byte, opt *Option, args []string, invert bool, ctx *ParseContext) error {
				return hashlimitParse(info, opt, args, invert, ctx)
			},
			Final: hashlimitFinal,
			Save: func(info []byte, w *Writer) {
				hashlimitSave(info, w, dmask)
			},
		})
	}
}

func hashlimitParse(info []byte, opt *Option, args []string, invert bool, ctx *ParseContext) error {
	putLe32(info[hlXflags:], le32(info[hlXflags:])|1<<opt.ID)
	mode := le32(info[hlMode:])
	var arg string
	if len(args) > 0 {
		arg = args[0]
	}
	u32 := func(off int) error {
		v, ok := parseUint(arg, 0, 0xffffffff)
		if !ok {
			return badSpec(arg, "hashlimit: bad value for option \"--%s\", or out of range (0-4294967295).", opt.Name)
		}
		putLe32(info[off:], uint32(v))
		return nil
	}
	switch opt.ID {
	case hlOptBurst:
		v, err := hashlimitParseBurst(arg)
		if err != nil {
			return err
		}
		putLe64(info[hlBurst:], v)
	case hlOptUpto, hlOptAbove:
		if invert == (opt.ID == hlOptUpto) {
			mode |= hlModeInvert
		}
		if avg, ok, err := hashlimitParseBytes(arg); err != nil {
			return err
		} else if ok {
			mode |= hlModeBytes
			putLe64(info[hlAvg:], avg)
			putLe32(info[hlMult:], hlByteExpire)
		} else {
			avg, mult, err := hashlimitParseRate(arg)
			if err != nil {
				return err
			}
			if !ok && avg == 0 {
				return badSpec(arg, "hashlimit: Bad value for option \"--%s\": \"%s\"", opt.Name, arg)
			}
			putLe64(info[hlAvg:], avg)
			putLe32(info[hlMult:], mult)
		}
	case hlOptMode:
		for _, tok := range strings.FieldsFunc(arg, func(r rune) bool { return r == ',' || r == '|' }) {
			switch tok {
			case "dstip":
				mode |= hlModeDIP
			case "srcip":
				mode |= hlModeSIP
			case "srcport":
				mode |= hlModeSPT
			case "dstport":
				mode |= hlModeDPT
			default:
				return badSpec(arg, "hashlimit: Bad value for option \"--hashlimit-mode\": \"%s\"", arg)
			}
		}
	case hlOptSrcMask, hlOptDstMask:
		p, ok := parsePlenStrict(ctx.Family, arg)
		if !ok {
			return badPlen(arg, "hashlimit", opt.Name, ctx.Family)
		}
		if opt.ID == hlOptSrcMask {
			info[hlSrcMask] = byte(p)
		} else {
			info[hlDstMask] = byte(p)
		}
	case hlOptName:
		if arg == "" {
			return badSpec(arg, "Argument must have a minimum length of 1 characters")
		}
		putCString(info[hlName:hlName+hlNameSize], arg)
	case hlOptHtableSize:
		return u32(hlSize)
	case hlOptHtableMax:
		return u32(hlMax)
	case hlOptHtableGC:
		return u32(hlGC)
	case hlOptHtableExpire:
		return u32(hlExpire)
	case hlOptRateMatch:
		mode |= hlModeRateMatch
	case hlOptInterval:
		r := int32(mbAtoll(arg))
		if r <= 0 {
			return badSpec(arg, "hashlimit: Bad value for option \"--hashlimit-rate-interval\": \"%s\"", arg)
		}
		putLe32(info[hlInterval:], uint32(r))
	}
	putLe32(info[hlMode:], mode)
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
	r := mbAtoll(s)
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
	r := mbAtoll(s)
	if r == 0 {
		return 0, mult, nil
	}
	avg = hlScale * uint64(mult) / r
	if avg == 0 {
		return 0, mult, badSpec(s, "Rate too fast \"%s\"", s)
	}
	return avg, mult, nil
}

func hashlimitFinal(info []byte, _ *ParseContext) error {
	xflags := le32(info[hlXflags:])
	mult := le32(info[hlMult:])
	clear(info[hlXflags : hlXflags+8])
	has := func(id int) bool { return xflags&(1<<id) != 0 }
	if !has(hlOptUpto) && !has(hlOptAbove) {
		return badSpec("hashlimit", "You have to specify --hashlimit")
	}
	if has(hlOptUpto) && has(hlOptAbove) {
		return badSpec("--hashlimit-above", "hashlimit: option \"--hashlimit-upto\" cannot be used together with --hashlimit-above.")
	}
	if !has(hlOptHtableExpire) {
		putLe32(info[hlExpire:], mult*1000)
	}
	mode := le32(info[hlMode:])
	avg := le64(info[hlAvg:])
	if mode&hlModeBytes != 0 {
		var burst uint32
		if has(hlOptBurst) {
			b := le64(info[hlBurst:])
			ctb := hashlimitCostToBytes(avg)
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
				putLe32(info[hlExpire:], hlByteExpireB*1000)
			}
		}
		putLe64(info[hlBurst:], uint64(burst))
	} else if le64(info[hlBurst:]) > hlBurstMax {
		return badSpec("--hashlimit-burst", "bad value for option \"--hashlimit-burst\", or out of range (1-%d).", hlBurstMax)
	}
	if has(hlOptRateMatch) {
		if mode&hlModeBytes == 0 && mult != 0 {
			putLe64(info[hlAvg:], avg/uint64(mult))
		}
		if le32(info[hlInterval:]) == 0 {
			if mode&hlModeBytes != 0 {
				putLe32(info[hlInterval:], 1)
			} else {
				putLe32(info[hlInterval:], mult)
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

// hashlimitPrintBytes prints a byte rate and burst as print_bytes does.
func hashlimitPrintBytes(w *Writer, avg, burst uint64) uint64 {
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
	w.WriteString(" --hashlimit-")
	for i = 0; i < len(hashlimitUnits)-1; i++ {
		if r >= hashlimitUnits[i].thresh {
			break
		}
	}
	w.WriteString("burst " + utoa(r/hashlimitUnits[i].thresh) + hashlimitUnits[i].name + "b")
	return hlByteExpireB * 1000
}

func hashlimitSave(info []byte, w *Writer, dmask byte) {
	mode := le32(info[hlMode:])
	if mode&hlModeInvert != 0 {
		w.Opt(false, "hashlimit-above")
	} else {
		w.Opt(false, "hashlimit-upto")
	}
	var quantum uint64
	if mode&hlModeBytes != 0 {
		quantum = hashlimitPrintBytes(w, le64(info[hlAvg:]), le64(info[hlBurst:]))
	} else {
		quantum = hashlimitPrintRate(w, le64(info[hlAvg:]))
		w.Opt(false, "hashlimit-burst", utoa(le64(info[hlBurst:])))
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
	w.Opt(false, "hashlimit-name", cString(info[hlName:hlName+hlNameSize]))
	if v := le32(info[hlSize:]); v != 0 {
		w.Opt(false, "hashlimit-htable-size", utoa(v))
	}
	if v := le32(info[hlMax:]); v != 0 {
		w.Opt(false, "hashlimit-htable-max", utoa(v))
	}
	if v := le32(info[hlGC:]); v != hlGCDefault {
		w.Opt(false, "hashlimit-htable-gcinterval", utoa(v))
	}
	if v := le32(info[hlExpire:]); uint64(v) != quantum&0xffffffff {
		w.Opt(false, "hashlimit-htable-expire", utoa(v))
	}
	if info[hlSrcMask] != dmask {
		w.Opt(false, "hashlimit-srcmask", utoa(info[hlSrcMask]))
	}
	if info[hlDstMask] != dmask {
		w.Opt(false, "hashlimit-dstmask", utoa(info[hlDstMask]))
	}
	if mode&hlModeRateMatch != 0 {
		w.Opt(false, "hashlimit-rate-match")
		if v := le32(info[hlInterval:]); v != 1 {
			w.Opt(false, "hashlimit-rate-interval", utoa(v))
		}
	}
}
