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
	natMapIPs         = 0x01
	natProtoSpecified = 0x02
	natRandom         = 0x04
	natPersistent     = 0x08
	natRandomFully    = 0x10
	natProtoOffset    = 0x20
)

type natLayout int

const (
	natCompat natLayout = iota // nf_nat_ipv4_multi_range_compat
	natRange1                  // nf_nat_range
	natRange2                  // nf_nat_range2
)

// natSizes are the C sizes of the layouts.
var natSizes = [...]int{natCompat: 20, natRange1: 40, natRange2: 44}

type natRange struct {
	flags             uint32
	min, max          [16]byte
	minP, maxP, baseP uint16
	layout            natLayout
	fam               Family
}

// unmarshal reads a payload of r's layout (any bytes; short payloads read
// as zero).
func (r *natRange) unmarshal(info []byte) {
	b := make([]byte, 48)
	copy(b, info)
	switch r.layout {
	case natCompat:
		r.flags = hostOrder.Uint32(b[4:])
		copy(r.min[:4], b[8:12])
		copy(r.max[:4], b[12:16])
		r.minP, r.maxP = netOrder.Uint16(b[16:]), netOrder.Uint16(b[18:])
	default:
		r.flags = hostOrder.Uint32(b[0:])
		copy(r.min[:], b[4:20])
		copy(r.max[:], b[20:36])
		r.minP, r.maxP = netOrder.Uint16(b[36:]), netOrder.Uint16(b[38:])
		if r.layout == natRange2 {
			r.baseP = netOrder.Uint16(b[40:])
		}
	}
}

// readNATRange reads a payload of layout l for family fam.
func readNATRange(info []byte, l natLayout, fam Family) natRange {
	r := natRange{layout: l, fam: fam}
	r.unmarshal(info)
	return r
}

// marshal writes the range into a payload of its layout.
func (r *natRange) marshal(info []byte) {
	if len(info) < natSizes[r.layout] {
		return
	}
	switch r.layout {
	case natCompat:
		hostOrder.PutUint32(info[0:], 1) // rangesize
		hostOrder.PutUint32(info[4:], r.flags)
		copy(info[8:12], r.min[:4])
		copy(info[12:16], r.max[:4])
		netOrder.PutUint16(info[16:], r.minP)
		netOrder.PutUint16(info[18:], r.maxP)
	default:
		hostOrder.PutUint32(info[0:], r.flags)
		copy(info[4:20], r.min[:])
		copy(info[20:36], r.max[:])
		netOrder.PutUint16(info[36:], r.minP)
		netOrder.PutUint16(info[38:], r.maxP)
		if r.layout == natRange2 {
			netOrder.PutUint16(info[40:], r.baseP)
		}
	}
}

// natPortOK tells whether -p allows a port in a NAT range (the protocol
// as given, negated or not, as iptables looks at it).
func natPortOK(ctx *ParseContext) bool {
	switch ctx.Spec.Proto {
	case 6, 17, 132, 33, 1:
		return true
	}
	return false
}

// parsePorts parses "port[-port[/base]]" into r as iptables' parse_ports.
func (r *natRange) parsePorts(arg string, portOK bool) error {
	if !portOK {
		return badSpec(arg, "Need TCP, UDP, SCTP or DCCP with port specification")
	}
	r.flags |= natProtoSpecified
	port, end, ok := xtStrtoul(arg, 0, math.MaxUint16)
	if !ok {
		p, found := servicePortAny(arg)
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
		p, found := servicePortAny(arg)
		if !found {
			return badSpec(arg, "Port `%s' not valid", arg)
		}
		base = uint64(p)
	}
	r.flags |= natProtoOffset
	r.baseP = uint16(base)
	return nil
}

// parseTo parses "[addr[-addr]][:port[-port[/base]]]" (IPv6 addresses in
// brackets when a port follows) as iptables' parse_to, quirks included: a
// colon at index 0 or 2 means ports only, and text after "]" up to the
// colon is ignored.
func (r *natRange) parseTo(orig string, portOK bool) error {
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
	r.flags |= natMapIPs
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
func (r *natRange) String() string {
	var sb strings.Builder
	brackets := r.fam == IPv6 && r.flags&natProtoSpecified != 0
	if r.flags&natMapIPs != 0 {
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
	if r.flags&natProtoSpecified != 0 {
		sb.WriteString(":" + strconv.Itoa(int(r.minP)))
		if r.maxP != r.minP {
			sb.WriteString("-" + strconv.Itoa(int(r.maxP)))
		}
		if r.flags&natProtoOffset != 0 {
			base := r.baseP
			if r.layout != natRange2 {
				base = 0
			}
			sb.WriteString("/" + strconv.Itoa(int(base)))
		}
	}
	return sb.String()
}

// natFormat writes the range and flags as iptables' __NAT_print: rangeOpt
// before the range ("--to-source " for -S, "to:" for -L), flagPfx before
// each flag ("--" or ""), skipColon to drop a leading ':' (--to-ports).
func natFormat(w *Writer, r natRange, rangeOpt, flagPfx string, skipColon bool) {
	if s := r.String(); s != "" {
		if skipColon && s[0] == ':' {
			s = s[1:]
		}
		w.WriteString(" " + rangeOpt + s)
	}
	if r.flags&natRandom != 0 {
		w.WriteString(" " + flagPfx + "random")
	}
	if r.flags&natRandomFully != 0 {
		w.WriteString(" " + flagPfx + "random-fully")
	}
	if r.flags&natPersistent != 0 {
		w.WriteString(" " + flagPfx + "persistent")
	}
}

// NAT option IDs, shared by DNAT, SNAT, MASQUERADE and REDIRECT.
const (
	natOptTo = iota
	natOptToPorts
	natOptRandom
	natOptRandomFully
	natOptPersistent
)

// The options the NAT targets share.
var (
	natOptRandomOpt      = Option{Name: "random", ID: natOptRandom}
	natOptRandomFullyOpt = Option{Name: "random-fully", ID: natOptRandomFully}
	natOptPersistentOpt  = Option{Name: "persistent", ID: natOptPersistent}
	natOptToPortsOpt     = Option{Name: "to-ports", ID: natOptToPorts, Type: TypeString}
)

// natOptToOpt is the mandatory --to-destination or --to-source.
func natOptToOpt(name string) Option {
	return Option{Name: name, ID: natOptTo, Type: TypeString, Flags: Mandatory}
}

// natTarget is what sets one NAT target apart: its options, the layout
// and revision iptables 1.8.9 sends for a family, how its range is read
// and shown, where the kernel allows it.
type natTarget struct {
	name    string
	options []Option
	layout  func(Family) (natLayout, uint32)
	// parse reads one option into the range (nil: natParse).
	parse func(r *natRange, c *OptionCall) error
	// final, when set, checks the range once every option is read.
	final func(r natRange) error
	// save and print write the range for -S and -L.
	save, print   func(r natRange, w *Writer)
	tables, hooks []string
}

// natCompatLayout is the layout of SNAT, MASQUERADE, REDIRECT and NETMAP:
// the IPv4 compat structure, nf_nat_range for IPv6.
func natCompatLayout(fam Family) (natLayout, uint32) {
	if fam == IPv6 {
		return natRange1, 0
	}
	return natCompat, 0
}

// registerNAT registers a NAT target in both families.
func registerNAT(t natTarget) {
	parse := t.parse
	if parse == nil {
		parse = natParse
	}
	for _, fam := range []Family{IPv4, IPv6} {
		l, rev := t.layout(fam)
		e := &Extension{
			Name: t.name, Target: true, Family: fam, Revision: rev, Size: natSizes[l],
			Options: t.options,
			Init: func(info []byte, _ *ParseContext) {
				if l == natCompat && len(info) >= 4 {
					hostOrder.PutUint32(info, 1) // rangesize
				}
			},
			Parse: func(info []byte, c *OptionCall) error {
				r := readNATRange(info, l, fam)
				if err := parse(&r, c); err != nil {
					return err
				}
				r.marshal(info)
				return nil
			},
			Save:   func(info []byte, w *Writer) { t.save(readNATRange(info, l, fam), w) },
			Print:  func(info []byte, w *Writer) { t.print(readNATRange(info, l, fam), w) },
			Tables: t.tables,
			Hooks:  t.hooks,
		}
		if t.final != nil {
			e.Final = func(info []byte, _ *ParseContext) error { return t.final(readNATRange(info, l, fam)) }
		}
		Register(e)
	}
}

// natParse reads an option of DNAT, SNAT, MASQUERADE or REDIRECT.
func natParse(r *natRange, c *OptionCall) error {
	switch c.Option.ID {
	case natOptTo:
		return r.parseTo(c.Arg(), natPortOK(c.ParseContext))
	case natOptToPorts:
		return r.parsePorts(c.Arg(), natPortOK(c.ParseContext))
	case natOptRandom:
		r.flags |= natRandom
	case natOptRandomFully:
		r.flags |= natRandomFully
	case natOptPersistent:
		r.flags |= natPersistent
	}
	return nil
}

// natShow makes the save or print of a NAT target: the range after
// rangeOpt, the flags after flagPfx, as natFormat writes them.
func natShow(rangeOpt, flagPfx string, skipColon bool) func(natRange, *Writer) {
	return func(r natRange, w *Writer) { natFormat(w, r, rangeOpt, flagPfx, skipColon) }
}
