package compat

// connlimit: -m connlimit, revision 1 (struct xt_connlimit_info, 32
// bytes): union nf_inet_addr mask @0 (16 bytes, network order; IPv4 uses
// the first 4), u32 limit @16, u32 flags @20 (INVERT=1, DADDR=2, host
// order), kernel pointer @24. INVERT set means "upto". While parsing, the
// kernel pointer holds which of --connlimit-upto/-above were given; Final
// clears it. -S always prints the mask and the address side.

const (
	clMask   = 0
	clLimit  = 16
	clFlags  = 20
	clXflags = 24

	clInvert = 1
	clDaddr  = 2
)

const (
	clOptUpto = iota
	clOptAbove
	clOptMask
	clOptSaddr
	clOptDaddr
)

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "connlimit", Family: fam, Revision: 1, Size: 32,
			Options: []Option{
				{Name: "connlimit-upto", Args: 1, Invert: true, ID: clOptUpto},
				{Name: "connlimit-above", Args: 1, Invert: true, ID: clOptAbove},
				{Name: "connlimit-mask", Args: 1, ID: clOptMask},
				{Name: "connlimit-saddr", ID: clOptSaddr},
				{Name: "connlimit-daddr", ID: clOptDaddr},
			},
			Init: func(info []byte, _ *ParseContext) {
				for i := range 16 {
					info[clMask+i] = 0xff
				}
			},
			LegacyParse: connlimitParse,
			Final:       connlimitFinal,
			Save:        func(info []byte, w *Writer) { connlimitSave(info, w, fam) },
		})
	}
}

func connlimitParse(info []byte, opt *Option, args []string, invert bool, ctx *ParseContext) error {
	info[clXflags] |= 1 << opt.ID
	flags := le32(info[clFlags:])
	switch opt.ID {
	case clOptUpto, clOptAbove:
		v, ok := parseUint(args[0], 0, 0xffffffff)
		if !ok {
			return badSpec(args[0], "connlimit: bad value for option \"--%s\", or out of range (0-4294967295).", opt.Name)
		}
		putLe32(info[clLimit:], uint32(v))
		if invert == (opt.ID == clOptAbove) {
			flags |= clInvert
		}
	case clOptMask:
		p, ok := parsePlenStrict(ctx.Family, args[0])
		if !ok {
			return badPlen(args[0], "connlimit", opt.Name, ctx.Family)
		}
		m := plenMask(p)
		if p >= 0 && p <= 32 {
			// xtopt_parse_plenmask shifts 32-bit words: for IPv4-sized
			// prefixes only the first word carries bits.
			clear(m[4:])
		}
		copy(info[clMask:clMask+16], m[:])
	case clOptSaddr:
		flags &^= clDaddr
	case clOptDaddr:
		flags |= clDaddr
	}
	putLe32(info[clFlags:], flags)
	return nil
}

func connlimitFinal(info []byte, _ *ParseContext) error {
	x := info[clXflags]
	info[clXflags] = 0
	if x&(1<<clOptUpto|1<<clOptAbove) == 0 {
		return badSpec("connlimit", "You must specify \"--connlimit-above\" or \"--connlimit-upto\".")
	}
	if x&(1<<clOptUpto) != 0 && x&(1<<clOptAbove) != 0 {
		return badSpec("--connlimit-above", "connlimit: option \"--connlimit-upto\" cannot be used together with --connlimit-above.")
	}
	if x&(1<<clOptSaddr) != 0 && x&(1<<clOptDaddr) != 0 {
		return badSpec("--connlimit-daddr", "connlimit: option \"--connlimit-saddr\" cannot be used together with --connlimit-daddr.")
	}
	return nil
}

// connlimitBits counts a mask's prefix as count_bits4/count_bits6 do:
// the length up to the lowest set bit of each 32-bit word's complement.
func connlimitBits(mask []byte, words int) int {
	bits := 0
	for i := range words {
		for t := ^be32(mask[4*i:]); t != 0; t >>= 1 {
			bits++
		}
	}
	return 32*words - bits
}

func connlimitSave(info []byte, w *Writer, fam Family) {
	flags := le32(info[clFlags:])
	limit := utoa(le32(info[clLimit:]))
	if flags&clInvert != 0 {
		w.Opt(false, "connlimit-upto", limit)
	} else {
		w.Opt(false, "connlimit-above", limit)
	}
	words := 1
	if fam == IPv6 {
		words = 4
	}
	w.Opt(false, "connlimit-mask", utoa(uint32(connlimitBits(info[clMask:], words))))
	if flags&clDaddr != 0 {
		w.Opt(false, "connlimit-daddr")
	} else {
		w.Opt(false, "connlimit-saddr")
	}
}
