package compat

import (
	"math"
	"strconv"
	"strings"
)

// NAT ranges. iptables 1.8.9 parses every NAT option into a struct
// nf_nat_range2 and copies it into the structure the kernel revision takes:
//
//	nf_nat_ipv4_multi_range_compat (20 bytes): u32 rangesize @0 (always 1),
//	  u32 flags @4, be32 min_ip @8, be32 max_ip @12, be16 min port @16,
//	  be16 max port @18.
//	nf_nat_range (40 bytes): u32 flags @0, min_addr[16] @4, max_addr[16]
//	  @20, be16 min port @36, be16 max port @38.
//	nf_nat_range2 (44 bytes): nf_nat_range, then be16 base port @40, pad.
//
// Flags: MAP_IPS 1, PROTO_SPECIFIED 2, PROTO_RANDOM 4, PERSISTENT 8,
// PROTO_RANDOM_FULLY 0x10, PROTO_OFFSET 0x20 (the "/base" port, which only
// nf_nat_range2 has room for: the others print it as "/0").

const (
	taNatMapIPs         = 0x01
	taNatProtoSpecified = 0x02
	taNatRandom         = 0x04
	taNatPersistent     = 0x08
	taNatRandomFully    = 0x10
	taNatProtoOffset    = 0x20
)

type taNatLayout int

const (
	taNatCompat taNatLayout = iota // nf_nat_ipv4_multi_range_compat
	taNatRange1                    // nf_nat_range
	taNatRange2                    // nf_nat_range2
)

// taNatSizes are the C sizes of the layouts.
var taNatSizes = [...]int{taNatCompat: 20, taNatRange1: 40, taNatRange2: 44}

type taNatRange struct {
	flags             uint32
	min, max          [16]byte
	minP, maxP, baseP uint16
	layout            taNatLayout
	fam               Family
}

// taNatLoad reads a payload of the layout (any bytes; short payloads read
// as zero).
func taNatLoad(info []byte, l taNatLayout, fam Family) taNatRange {
	r := taNatRange{layout: l, fam: fam}
	b := make([]byte, 48)
	copy(b, info)
	switch l {
	case taNatCompat:
		r.flags = le32(b[4:])
		copy(r.min[:4], b[8:12])
		copy(r.max[:4], b[12:16])
		r.minP, r.maxP = be16(b[16:]), be16(b[18:])
	default:
		r.flags = le32(b[0:])
		copy(r.min[:], b[4:20])
		copy(r.max[:], b[20:36])
		r.minP, r.maxP = be16(b[36:]), be16(b[38:])
		if l == taNatRange2 {
			r.baseP = be16(b[40:])
		}
	}
	return r
}

// store writes the range into a payload of its layout.
func (r *taNatRange) store(info []byte) {
	if len(info) < taNatSizes[r.layout] {
		return
	}
	switch r.layout {
	case taNatCompat:
		putLe32(info[0:], 1)
		putLe32(info[4:], r.flags)
		copy(info[8:12], r.min[:4])
		copy(info[12:16], r.max[:4])
		putBe16(info[16:], r.minP)
		putBe16(info[18:], r.maxP)
	default:
		putLe32(info[0:], r.flags)
		copy(info[4:20], r.min[:])
		copy(info[20:36], r.max[:])
		putBe16(info[36:], r.minP)
		putBe16(info[38:], r.maxP)
		if r.layout == taNatRange2 {
			putBe16(info[40:], r.baseP)
		}
	}
}

// taNatPortOK tells whether -p allows a port in a NAT range (the protocol
// as given, negated or not, as iptables looks at it).
func taNatPortOK(ctx *ParseContext) bool {
	switch ctx.Spec.Proto {
	case 6, 17, 132, 33, 1:
		return true
	}
	return false
}

// parsePorts parses "port[-port[/base]]" into r as iptables' parse_ports.
func (r *taNatRange) parsePorts(arg string, portOK bool) error {
	if !portOK {
		return badSpec(arg, "Need TCP, UDP, SCTP or DCCP with port specification")
	}
	r.flags |= taNatProtoSpecified
	port, end, ok := xtStrtoul(arg, 0, math.MaxUint16)
	if !ok {
		p, found := taServicePort(arg)
		if !found {
			return badSpec(arg, "Port `%s' not valid", arg)
		}
		port, end = uint64(p), ""
	}
	switch {
	case end == "":
		r.minP, r.maxP = uint16(port), uint16(port)
		return nil
	case end[0] == '-':
	case end[0] == ':':
		return badSpec(arg, "Invalid port:port syntax - use dash")
	default:
		return badSpec(arg, "Garbage after port value: `%s'", end)
	}
	arg = end[1:]
	maxport, end, ok := xtStrtoul(arg, 0, math.MaxUint16)
	if !ok {
		return badSpec(arg, "Port `%s' not valid", arg)
	}
	if maxport < port {
		return badSpec(arg, "Port range `%s' funky", arg)
	}
	r.minP, r.maxP = uint16(port), uint16(maxport)
	switch {
	case end == "":
		return nil
	case end[0] != '/':
		return badSpec(end, "Garbage after port range: `%s'", end)
	}
	arg = end[1:]
	base, _, ok := xtStrtoul(arg, 1, math.MaxUint16)
	if !ok {
		p, found := taServicePort(arg)
		if !found {
			return badSpec(arg, "Port `%s' not valid", arg)
		}
		base = uint64(p)
	}
	r.flags |= taNatProtoOffset
	r.baseP = uint16(base)
	return nil
}

// parseTo parses "[addr[-addr]][:port[-port[/base]]]" (IPv6 addresses in
// brackets when a port follows) as iptables' parse_to, quirks included: a
// colon at index 0 or 2 means ports only, and text after "]" up to the
// colon is ignored.
func (r *taNatRange) parseTo(orig string, portOK bool) error {
	start, colon := orig, -1
	if lb := strings.IndexByte(orig, '['); lb < 0 {
		colon = strings.IndexByte(orig, ':')
		if colon >= 0 && strings.IndexByte(orig[colon+1:], ':') >= 0 {
			colon = -1
		}
		if colon >= 0 {
			start = orig[:colon]
		}
	} else {
		rb := strings.IndexByte(orig[lb+1:], ']')
		if rb < 0 || r.fam == IPv4 {
			return badSpec(orig, "Invalid address format")
		}
		rb += lb + 1
		start = orig[lb+1 : rb]
		if c := strings.IndexByte(orig[rb+1:], ':'); c >= 0 {
			colon = rb + 1 + c
		}
	}
	if colon >= 0 {
		if err := r.parsePorts(orig[colon+1:], portOK); err != nil {
			return err
		}
		if colon == 0 || colon == 2 {
			return nil
		}
	}
	r.flags |= taNatMapIPs
	lo, hi, dash := strings.Cut(start, "-")
	ip, err := parseIP(r.fam, lo)
	if err != nil {
		return badSpec(orig, "Bad IP address \"%s\"", lo)
	}
	clear(r.min[:])
	copy(r.min[:], ip)
	r.max = r.min
	if dash {
		ip, err := parseIP(r.fam, hi)
		if err != nil {
			return badSpec(orig, "Bad IP address \"%s\"", hi)
		}
		clear(r.max[:])
		copy(r.max[:], ip)
	}
	return nil
}

// String formats the range as iptables' sprint_range.
func (r *taNatRange) String() string {
	var sb strings.Builder
	brackets := r.fam == IPv6 && r.flags&taNatProtoSpecified != 0
	if r.flags&taNatMapIPs != 0 {
		if brackets {
			sb.WriteByte('[')
		}
		sb.WriteString(inetNtop(r.fam, r.min[:]))
		if r.min != r.max {
			sb.WriteString("-" + inetNtop(r.fam, r.max[:]))
		}
		if brackets {
			sb.WriteByte(']')
		}
	}
	if r.flags&taNatProtoSpecified != 0 {
		sb.WriteString(":" + strconv.Itoa(int(r.minP)))
		if r.maxP != r.minP {
			sb.WriteString("-" + strconv.Itoa(int(r.maxP)))
		}
		if r.flags&taNatProtoOffset != 0 {
			base := r.baseP
			if r.layout != taNatRange2 {
				base = 0
			}
			sb.WriteString("/" + strconv.Itoa(int(base)))
		}
	}
	return sb.String()
}

// taNatFormat writes the range and flags as iptables' __NAT_print: rangeOpt
// before the range ("--to-source " for -S, "to:" for -L), flagPfx before
// each flag ("--" or ""), skipColon to drop a leading ':' (--to-ports).
func taNatFormat(w *Writer, r taNatRange, rangeOpt, flagPfx string, skipColon bool) {
	if s := r.String(); s != "" {
		if skipColon && s[0] == ':' {
			s = s[1:]
		}
		w.WriteString(" " + rangeOpt + s)
	}
	if r.flags&taNatRandom != 0 {
		w.WriteString(" " + flagPfx + "random")
	}
	if r.flags&taNatRandomFully != 0 {
		w.WriteString(" " + flagPfx + "random-fully")
	}
	if r.flags&taNatPersistent != 0 {
		w.WriteString(" " + flagPfx + "persistent")
	}
}

// NAT option IDs, shared by DNAT, SNAT, MASQUERADE and REDIRECT.
const (
	taNatOptTo = iota
	taNatOptToPorts
	taNatOptRandom
	taNatOptRandomFully
	taNatOptPersistent
)

// taNatParse is the Parse of the NAT targets for a layout and family.
func taNatParse(l taNatLayout, fam Family) func([]byte, *Option, []string, bool, *ParseContext) error {
	return func(info []byte, opt *Option, args []string, _ bool, ctx *ParseContext) error {
		r := taNatLoad(info, l, fam)
		switch opt.ID {
		case taNatOptTo:
			if err := r.parseTo(args[0], taNatPortOK(ctx)); err != nil {
				return err
			}
		case taNatOptToPorts:
			if err := r.parsePorts(args[0], taNatPortOK(ctx)); err != nil {
				return err
			}
		case taNatOptRandom:
			r.flags |= taNatRandom
		case taNatOptRandomFully:
			r.flags |= taNatRandomFully
		case taNatOptPersistent:
			r.flags |= taNatPersistent
		}
		r.store(info)
		return nil
	}
}

// taNatInit sets rangesize to 1 in the IPv4 compat layout.
func taNatInit(l taNatLayout) func([]byte, *ParseContext) {
	return func(info []byte, _ *ParseContext) {
		if l == taNatCompat && len(info) >= 4 {
			putLe32(info, 1)
		}
	}
}

// taNatNoOffset is REDIRECT's final check: its structures cannot hold a
// base port.
func taNatNoOffset(l taNatLayout, fam Family) func([]byte, *ParseContext) error {
	return func(info []byte, _ *ParseContext) error {
		if taNatLoad(info, l, fam).flags&taNatProtoOffset != 0 {
			return badSpec("--to-ports", "Shifted portmap ranges not supported with this kernel")
		}
		return nil
	}
}

// taNatSave and taNatPrint print a NAT payload for -S and -L.
func taNatSave(l taNatLayout, fam Family, rangeOpt string, skipColon bool) func([]byte, *Writer) {
	return func(info []byte, w *Writer) {
		taNatFormat(w, taNatLoad(info, l, fam), "--"+rangeOpt+" ", "--", skipColon)
	}
}

func taNatPrint(l taNatLayout, fam Family, rangeOpt string, skipColon bool) func([]byte, *Writer) {
	return func(info []byte, w *Writer) {
		taNatFormat(w, taNatLoad(info, l, fam), rangeOpt, "", skipColon)
	}
}
