package compat

import (
	"fmt"
	"strconv"
	"strings"
)

// dst: -m dst [!] --dst-len N --dst-opts TYPE[:LEN][,...] (IPv6 only;
// struct ip6t_opts, 39 bytes): u32 hdrlen @0 (host order), u8 flags @4
// (LEN 1, OPTS 2, NSTRICT 4), u8 invflags @5 (INV_LEN 1), u16 opts[16] @6
// (type << 8 | length, length 0xff when not given), u8 optsnr @38. The hbh
// match (match_hbh.go) has the same structure and rules.

const (
	dstOptsLen    = 0x01
	dstOptsOpts   = 0x02
	dstOptsInvLen = 0x01
	dstOptsMax    = 16
)

func init() { dstRegister("dst") }

// dstRegister registers dst or hbh: same layout, options named
// --NAME-len and --NAME-opts.
func dstRegister(name string) {
	Register(&Extension{
		Name: name, Family: IPv6, Revision: 0, Size: 39,
		Options: []Option{
			{Name: name + "-len", Args: 1, Invert: true, ID: 0},
			{Name: name + "-opts", Args: 1, ID: 1},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
			if opt.ID == 0 {
				v, ok := xtParseUint(args[0], 0, 0xffffffff)
				if !ok {
					return badSpec(args[0], "%s: bad value for option \"--%s\", or out of range (0-4294967295).", name, opt.Name)
				}
				putLe32(info[0:], uint32(v))
				if invert {
					info[5] |= dstOptsInvLen
				}
				info[4] |= dstOptsLen
				return nil
			}
			n, err := dstOptsParse(name, args[0], info[6:38])
			if err != nil {
				return err
			}
			info[38] = byte(n)
			info[4] |= dstOptsOpts
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if info[4]&dstOptsLen != 0 {
				w.Opt(info[5]&dstOptsInvLen != 0, name+"-len", strconv.FormatUint(uint64(le32(info[0:])), 10))
			}
			if info[4]&dstOptsOpts != 0 {
				w.Opt(false, name+"-opts")
			}
			w.WriteString(dstOptsFormat(info))
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" " + name)
			if info[4]&dstOptsLen != 0 {
				w.WriteString(" length:" + mcInv(info[5]&dstOptsInvLen != 0) + strconv.FormatUint(uint64(le32(info[0:])), 10))
			}
			if info[4]&dstOptsOpts != 0 {
				w.WriteString(" opts")
			}
			w.WriteString(dstOptsFormat(info))
			if inv := info[5] &^ dstOptsInvLen; inv != 0 {
				fmt.Fprintf(w, " Unknown invflags: 0x%X", inv)
			}
		},
	})
}

// dstOptsNum is parse_opts_num: strtoul base 0, all of s.
func dstOptsNum(name, what, s string) (uint64, error) {
	v, end, overflow := strtoul(s, 0)
	if end == 0 {
		return 0, badSpec(s, "%s: no valid digits in %s `%s'", name, what, s)
	}
	if overflow {
		return 0, badSpec(s, "%s `%s' specified too big: would overflow", what, s)
	}
	if end != len(s) {
		return 0, badSpec(s, "%s: error parsing %s `%s'", name, what, s)
	}
	return v, nil
}

// dstOptsParse fills opts (16 u16) from "TYPE[:LEN],..." and returns the count.
func dstOptsParse(name, arg string, opts []byte) (int, error) {
	parts := strings.Split(arg, ",")
	i := 0
	for ; i < len(parts) && i < dstOptsMax; i++ {
		typ, length, hasLen := strings.Cut(parts[i], ":")
		if hasLen && i == dstOptsMax-1 {
			return 0, badSpec(arg, "too many ports specified")
		}
		t, err := dstOptsNum(name, "opt", typ)
		if err != nil {
			return 0, err
		}
		v := uint16(t&0xff) << 8
		if hasLen {
			if v == 0 {
				return 0, badSpec(arg, "PAD0 hasn't got length")
			}
			l, err := dstOptsNum(name, "length", length)
			if err != nil {
				return 0, err
			}
			v |= uint16(l & 0xff)
		} else {
			v |= 0xff
		}
		putLe16(opts[2*i:], v)
	}
	if i < len(parts) {
		return 0, badSpec(arg, "too many addresses specified")
	}
	return i, nil
}

func dstOptsFormat(info []byte) string {
	n := int(info[38])
	if n > dstOptsMax {
		n = dstOptsMax
	}
	var sb strings.Builder
	for i := 0; i < n; i++ {
		if i == 0 {
			sb.WriteByte(' ')
		} else {
			sb.WriteByte(',')
		}
		v := le16(info[6+2*i:])
		sb.WriteString(strconv.Itoa(int(v >> 8)))
		if v&0xff != 0xff {
			sb.WriteString(":" + strconv.Itoa(int(v&0xff)))
		}
	}
	return sb.String()
}
