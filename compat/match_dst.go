package compat

import (
	"fmt"
	"strconv"
	"strings"
)

// dst: -m dst [!] --dst-len N --dst-opts TYPE[:LEN][,...] (IPv6 only;
// struct ip6t_opts, 39 bytes): u32 hdrlen, u8 flags (LEN 1, OPTS 2,
// NSTRICT 4), u8 invflags (INV_LEN 1), u16 opts[16] (type << 8 | length,
// length 0xff when not given), u8 optsnr. The hbh match (match_hbh.go)
// has the same structure and rules.

type optsInfo struct {
	hdrlen          uint32
	flags, invflags uint8
	opts            [dstOptsMax]uint16
	optsnr          uint8
}

const (
	dstOptsLen    = 0x01
	dstOptsOpts   = 0x02
	dstOptsInvLen = 0x01
	dstOptsMax    = 16
)

func (o *optsInfo) unmarshal(b []byte) {
	o.hdrlen, o.flags, o.invflags = hostOrder.Uint32(b[0:]), b[4], b[5]
	for i := range o.opts {
		o.opts[i] = hostOrder.Uint16(b[6+2*i:])
	}
	o.optsnr = b[38]
}

func (o *optsInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], o.hdrlen)
	b[4], b[5] = o.flags, o.invflags
	for i, v := range o.opts {
		hostOrder.PutUint16(b[6+2*i:], v)
	}
	b[38] = o.optsnr
}

func init() { dstRegister("dst") }

// dstRegister registers dst or hbh: same layout, options named
// --NAME-len and --NAME-opts.
func dstRegister(name string) {
	Register(&Extension{
		Name: name, Family: IPv6, Revision: 0, Size: 39,
		Options: []Option{
			{Name: name + "-len", ID: 0, Type: TypeUint32, Flags: Invert},
			{Name: name + "-opts", ID: 1, Type: TypeString},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var o optsInfo
			o.unmarshal(info)
			if c.Option.ID == 0 {
				o.hdrlen = uint32(c.Val.Uint)
				if c.Invert {
					o.invflags |= dstOptsInvLen
				}
				o.flags |= dstOptsLen
			} else {
				n, err := o.parseOpts(name, c.Arg())
				if err != nil {
					return err
				}
				o.optsnr = byte(n)
				o.flags |= dstOptsOpts
			}
			o.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var o optsInfo
			o.unmarshal(info)
			if o.flags&dstOptsLen != 0 {
				w.Opt(o.invflags&dstOptsInvLen != 0, name+"-len", strconv.FormatUint(uint64(o.hdrlen), 10))
			}
			if o.flags&dstOptsOpts != 0 {
				w.Opt(false, name+"-opts")
			}
			w.WriteString(o.optList())
		},
		Print: func(info []byte, w *Writer) {
			var o optsInfo
			o.unmarshal(info)
			w.WriteString(" " + name)
			if o.flags&dstOptsLen != 0 {
				w.WriteString(" length:" + invMark(o.invflags&dstOptsInvLen != 0) + strconv.FormatUint(uint64(o.hdrlen), 10))
			}
			if o.flags&dstOptsOpts != 0 {
				w.WriteString(" opts")
			}
			w.WriteString(o.optList())
			if inv := o.invflags &^ dstOptsInvLen; inv != 0 {
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

// parseOpts fills opts from "TYPE[:LEN],..." and returns the count.
func (o *optsInfo) parseOpts(name, arg string) (int, error) {
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
		o.opts[i] = v
	}
	if i < len(parts) {
		return 0, badSpec(arg, "too many addresses specified")
	}
	return i, nil
}

// optList prints the options as "TYPE[:LEN]" (at most 16, whatever optsnr
// says).
func (o *optsInfo) optList() string {
	return optList(min(int(o.optsnr), dstOptsMax), func(i int) string {
		v := o.opts[i]
		s := strconv.Itoa(int(v >> 8))
		if v&0xff != 0xff {
			s += ":" + strconv.Itoa(int(v&0xff))
		}
		return s
	})
}

// optList prints the n items of an rt, dst or hbh list as -S and -L
// show them: " a,b,c" (nothing when n is 0).
func optList(n int, item func(i int) string) string {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		if i == 0 {
			sb.WriteByte(' ')
		} else {
			sb.WriteByte(',')
		}
		sb.WriteString(item(i))
	}
	return sb.String()
}
