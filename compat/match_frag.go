package compat

import (
	"fmt"
	"strconv"
)

// frag: -m frag (IPv6 only; struct ip6t_frag, 14 bytes): u32 ids[2] @0,
// u32 hdrlen @8 (host order), u8 flags @12 (IDS 1, LEN 2, RES 4, FST 8,
// MF 0x10, NMF 0x20), u8 invflags @13 (INV_IDS 1, INV_LEN 2). ids[1]
// starts at 0xffffffff; a range is not checked for order.

const (
	fragIDs    = 0x01
	fragLen    = 0x02
	fragRes    = 0x04
	fragFirst  = 0x08
	fragMore   = 0x10
	fragLast   = 0x20
	fragInvIDs = 0x01
	fragInvLen = 0x02
)

func init() {
	Register(&Extension{
		Name: "frag", Family: IPv6, Revision: 0, Size: 14,
		Options: []Option{
			{Name: "fragid", Args: 1, Invert: true, ID: 0},
			{Name: "fraglen", Args: 1, Invert: true, ID: 1},
			{Name: "fragres", ID: 2},
			{Name: "fragfirst", ID: 3},
			{Name: "fragmore", ID: 4},
			{Name: "fraglast", ID: 5},
		},
		Init: func(info []byte, _ *ParseContext) { putLe32(info[4:], 0xffffffff) },
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
			switch opt.ID {
			case 0:
				vals, err := parseMint("frag", "fragid", args[0], 0xffffffff, 2)
				if err != nil {
					return err
				}
				putLe32(info[0:], uint32(vals[0]))
				putLe32(info[4:], uint32(vals[len(vals)-1]))
				if invert {
					info[13] |= fragInvIDs
				}
				info[12] |= fragIDs
			case 1:
				v, ok := xtParseUint(args[0], 0, 0xffffffff)
				if !ok {
					return badSpec(args[0], "frag: bad value for option \"--fraglen\", or out of range (0-4294967295).")
				}
				putLe32(info[8:], uint32(v))
				if invert {
					info[13] |= fragInvLen
				}
				info[12] |= fragLen
			case 2:
				info[12] |= fragRes
			case 3:
				info[12] |= fragFirst
			case 4:
				if info[12]&fragLast != 0 {
					return badSpec("--fragmore", "frag: option \"--fragmore\" cannot be used together with \"--fraglast\".")
				}
				info[12] |= fragMore
			case 5:
				if info[12]&fragMore != 0 {
					return badSpec("--fraglast", "frag: option \"--fraglast\" cannot be used together with \"--fragmore\".")
				}
				info[12] |= fragLast
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			lo, hi := le32(info[0:]), le32(info[4:])
			if lo != 0 || hi != 0xffffffff {
				w.Opt(info[13]&fragInvIDs != 0, "fragid", mcRange32(lo, hi))
			}
			if info[12]&fragLen != 0 {
				w.Opt(info[13]&fragInvLen != 0, "fraglen", strconv.FormatUint(uint64(le32(info[8:])), 10))
			}
			for _, f := range fragFlagNames {
				if info[12]&f.bit != 0 {
					w.Opt(false, f.opt)
				}
			}
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" frag ")
			mcPrintIDs(w, "id", le32(info[0:]), le32(info[4:]), info[13]&fragInvIDs != 0, false)
			if info[12]&fragLen != 0 {
				w.WriteString(" length:" + mcInv(info[13]&fragInvLen != 0) + strconv.FormatUint(uint64(le32(info[8:])), 10))
			}
			for _, f := range fragFlagNames {
				if info[12]&f.bit != 0 {
					w.WriteString(" " + f.text)
				}
			}
			if inv := info[13] &^ (fragInvIDs | fragInvLen); inv != 0 {
				fmt.Fprintf(w, " Unknown invflags: 0x%X", inv)
			}
		},
	})
}

var fragFlagNames = []struct {
	bit       byte
	opt, text string
}{
	{fragRes, "fragres", "reserved"},
	{fragFirst, "fragfirst", "first"},
	{fragMore, "fragmore", "more"},
	{fragLast, "fraglast", "last"},
}

// mcRange32 prints "lo" or "lo:hi".
func mcRange32(lo, hi uint32) string {
	if lo == hi {
		return strconv.FormatUint(uint64(lo), 10)
	}
	return strconv.FormatUint(uint64(lo), 10) + ":" + strconv.FormatUint(uint64(hi), 10)
}

// mcPrintIDs writes the -L form of a u32 range (" spi:5", " spis:!1:2"),
// nothing for the full range unless inverted; space says whether a space
// precedes the name.
func mcPrintIDs(w *Writer, name string, lo, hi uint32, invert, space bool) {
	if lo == 0 && hi == 0xffffffff && !invert {
		return
	}
	if space {
		w.WriteByte(' ')
	}
	if lo == hi {
		w.WriteString(name + ":" + mcInv(invert) + strconv.FormatUint(uint64(lo), 10))
		return
	}
	w.WriteString(name + "s:" + mcInv(invert) + strconv.FormatUint(uint64(lo), 10) + ":" + strconv.FormatUint(uint64(hi), 10))
}
