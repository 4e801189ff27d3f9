package compat

// connlimit: -m connlimit, revision 1 (struct xt_connlimit_info, 32
// bytes): union nf_inet_addr mask (network order; IPv4 uses the first 4),
// u32 limit, u32 flags (INVERT=1, DADDR=2), a kernel pointer (sent as 0).
// INVERT set means "upto". -S always prints the mask and the address
// side.

type connlimitInfo struct {
	mask         [16]byte
	limit, flags uint32
}

const (
	clInvert = 1
	clDaddr  = 2
)

func (c *connlimitInfo) unmarshal(b []byte) {
	copy(c.mask[:], b[0:16])
	c.limit, c.flags = hostOrder.Uint32(b[16:]), hostOrder.Uint32(b[20:])
}

func (c *connlimitInfo) marshal(b []byte) {
	copy(b[0:16], c.mask[:])
	hostOrder.PutUint32(b[16:], c.limit)
	hostOrder.PutUint32(b[20:], c.flags)
}

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
				{Name: "connlimit-upto", ID: clOptUpto, Type: TypeUint32, Flags: Invert | MinusWraps},
				{Name: "connlimit-above", ID: clOptAbove, Type: TypeUint32, Flags: Invert | MinusWraps},
				{Name: "connlimit-mask", ID: clOptMask, Type: TypeString},
				{Name: "connlimit-saddr", ID: clOptSaddr},
				{Name: "connlimit-daddr", ID: clOptDaddr},
			},
			OneOf: &OneOf{IDs: 1<<clOptUpto | 1<<clOptAbove, Token: "connlimit", Msg: "You must specify \"--connlimit-above\" or \"--connlimit-upto\"."},
			Init: func(info []byte, _ *ParseContext) {
				c := connlimitInfo{mask: allOnes16}
				c.marshal(info)
			},
			Parse: connlimitParse,
			Final: connlimitFinal,
			Print: func(info []byte, w *Writer) {
				var c connlimitInfo
				c.unmarshal(info)
				c.print(w, fam)
			},
			Save: func(info []byte, w *Writer) {
				var c connlimitInfo
				c.unmarshal(info)
				c.save(w, fam)
			},
		})
	}
}

func connlimitParse(info []byte, c *OptionCall) error {
	var t connlimitInfo
	t.unmarshal(info)
	switch c.Option.ID {
	case clOptUpto, clOptAbove:
		t.limit = uint32(c.Val.Uint)
		if c.Invert == (c.Option.ID == clOptAbove) {
			t.flags |= clInvert
		}
	case clOptMask:
		p, ok := parsePlenStrict(c.Family, c.Arg())
		if !ok {
			return badPlen(c.Arg(), "connlimit", c.Option.Name, c.Family)
		}
		m := plenMask(p)
		if p >= 0 && p <= 32 {
			// xtopt_parse_plenmask shifts 32-bit words: for IPv4-sized
			// prefixes only the first word carries bits.
			clear(m[4:])
		}
		t.mask = m
	case clOptSaddr:
		t.flags &^= clDaddr
	case clOptDaddr:
		t.flags |= clDaddr
	}
	t.marshal(info)
	return nil
}

// connlimitFinal refuses the pairs that exclude each other, in
// libxt_connlimit's words.
func connlimitFinal(_ []byte, ctx *ParseContext) error {
	x := ctx.given()
	if x&(1<<clOptUpto) != 0 && x&(1<<clOptAbove) != 0 {
		return badSpec("--connlimit-above", "connlimit: option \"--connlimit-upto\" cannot be used together with \"--connlimit-above\".\n")
	}
	if x&(1<<clOptSaddr) != 0 && x&(1<<clOptDaddr) != 0 {
		return badSpec("--connlimit-daddr", "connlimit: option \"--connlimit-saddr\" cannot be used together with \"--connlimit-daddr\".\n")
	}
	return nil
}

// connlimitBits counts a mask's prefix as count_bits4/count_bits6 do:
// the length up to the lowest set bit of each 32-bit word's complement.
func connlimitBits(mask []byte, words int) int {
	bits := 0
	for i := range words {
		for t := ^netOrder.Uint32(mask[4*i:]); t != 0; t >>= 1 {
			bits++
		}
	}
	return 32*words - bits
}

// print writes what -L shows: " #conn src/32 > 2".
func (c *connlimitInfo) print(w *Writer, fam Family) {
	side, op := "src", ">"
	if c.flags&clDaddr != 0 {
		side = "dst"
	}
	if c.flags&clInvert != 0 {
		op = "<="
	}
	words := 1
	if fam == IPv6 {
		words = 4
	}
	w.WriteString(" #conn " + side + "/" + utoa(uint32(connlimitBits(c.mask[:], words))) + " " + op + " " + utoa(c.limit))
}

func (c *connlimitInfo) save(w *Writer, fam Family) {
	limit := utoa(c.limit)
	if c.flags&clInvert != 0 {
		w.Opt(false, "connlimit-upto", limit)
	} else {
		w.Opt(false, "connlimit-above", limit)
	}
	words := 1
	if fam == IPv6 {
		words = 4
	}
	w.Opt(false, "connlimit-mask", utoa(uint32(connlimitBits(c.mask[:], words))))
	if c.flags&clDaddr != 0 {
		w.Opt(false, "connlimit-daddr")
	} else {
		w.Opt(false, "connlimit-saddr")
	}
}
