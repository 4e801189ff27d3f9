package compat

import (
	"math"
	"strconv"
	"strings"
)

// statistic: -m statistic (struct xt_statistic_info, 24 bytes): u16 mode
// @0 (random 0, nth 1), u16 flags @2 (INVERT 1), then a union: random
// u32 probability @4, or nth u32 every @4 (stored as n-1), u32 packet @8,
// u32 count @12; a kernel pointer @16 (sent as 0). Host order. iptables
// always sets count = every - packet in its final check, reading the
// union as nth: for random mode count is the probability. probability is
// lround(p * 2^31) for 0 <= p <= 1; -S prints it "%.11f" (0.5 →
// 0.50000000000). --every and --packet require each other and exclude
// --probability; "!" on either --probability or --every sets INVERT. -S
// prints "--mode nth [!] --every N --packet P".

const (
	statOptMode = iota
	statOptProb
	statOptEvery
	statOptPacket
)

var statOptNames = map[int]string{statOptMode: "mode", statOptProb: "probability", statOptEvery: "every", statOptPacket: "packet"}

func init() {
	Register(&Extension{
		Name: "statistic", Revision: 0, Size: 24,
		Options: []Option{
			{Name: "mode", Args: 1, Mandatory: true, ID: statOptMode},
			{Name: "probability", Args: 1, Invert: true, ID: statOptProb},
			{Name: "every", Args: 1, Invert: true, ID: statOptEvery},
			{Name: "packet", Args: 1, ID: statOptPacket},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, ctx *ParseContext) error {
			a := args[0]
			if invert {
				putLe16(info[2:], le16(info[2:])|1)
			}
			ctx.markGiven(1 << opt.ID)
			switch opt.ID {
			case statOptMode:
				switch a {
				case "random":
					putLe16(info[0:], 0)
				case "nth":
					putLe16(info[0:], 1)
				default:
					return badSpec(a, "Bad mode \"%s\"", a)
				}
			case statOptProb:
				p, ok := statParseFloat(a)
				if !ok || p < 0 || p > 1 {
					return badSpec(a, "statistic: bad value for option \"--probability\", or out of range (0-1).")
				}
				putLe32(info[4:], uint32(int64(math.Round(0x80000000*p))))
			case statOptEvery:
				v, err := uintOpt("statistic", "every", a, 1, math.MaxUint32)
				if err != nil {
					return err
				}
				putLe32(info[4:], uint32(v)-1)
			case statOptPacket:
				v, err := uintOpt("statistic", "packet", a, 0, math.MaxUint32)
				if err != nil {
					return err
				}
				putLe32(info[8:], uint32(v))
			}
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			given := ctx.given()
			has := func(id int) bool { return given&(1<<id) != 0 }
			switch {
			case has(statOptEvery) && !has(statOptPacket):
				return badSpec("--every", "statistic: option \"--every\" also requires \"--packet\".")
			case has(statOptPacket) && !has(statOptEvery):
				return badSpec("--packet", "statistic: option \"--packet\" also requires \"--every\".")
			case has(statOptProb) && has(statOptEvery):
				return badSpec("--every", "statistic: option \"--probability\" cannot be used together with \"--every\".")
			}
			mode := le16(info[0:])
			if mode == 0 && !has(statOptProb) {
				return badSpec("-m statistic", "--probability must be specified when using random mode")
			}
			if mode == 1 && !has(statOptEvery) {
				return badSpec("-m statistic", "--every and --packet must be specified when using nth mode")
			}
			every, packet := le32(info[4:]), le32(info[8:])
			if packet > every {
				return badSpec("--packet", "the --packet p must be 0 <= p <= n-1")
			}
			putLe32(info[12:], every-packet)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if len(info) < 16 {
				return
			}
			inv := ""
			if le16(info[2:])&1 != 0 {
				inv = " !"
			}
			switch le16(info[0:]) {
			case 0:
				p := float64(le32(info[4:])) / 0x80000000
				w.WriteString(" --mode random" + inv + " --probability " + strconv.FormatFloat(p, 'f', 11, 64))
			case 1:
				w.WriteString(" --mode nth" + inv + " --every " + utoa(le32(info[4:])+1) +
					" --packet " + utoa(le32(info[8:])))
			}
		},
	})
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
