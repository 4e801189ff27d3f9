package compat

import (
	"math"
	"strconv"
	"strings"
)

// statistic: -m statistic (struct xt_statistic_info, 24 bytes): u16 mode
// (random 0, nth 1), u16 flags (INVERT 1), then a union: random's u32
// probability, or nth's u32 every (stored as n-1), u32 packet, u32 count;
// a kernel pointer (sent as 0). iptables always sets count = every -
// packet in its final check, reading the union as nth: for random mode
// count is the probability. probability is lround(p * 2^31) for 0 <= p
// <= 1; -S prints it "%.11f" (0.5 → 0.50000000000). --every and --packet
// require each other and exclude --probability; "!" on either
// --probability or --every sets INVERT. -S prints "--mode nth [!] --every
// N --packet P".

type statisticInfo struct {
	mode, flags uint16
	// every is nth's every-1, and random's probability (the same bytes).
	every, packet, count uint32
}

func (t *statisticInfo) unmarshal(b []byte) {
	t.mode, t.flags = hostOrder.Uint16(b[0:]), hostOrder.Uint16(b[2:])
	t.every, t.packet, t.count = hostOrder.Uint32(b[4:]), hostOrder.Uint32(b[8:]), hostOrder.Uint32(b[12:])
}

func (t *statisticInfo) marshal(b []byte) {
	hostOrder.PutUint16(b[0:], t.mode)
	hostOrder.PutUint16(b[2:], t.flags)
	hostOrder.PutUint32(b[4:], t.every)
	hostOrder.PutUint32(b[8:], t.packet)
	hostOrder.PutUint32(b[12:], t.count)
}

const (
	statOptMode = iota
	statOptProb
	statOptEvery
	statOptPacket
)

func init() {
	Register(&Extension{
		Name: "statistic", Revision: 0, Size: 24,
		Options: []Option{
			{Name: "mode", ID: statOptMode, Type: TypeString, Flags: Mandatory},
			{Name: "probability", ID: statOptProb, Type: TypeString, Flags: Invert, Excl: 1 << statOptEvery},
			{Name: "every", ID: statOptEvery, Type: TypeUint32, Min: 1, Flags: Invert, Excl: 1 << statOptProb, Also: 1 << statOptPacket},
			{Name: "packet", ID: statOptPacket, Type: TypeUint32, Also: 1 << statOptEvery},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var t statisticInfo
			t.unmarshal(info)
			if c.Invert {
				t.flags |= 1
			}
			switch a := c.Arg(); c.Option.ID {
			case statOptMode:
				switch a {
				case "random":
					t.mode = 0
				case "nth":
					t.mode = 1
				default:
					return badSpec(a, "Bad mode \"%s\"", a)
				}
			case statOptProb:
				p, ok := statParseFloat(a)
				if !ok || p < 0 || p > 1 {
					return badSpec(a, "statistic: bad value for option \"--probability\", or out of range (0-1).")
				}
				t.every = uint32(int64(math.Round(0x80000000 * p)))
			case statOptEvery:
				t.every = uint32(c.Val.Uint) - 1
			case statOptPacket:
				t.packet = uint32(c.Val.Uint)
			}
			t.marshal(info)
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			var t statisticInfo
			t.unmarshal(info)
			given := ctx.given()
			if t.mode == 0 && given&(1<<statOptProb) == 0 {
				return badSpec("-m statistic", "--probability must be specified when using random mode")
			}
			if t.mode == 1 && given&(1<<statOptEvery) == 0 {
				return badSpec("-m statistic", "--every and --packet must be specified when using nth mode")
			}
			if t.packet > t.every {
				return badSpec("--packet", "the --packet p must be 0 <= p <= n-1")
			}
			t.count = t.every - t.packet
			t.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" statistic")
			statisticWrite(info, w, "")
		},
		Save: func(info []byte, w *Writer) { statisticWrite(info, w, "--") },
	})
}

// statisticWrite prints the options as -L (prefix "") and -S (prefix
// "--") do; -L leaves out a packet of 0.
func statisticWrite(info []byte, w *Writer, prefix string) {
	var t statisticInfo
	t.unmarshal(info)
	inv := ""
	if t.flags&1 != 0 {
		inv = " !"
	}
	switch t.mode {
	case 0:
		p := float64(t.every) / 0x80000000
		w.WriteString(" " + prefix + "mode random" + inv + " " + prefix + "probability " + strconv.FormatFloat(p, 'f', 11, 64))
	case 1:
		w.WriteString(" " + prefix + "mode nth" + inv + " " + prefix + "every " + utoa(t.every+1))
		if t.packet != 0 || prefix != "" {
			w.WriteString(" " + prefix + "packet " + utoa(t.packet))
		}
	}
}

// statParseFloat reads a whole argument as strtod does (leading white
// space allowed).
func statParseFloat(s string) (float64, bool) {
	t := strings.TrimLeft(s, cSpaces)
	if t == "" || strings.ContainsRune(t, '_') {
		return 0, false
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}
