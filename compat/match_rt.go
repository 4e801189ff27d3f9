package compat

import (
	"fmt"
	"strconv"
	"strings"
)

// rt: -m rt (IPv6 only; struct ip6t_rt, 280 bytes): u32 rt_type, u32
// segsleft[2], u32 hdrlen, u8 flags (TYP 1, SGS 2, LEN 4, RES 8, FST 0x10,
// FST_NSTRICT 0x20), u8 invflags (TYP 1, SGS 2, LEN 4), struct in6_addr
// addrs[16], u8 addrnr, padding. segsleft[1] starts at 0xffffffff.
// --rt-0-res and --rt-0-addrs need --rt-type 0 before them,
// --rt-0-not-strict needs --rt-0-addrs before it.

type rtInfo struct {
	rtType, hdrlen  uint32
	segsleft        [2]uint32
	flags, invflags uint8
	addrs           [rtHops][16]byte
	addrnr          uint8
}

const (
	rtTyp     = 0x01
	rtSgs     = 0x02
	rtLen     = 0x04
	rtRes     = 0x08
	rtFst     = 0x10
	rtNstrict = 0x20
	rtInvTyp  = 0x01
	rtInvSgs  = 0x02
	rtInvLen  = 0x04
	rtHops    = 16
)

func (r *rtInfo) unmarshal(b []byte) {
	r.rtType = hostOrder.Uint32(b[0:])
	r.segsleft = [2]uint32{hostOrder.Uint32(b[4:]), hostOrder.Uint32(b[8:])}
	r.hdrlen, r.flags, r.invflags = hostOrder.Uint32(b[12:]), b[16], b[17]
	for i := range r.addrs {
		copy(r.addrs[i][:], b[20+16*i:])
	}
	r.addrnr = b[276]
}

func (r *rtInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], r.rtType)
	hostOrder.PutUint32(b[4:], r.segsleft[0])
	hostOrder.PutUint32(b[8:], r.segsleft[1])
	hostOrder.PutUint32(b[12:], r.hdrlen)
	b[16], b[17] = r.flags, r.invflags
	for i := range r.addrs {
		copy(b[20+16*i:], r.addrs[i][:])
	}
	b[276] = r.addrnr
}

func init() {
	Register(&Extension{
		Name: "rt", Family: IPv6, Revision: 0, Size: 280,
		Options: []Option{
			{Name: "rt-type", ID: 0, Type: TypeUint32, Flags: Invert},
			{Name: "rt-segsleft", ID: 1, Type: TypeUint32Range, Flags: Invert},
			{Name: "rt-len", ID: 2, Type: TypeUint32, Flags: Invert},
			{Name: "rt-0-res", ID: 3},
			{Name: "rt-0-addrs", ID: 4, Type: TypeString},
			{Name: "rt-0-not-strict", ID: 5},
		},
		Init: func(info []byte, _ *ParseContext) {
			r := rtInfo{segsleft: [2]uint32{0, 0xffffffff}}
			r.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error {
			var r rtInfo
			r.unmarshal(info)
			if err := r.parse(c); err != nil {
				return err
			}
			r.marshal(info)
			return nil
		},
		Save:  rtSave,
		Print: rtPrint,
	})
}

func (r *rtInfo) parse(c *OptionCall) error {
	type0 := r.flags&rtTyp != 0 && r.rtType == 0 && r.invflags&rtInvTyp == 0
	set := func(flag, inv uint8) {
		if c.Invert {
			r.invflags |= inv
		}
		r.flags |= flag
	}
	switch c.Option.ID {
	case 0:
		r.rtType = uint32(c.Val.Uint)
		set(rtTyp, rtInvTyp)
	case 1:
		r.segsleft = [2]uint32{uint32(c.Val.Range[0]), uint32(c.Val.Range[1])}
		set(rtSgs, rtInvSgs)
	case 2:
		r.hdrlen = uint32(c.Val.Uint)
		set(rtLen, rtInvLen)
	case 3:
		if !type0 {
			return badSpec("--rt-0-res", "`--rt-type 0' required before `--rt-0-res'")
		}
		r.flags |= rtRes
	case 4:
		if !type0 {
			return badSpec("--rt-0-addrs", "`--rt-type 0' required before `--rt-0-addrs'")
		}
		parts := strings.Split(c.Arg(), ",")
		if len(parts) > rtHops {
			return badSpec(c.Arg(), "too many addresses specified")
		}
		for i, p := range parts {
			ip, err := parseIP(IPv6, p)
			if err != nil {
				return badSpec(p, "bad address: %s", p)
			}
			copy(r.addrs[i][:], ip)
		}
		r.addrnr = byte(len(parts))
		r.flags |= rtFst
	case 5:
		if r.flags&rtFst == 0 {
			return badSpec("--rt-0-not-strict", "`--rt-0-addr ...' required before `--rt-0-not-strict'")
		}
		r.flags |= rtNstrict
	}
	return nil
}

// addrList prints the type 0 addresses (at most 16, whatever addrnr says).
func (r *rtInfo) addrList() string {
	return optList(min(int(r.addrnr), rtHops), func(i int) string { return ipString(r.addrs[i][:]) })
}

func rtSave(info []byte, w *Writer) {
	var r rtInfo
	r.unmarshal(info)
	if r.flags&rtTyp != 0 {
		w.Opt(r.invflags&rtInvTyp != 0, "rt-type", strconv.FormatUint(uint64(r.rtType), 10))
	}
	if r.segsleft != [2]uint32{0, 0xffffffff} {
		w.Opt(r.invflags&rtInvSgs != 0, "rt-segsleft", formatRange(r.segsleft[0], r.segsleft[1]))
	}
	if r.flags&rtLen != 0 {
		w.Opt(r.invflags&rtInvLen != 0, "rt-len", strconv.FormatUint(uint64(r.hdrlen), 10))
	}
	if r.flags&rtRes != 0 {
		w.Opt(false, "rt-0-res")
	}
	if r.flags&rtFst != 0 {
		w.Opt(false, "rt-0-addrs")
	}
	w.WriteString(r.addrList())
	if r.flags&rtNstrict != 0 {
		w.Opt(false, "rt-0-not-strict")
	}
}

func rtPrint(info []byte, w *Writer) {
	var r rtInfo
	r.unmarshal(info)
	w.WriteString(" rt")
	if r.flags&rtTyp != 0 {
		fmt.Fprintf(w, " type:%s%d", invMark(r.invflags&rtInvTyp != 0), int32(r.rtType))
	}
	printIDs(w, "segsleft", r.segsleft[0], r.segsleft[1], r.invflags&rtInvSgs != 0, true)
	if r.flags&rtLen != 0 {
		w.WriteString(" length:" + invMark(r.invflags&rtInvLen != 0) + strconv.FormatUint(uint64(r.hdrlen), 10))
	}
	if r.flags&rtRes != 0 {
		w.WriteString(" reserved")
	}
	if r.flags&rtFst != 0 {
		w.WriteString(" 0-addrs")
	}
	w.WriteString(r.addrList())
	if r.flags&rtNstrict != 0 {
		w.WriteString(" 0-not-strict")
	}
	if inv := r.invflags &^ (rtInvTyp | rtInvSgs | rtInvLen); inv != 0 {
		fmt.Fprintf(w, " Unknown invflags: 0x%X", inv)
	}
}
