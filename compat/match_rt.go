package compat

import (
	"fmt"
	"strconv"
	"strings"
)

// rt: -m rt (IPv6 only; struct ip6t_rt, 280 bytes): u32 rt_type @0, u32
// segsleft[2] @4, u32 hdrlen @12 (host order), u8 flags @16 (TYP 1, SGS 2,
// LEN 4, RES 8, FST 0x10, FST_NSTRICT 0x20), u8 invflags @17 (TYP 1,
// SGS 2, LEN 4), struct in6_addr addrs[16] @20, u8 addrnr @276, padding.
// segsleft[1] starts at 0xffffffff. --rt-0-res and --rt-0-addrs need
// --rt-type 0 before them, --rt-0-not-strict needs --rt-0-addrs before it.

const (
	rtTyp      = 0x01
	rtSgs      = 0x02
	rtLen      = 0x04
	rtRes      = 0x08
	rtFst      = 0x10
	rtNstrict  = 0x20
	rtInvTyp   = 0x01
	rtInvSgs   = 0x02
	rtInvLen   = 0x04
	rtAddrsOff = 20
	rtHops     = 16
	rtAddrnr   = 276
)

func init() {
	Register(&Extension{
		Name: "rt", Family: IPv6, Revision: 0, Size: 280,
		Options: []Option{
			{Name: "rt-type", Args: 1, Invert: true, ID: 0},
			{Name: "rt-segsleft", Args: 1, Invert: true, ID: 1},
			{Name: "rt-len", Args: 1, Invert: true, ID: 2},
			{Name: "rt-0-res", ID: 3},
			{Name: "rt-0-addrs", Args: 1, ID: 4},
			{Name: "rt-0-not-strict", ID: 5},
		},
		Init:        func(info []byte, _ *ParseContext) { putLe32(info[8:], 0xffffffff) },
		LegacyParse: rtParse,
		Save:        rtSave,
		Print:       rtPrint,
	})
}

func rtParse(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
	type0 := info[16]&rtTyp != 0 && le32(info[0:]) == 0 && info[17]&rtInvTyp == 0
	switch opt.ID {
	case 0, 2:
		v, ok := xtParseUint(args[0], 0, 0xffffffff)
		if !ok {
			return badSpec(args[0], "rt: bad value for option \"--%s\", or out of range (0-4294967295).", opt.Name)
		}
		at, flag, inv := 0, byte(rtTyp), byte(rtInvTyp)
		if opt.ID == 2 {
			at, flag, inv = 12, rtLen, rtInvLen
		}
		putLe32(info[at:], uint32(v))
		if invert {
			info[17] |= inv
		}
		info[16] |= flag
	case 1:
		vals, err := parseMint("rt", "rt-segsleft", args[0], 0xffffffff, 2)
		if err != nil {
			return err
		}
		putLe32(info[4:], uint32(vals[0]))
		putLe32(info[8:], uint32(vals[len(vals)-1]))
		if invert {
			info[17] |= rtInvSgs
		}
		info[16] |= rtSgs
	case 3:
		if !type0 {
			return badSpec("--rt-0-res", "`--rt-type 0' required before `--rt-0-res'")
		}
		info[16] |= rtRes
	case 4:
		if !type0 {
			return badSpec("--rt-0-addrs", "`--rt-type 0' required before `--rt-0-addrs'")
		}
		parts := strings.Split(args[0], ",")
		if len(parts) > rtHops {
			return badSpec(args[0], "too many addresses specified")
		}
		for i, p := range parts {
			ip, err := parseIP(IPv6, p)
			if err != nil {
				return badSpec(p, "bad address: %s", p)
			}
			copy(info[rtAddrsOff+16*i:], ip)
		}
		info[rtAddrnr] = byte(len(parts))
		info[16] |= rtFst
	case 5:
		if info[16]&rtFst == 0 {
			return badSpec("--rt-0-not-strict", "`--rt-0-addr ...' required before `--rt-0-not-strict'")
		}
		info[16] |= rtNstrict
	}
	return nil
}

// rtAddrs prints the type 0 addresses (at most 16, whatever addrnr says).
func rtAddrs(info []byte) string {
	n := int(info[rtAddrnr])
	if n > rtHops {
		n = rtHops
	}
	var sb strings.Builder
	for i := 0; i < n; i++ {
		if i == 0 {
			sb.WriteByte(' ')
		} else {
			sb.WriteByte(',')
		}
		sb.WriteString(ipString(info[rtAddrsOff+16*i : rtAddrsOff+16*i+16]))
	}
	return sb.String()
}

func rtSave(info []byte, w *Writer) {
	if info[16]&rtTyp != 0 {
		w.Opt(info[17]&rtInvTyp != 0, "rt-type", strconv.FormatUint(uint64(le32(info[0:])), 10))
	}
	if lo, hi := le32(info[4:]), le32(info[8:]); lo != 0 || hi != 0xffffffff {
		w.Opt(info[17]&rtInvSgs != 0, "rt-segsleft", mcRange32(lo, hi))
	}
	if info[16]&rtLen != 0 {
		w.Opt(info[17]&rtInvLen != 0, "rt-len", strconv.FormatUint(uint64(le32(info[12:])), 10))
	}
	if info[16]&rtRes != 0 {
		w.Opt(false, "rt-0-res")
	}
	if info[16]&rtFst != 0 {
		w.Opt(false, "rt-0-addrs")
	}
	w.WriteString(rtAddrs(info))
	if info[16]&rtNstrict != 0 {
		w.Opt(false, "rt-0-not-strict")
	}
}

func rtPrint(info []byte, w *Writer) {
	w.WriteString(" rt")
	if info[16]&rtTyp != 0 {
		fmt.Fprintf(w, " type:%s%d", mcInv(info[17]&rtInvTyp != 0), int32(le32(info[0:])))
	}
	mcPrintIDs(w, "segsleft", le32(info[4:]), le32(info[8:]), info[17]&rtInvSgs != 0, true)
	if info[16]&rtLen != 0 {
		w.WriteString(" length:" + mcInv(info[17]&rtInvLen != 0) + strconv.FormatUint(uint64(le32(info[12:])), 10))
	}
	if info[16]&rtRes != 0 {
		w.WriteString(" reserved")
	}
	if info[16]&rtFst != 0 {
		w.WriteString(" 0-addrs")
	}
	w.WriteString(rtAddrs(info))
	if info[16]&rtNstrict != 0 {
		w.WriteString(" 0-not-strict")
	}
	if inv := info[17] &^ (rtInvTyp | rtInvSgs | rtInvLen); inv != 0 {
		fmt.Fprintf(w, " Unknown invflags: 0x%X", inv)
	}
}
