package compat

import (
	"strconv"
	"strings"
)

// HMARK: -j HMARK (struct xt_hmark_info, 60 bytes, 64 sent): union
// nf_inet_addr src_mask and dst_mask; port_mask and port_set, each be16
// src and dst ports or one be32 spi; u32 flags (1 << XT_HMARK_*), u16
// proto_mask, u32 hashrnd, hmodulus, hoffset.
//
// --hmark-tuple sets all-ones masks (the 16 address bytes whatever the
// family) and counts as the matching --hmark-*-prefix/-mask option having
// been given: giving that option too is refused as a second use, as in
// iptables. Prefixes are 0-32 (IPv4) or 0-128 (IPv6), or a dotted mask
// (a non-contiguous one gives all ones). --hmark-mod and --hmark-rnd are
// required. -S prints prefixes as CIDR lengths (-1 when not contiguous).
// Registered once per family: the prefix range and printing differ.

type hmarkInfo struct {
	srcMask, dstMask [16]byte
	// portMask and portSet are the src port (high half) and dst port (low
	// half), or the spi, as the kernel reads them in network order.
	portMask, portSet          uint32
	flags                      uint32
	protoMask                  uint16
	hashrnd, hmodulus, hoffset uint32
}

func (h *hmarkInfo) unmarshal(b []byte) {
	copy(h.srcMask[:], b[0:16])
	copy(h.dstMask[:], b[16:32])
	h.portMask, h.portSet = netOrder.Uint32(b[32:]), netOrder.Uint32(b[36:])
	h.flags, h.protoMask = hostOrder.Uint32(b[40:]), hostOrder.Uint16(b[44:])
	h.hashrnd, h.hmodulus, h.hoffset = hostOrder.Uint32(b[48:]), hostOrder.Uint32(b[52:]), hostOrder.Uint32(b[56:])
}

func (h *hmarkInfo) marshal(b []byte) {
	copy(b[0:16], h.srcMask[:])
	copy(b[16:32], h.dstMask[:])
	netOrder.PutUint32(b[32:], h.portMask)
	netOrder.PutUint32(b[36:], h.portSet)
	hostOrder.PutUint32(b[40:], h.flags)
	hostOrder.PutUint16(b[44:], h.protoMask)
	hostOrder.PutUint32(b[48:], h.hashrnd)
	hostOrder.PutUint32(b[52:], h.hmodulus)
	hostOrder.PutUint32(b[56:], h.hoffset)
}

// setPort16 sets the src (high) or dst (low) half of a port pair.
func setPort16(pair *uint32, dst bool, v uint16) {
	if dst {
		*pair = *pair&0xffff0000 | uint32(v)
	} else {
		*pair = *pair&0xffff | uint32(v)<<16
	}
}

// Option IDs are iptables' (they double as its xflags bits); the flag bits
// in the structure are the XT_HMARK_* values of the same names.
const (
	hmarkSaddrMask = iota
	hmarkDaddrMask
	hmarkSPI
	hmarkSPIMask
	hmarkSport
	hmarkDport
	hmarkSportMask
	hmarkDportMask
	hmarkProtoMask
	hmarkRnd
	hmarkModulus
	hmarkOffset
	hmarkCT
	hmarkType
)

const hmarkPktMask = 1<<hmarkSaddrMask | 1<<hmarkDaddrMask | 1<<hmarkSPIMask | 1<<hmarkSportMask |
	1<<hmarkDportMask | 1<<hmarkProtoMask | 1<<hmarkSport | 1<<hmarkDport | 1<<hmarkSPI

var hmarkOptions = []Option{
	{Name: "hmark-tuple", ID: hmarkType, Type: TypeString},
	{Name: "hmark-src-prefix", ID: hmarkSaddrMask, Type: TypeString},
	{Name: "hmark-dst-prefix", ID: hmarkDaddrMask, Type: TypeString},
	{Name: "hmark-sport-mask", ID: hmarkSportMask, Type: TypeUint16},
	{Name: "hmark-dport-mask", ID: hmarkDportMask, Type: TypeUint16},
	{Name: "hmark-spi-mask", ID: hmarkSPIMask, Type: TypeUint32},
	{Name: "hmark-sport", ID: hmarkSport, Type: TypeUint16},
	{Name: "hmark-dport", ID: hmarkDport, Type: TypeUint16},
	{Name: "hmark-spi", ID: hmarkSPI, Type: TypeUint32},
	{Name: "hmark-proto-mask", ID: hmarkProtoMask, Type: TypeUint16},
	{Name: "hmark-rnd", ID: hmarkRnd, Type: TypeUint32},
	{Name: "hmark-mod", ID: hmarkModulus, Type: TypeUint32, Min: 1, Flags: Mandatory},
	{Name: "hmark-offset", ID: hmarkOffset, Type: TypeUint32},
}

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "HMARK", Target: true, Family: fam, Revision: 0, Size: 60,
			Options: hmarkOptions,
			Parse: func(info []byte, c *OptionCall) error {
				var h hmarkInfo
				h.unmarshal(info)
				if err := h.parse(c); err != nil {
					return err
				}
				h.marshal(info)
				return nil
			},
			Final: hmarkFinal,
			Print: func(info []byte, w *Writer) {
				var h hmarkInfo
				h.unmarshal(info)
				h.print(w, fam)
			},
			Save: func(info []byte, w *Writer) {
				var h hmarkInfo
				h.unmarshal(info)
				h.save(w, fam)
			},
		})
	}
}

func (h *hmarkInfo) parse(c *OptionCall) error {
	v := c.Val.Uint
	switch id := c.Option.ID; id {
	case hmarkType:
		return h.parseTuple(c)
	case hmarkSaddrMask, hmarkDaddrMask:
		mask, err := hmarkPrefix(c.Option.Name, c.Arg(), c.Family)
		if err != nil {
			return err
		}
		if id == hmarkSaddrMask {
			h.srcMask = mask
		} else {
			h.dstMask = mask
		}
	case hmarkSportMask, hmarkDportMask:
		setPort16(&h.portMask, id == hmarkDportMask, uint16(v))
	case hmarkSport, hmarkDport:
		setPort16(&h.portSet, id == hmarkDport, uint16(v))
	case hmarkProtoMask:
		h.protoMask = uint16(v)
	case hmarkSPIMask:
		h.portMask = uint32(v)
	case hmarkSPI:
		h.portSet = uint32(v)
	case hmarkRnd:
		h.hashrnd = uint32(v)
	case hmarkModulus:
		h.hmodulus = uint32(v)
	case hmarkOffset:
		h.hoffset = uint32(v)
	}
	h.flags |= 1 << c.Option.ID
	return nil
}

// hmarkTupleTypes are --hmark-tuple's words in the order iptables tries
// them: an element matches the first word it is a case-insensitive prefix
// of ("s" is src, "sp" sport).
var hmarkTupleTypes = []struct {
	name string
	id   int
}{
	{"ct", hmarkCT}, {"src", hmarkSaddrMask}, {"dst", hmarkDaddrMask}, {"sport", hmarkSportMask},
	{"dport", hmarkDportMask}, {"proto", hmarkProtoMask}, {"spi", hmarkSPIMask},
}

func (h *hmarkInfo) parseTuple(c *OptionCall) error {
	a := c.Arg()
	parts := strings.Split(a, ",")
	for i, p := range parts {
		if p == "" {
			if i == len(parts)-1 {
				return badSpec(a, "\"--hmark-tuple\" requires a list of types with no spaces, e.g. src,dst,sport,dport,proto")
			}
			return badSpec(a, "Bad type \"%s\"", strings.Join(parts[i:], ","))
		}
		id := -1
		for _, t := range hmarkTupleTypes {
			if hasPrefixFold(t.name, p) {
				id = t.id
				break
			}
		}
		if id < 0 {
			return badSpec(a, "Bad type \"%s\"", strings.Join(parts[i:], ","))
		}
		switch id {
		case hmarkSaddrMask:
			h.srcMask = allOnes16
		case hmarkDaddrMask:
			h.dstMask = allOnes16
		case hmarkSportMask:
			setPort16(&h.portMask, false, 0xffff)
		case hmarkDportMask:
			setPort16(&h.portMask, true, 0xffff)
		case hmarkProtoMask:
			h.protoMask = 0xffff
		case hmarkSPIMask:
			h.portMask = 0xffffffff
		}
		h.flags |= 1 << id
		c.markGiven(1 << id)
	}
	return nil
}

// hmarkPrefix parses XTTYPE_PLENMASK: a prefix length for the family, or
// a numeric mask (whose CIDR length is used; all ones when it has none).
func hmarkPrefix(opt, a string, fam Family) ([16]byte, error) {
	plen, ok := parsePlen(fam, a)
	if !ok {
		return [16]byte{}, badPlen(a, "HMARK", opt, fam)
	}
	return plenMask(plen), nil
}

func hmarkFinal(info []byte, ctx *ParseContext) error {
	given := ctx.given()
	if given&(1<<hmarkRnd) == 0 {
		return badSpec("HMARK", "--hmark-rnd is mandatory")
	}
	if given&(1<<hmarkSPIMask) != 0 && given&(1<<hmarkSportMask|1<<hmarkDportMask) != 0 {
		return badSpec("--hmark-spi-mask", "you cannot use --hmark-spi-mask and --hmark-?port-mask,at the same time")
	}
	if given&(hmarkPktMask|1<<hmarkCT) == 0 {
		return badSpec("HMARK", "you have to specify --hmark-tuple at least")
	}
	// The kernel refuses an SPI value together with port values.
	var h hmarkInfo
	h.unmarshal(info)
	if h.flags&(1<<hmarkSPI) != 0 && h.flags&(1<<hmarkSport|1<<hmarkDport) != 0 {
		return badSpec("--hmark-spi", "HMARK: --hmark-spi cannot be used with --hmark-sport or --hmark-dport (refused by the kernel)")
	}
	return nil
}

// print writes what -L shows: " HMARK mod 10 + 0x1 src-prefix 24 ...",
// each piece followed by a space, as iptables prints it.
func (h *hmarkInfo) print(w *Writer, fam Family) {
	has := func(f int) bool { return h.flags&(1<<f) != 0 }
	l := fam.addrLen()
	w.WriteString(" HMARK ")
	if has(hmarkModulus) {
		w.WriteString("mod " + utoa(h.hmodulus) + " ")
	}
	if has(hmarkOffset) {
		w.WriteString("+ " + hex0x(h.hoffset) + " ")
	}
	if has(hmarkCT) {
		w.WriteString("ct, ")
	}
	prefix := func(mask []byte) string {
		if fam == IPv4 {
			// xtables_ipmask_to_cidr as %u: -1 wraps.
			return utoa(uint32(maskPrefixLen(fam, mask)))
		}
		// xtables_ip6mask_to_numeric without its '/': "" for /128.
		return strings.TrimPrefix(maskSuffix(fam, mask), "/")
	}
	if has(hmarkSaddrMask) {
		w.WriteString("src-prefix " + prefix(h.srcMask[:l]) + " ")
	}
	if has(hmarkDaddrMask) {
		w.WriteString("dst-prefix " + prefix(h.dstMask[:l]) + " ")
	}
	if has(hmarkSportMask) {
		w.WriteString("sport-mask " + hex0x(h.portMask>>16) + " ")
	}
	if has(hmarkDportMask) {
		w.WriteString("dport-mask " + hex0x(h.portMask&0xffff) + " ")
	}
	if has(hmarkSPIMask) {
		w.WriteString("spi-mask " + hex0x(h.portMask) + " ")
	}
	if has(hmarkSport) {
		w.WriteString("sport " + hex0x(h.portSet>>16) + " ")
	}
	if has(hmarkDport) {
		w.WriteString("dport " + hex0x(h.portSet&0xffff) + " ")
	}
	if has(hmarkSPI) {
		w.WriteString("spi " + hex0x(h.portSet) + " ")
	}
	if has(hmarkProtoMask) {
		w.WriteString("proto-mask " + hex0x(h.protoMask) + " ")
	}
	if has(hmarkRnd) {
		w.WriteString("rnd " + hex0x(h.hashrnd) + " ")
	}
}

func (h *hmarkInfo) save(w *Writer, fam Family) {
	has := func(f int) bool { return h.flags&(1<<f) != 0 }
	l := fam.addrLen()
	if has(hmarkSaddrMask) {
		w.Opt(false, "hmark-src-prefix", strconv.Itoa(maskPrefixLen(fam, h.srcMask[:l])))
	}
	if has(hmarkDaddrMask) {
		w.Opt(false, "hmark-dst-prefix", strconv.Itoa(maskPrefixLen(fam, h.dstMask[:l])))
	}
	if has(hmarkSportMask) {
		w.Opt(false, "hmark-sport-mask", hexPad(h.portMask>>16, 4))
	}
	if has(hmarkDportMask) {
		w.Opt(false, "hmark-dport-mask", hexPad(h.portMask&0xffff, 4))
	}
	if has(hmarkSPIMask) {
		w.Opt(false, "hmark-spi-mask", hexPad(h.portMask, 8))
	}
	if has(hmarkSport) {
		w.Opt(false, "hmark-sport", hexPad(h.portSet>>16, 4))
	}
	if has(hmarkDport) {
		w.Opt(false, "hmark-dport", hexPad(h.portSet&0xffff, 4))
	}
	if has(hmarkSPI) {
		w.Opt(false, "hmark-spi", hexPad(h.portSet, 8))
	}
	if has(hmarkProtoMask) {
		w.Opt(false, "hmark-proto-mask", hexPad(h.protoMask, 2))
	}
	if has(hmarkRnd) {
		w.Opt(false, "hmark-rnd", hexPad(h.hashrnd, 8))
	}
	if has(hmarkModulus) {
		w.Opt(false, "hmark-mod", strconv.FormatUint(uint64(h.hmodulus), 10))
	}
	if has(hmarkOffset) {
		w.Opt(false, "hmark-offset", strconv.FormatUint(uint64(h.hoffset), 10))
	}
	if has(hmarkCT) {
		w.Opt(false, "hmark-tuple", "ct")
	}
}
