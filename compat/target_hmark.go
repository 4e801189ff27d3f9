package compat

import (
	"math"
	"strconv"
	"strings"
)

// HMARK: -j HMARK (struct xt_hmark_info, 60 bytes, 64 sent):
//
//	@0  union nf_inet_addr src_mask (16)   @16 dst_mask (16)
//	@32 port_mask: be16 src @32, be16 dst @34, or be32 spi @32
//	@36 port_set:  be16 src @36, be16 dst @38, or be32 spi @36
//	@40 u32 flags (1 << XT_HMARK_*)          @44 u16 proto_mask
//	@48 u32 hashrnd   @52 u32 hmodulus   @56 u32 hoffset   (host order)
//
// --hmark-tuple sets all-ones masks (the 16 address bytes whatever the
// family) and counts as the matching --hmark-*-prefix/-mask option having
// been given: giving that option too is refused as a second use, as in
// iptables. Prefixes are 0-32 (IPv4) or 0-128 (IPv6), or a dotted mask
// (a non-contiguous one gives all ones). --hmark-mod and --hmark-rnd are
// required. -S prints prefixes as CIDR lengths (-1 when not contiguous).
// Registered once per family: the prefix range and printing differ.

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
	{Name: "hmark-tuple", Args: 1, ID: hmarkType},
	{Name: "hmark-src-prefix", Args: 1, ID: hmarkSaddrMask},
	{Name: "hmark-dst-prefix", Args: 1, ID: hmarkDaddrMask},
	{Name: "hmark-sport-mask", Args: 1, ID: hmarkSportMask},
	{Name: "hmark-dport-mask", Args: 1, ID: hmarkDportMask},
	{Name: "hmark-spi-mask", Args: 1, ID: hmarkSPIMask},
	{Name: "hmark-sport", Args: 1, ID: hmarkSport},
	{Name: "hmark-dport", Args: 1, ID: hmarkDport},
	{Name: "hmark-spi", Args: 1, ID: hmarkSPI},
	{Name: "hmark-proto-mask", Args: 1, ID: hmarkProtoMask},
	{Name: "hmark-rnd", Args: 1, ID: hmarkRnd},
	{Name: "hmark-mod", Args: 1, ID: hmarkModulus, Mandatory: true},
	{Name: "hmark-offset", Args: 1, ID: hmarkOffset},
}

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "HMARK", Target: true, Family: fam, Revision: 0, Size: 60,
			Options: hmarkOptions,
			LegacyParse: func(info []byte, opt *Option, args []string, _ bool, ctx *ParseContext) error {
				return hmarkParse(info, opt, args[0], ctx)
			},
			Final: hmarkFinal,
			Save: func(info []byte, w *Writer) {
				hmarkSave(info, w, fam)
			},
		})
	}
}

func hmarkSetFlag(info []byte, f int) { putLe32(info[40:], le32(info[40:])|1<<f) }

func hmarkParse(info []byte, opt *Option, a string, ctx *ParseContext) error {
	fam := ctx.Family
	if err := tbOnce(ctx, "HMARK", opt.Name, opt.ID); err != nil {
		return err
	}
	num := func(max uint64) (uint64, error) {
		min := uint64(0)
		if opt.ID == hmarkModulus {
			min = 1
		}
		return uintOpt("HMARK", opt.Name, a, min, max)
	}
	switch opt.ID {
	case hmarkType:
		return hmarkParseTuple(info, a, ctx)
	case hmarkSaddrMask, hmarkDaddrMask:
		mask, err := hmarkPrefix(opt.Name, a, fam)
		if err != nil {
			return err
		}
		off := 0
		if opt.ID == hmarkDaddrMask {
			off = 16
		}
		copy(info[off:off+16], mask[:])
	case hmarkSportMask, hmarkDportMask, hmarkSport, hmarkDport, hmarkProtoMask:
		v, err := num(math.MaxUint16)
		if err != nil {
			return err
		}
		switch opt.ID {
		case hmarkSportMask:
			putBe16(info[32:], uint16(v))
		case hmarkDportMask:
			putBe16(info[34:], uint16(v))
		case hmarkSport:
			putBe16(info[36:], uint16(v))
		case hmarkDport:
			putBe16(info[38:], uint16(v))
		default:
			putLe16(info[44:], uint16(v))
		}
	default:
		v, err := num(math.MaxUint32)
		if err != nil {
			return err
		}
		switch opt.ID {
		case hmarkSPIMask:
			putBe32(info[32:], uint32(v))
		case hmarkSPI:
			putBe32(info[36:], uint32(v))
		case hmarkRnd:
			putLe32(info[48:], uint32(v))
		case hmarkModulus:
			putLe32(info[52:], uint32(v))
		case hmarkOffset:
			putLe32(info[56:], uint32(v))
		}
	}
	hmarkSetFlag(info, opt.ID)
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

func hmarkParseTuple(info []byte, a string, ctx *ParseContext) error {
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
			if len(p) <= len(t.name) && strings.EqualFold(p, t.name[:len(p)]) {
				id = t.id
				break
			}
		}
		if id < 0 {
			return badSpec(a, "Bad type \"%s\"", strings.Join(parts[i:], ","))
		}
		switch id {
		case hmarkSaddrMask:
			copy(info[0:16], allOnes16[:])
		case hmarkDaddrMask:
			copy(info[16:32], allOnes16[:])
		case hmarkSportMask:
			putLe16(info[32:], 0xffff)
		case hmarkDportMask:
			putLe16(info[34:], 0xffff)
		case hmarkProtoMask:
			putLe16(info[44:], 0xffff)
		case hmarkSPIMask:
			putLe32(info[32:], 0xffffffff)
		}
		hmarkSetFlag(info, id)
		ctx.markGiven(1 << id)
	}
	return nil
}

var allOnes16 = [16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

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
	if flags := le32(info[40:]); flags&(1<<hmarkSPI) != 0 && flags&(1<<hmarkSport|1<<hmarkDport) != 0 {
		return badSpec("--hmark-spi", "HMARK: --hmark-spi cannot be used with --hmark-sport or --hmark-dport (refused by the kernel)")
	}
	return nil
}

func hmarkSave(info []byte, w *Writer, fam Family) {
	flags := le32(info[40:])
	has := func(f int) bool { return flags&(1<<f) != 0 }
	l := fam.addrLen()
	if has(hmarkSaddrMask) {
		w.Opt(false, "hmark-src-prefix", strconv.Itoa(maskPrefixLen(fam, info[0:l])))
	}
	if has(hmarkDaddrMask) {
		w.Opt(false, "hmark-dst-prefix", strconv.Itoa(maskPrefixLen(fam, info[16:16+l])))
	}
	if has(hmarkSportMask) {
		w.Opt(false, "hmark-sport-mask", hexPad(uint64(be16(info[32:])), 4))
	}
	if has(hmarkDportMask) {
		w.Opt(false, "hmark-dport-mask", hexPad(uint64(be16(info[34:])), 4))
	}
	if has(hmarkSPIMask) {
		w.Opt(false, "hmark-spi-mask", hexPad(uint64(be32(info[32:])), 8))
	}
	if has(hmarkSport) {
		w.Opt(false, "hmark-sport", hexPad(uint64(be16(info[36:])), 4))
	}
	if has(hmarkDport) {
		w.Opt(false, "hmark-dport", hexPad(uint64(be16(info[38:])), 4))
	}
	if has(hmarkSPI) {
		w.Opt(false, "hmark-spi", hexPad(uint64(be32(info[36:])), 8))
	}
	if has(hmarkProtoMask) {
		w.Opt(false, "hmark-proto-mask", hexPad(uint64(le16(info[44:])), 2))
	}
	if has(hmarkRnd) {
		w.Opt(false, "hmark-rnd", hexPad(uint64(le32(info[48:])), 8))
	}
	if has(hmarkModulus) {
		w.Opt(false, "hmark-mod", strconv.FormatUint(uint64(le32(info[52:])), 10))
	}
	if has(hmarkOffset) {
		w.Opt(false, "hmark-offset", strconv.FormatUint(uint64(le32(info[56:])), 10))
	}
	if has(hmarkCT) {
		w.Opt(false, "hmark-tuple", "ct")
	}
}
