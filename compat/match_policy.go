package compat

// policy: -m policy (struct xt_policy_info, 308 bytes → 312, host order
// except addresses): four struct xt_policy_elem of 76 bytes at 0, 76, 152,
// 228, then u16 flags @304 (IN=1 OUT=2 NONE=4 STRICT=8), u16 len @306.
// An element: union saddr @0, smask @16, daddr @32, dmask @48 (16 bytes
// each, network order; IPv4 uses the first 4 of the address, while a mask
// given without "/len" is all ones over 16 bytes, as xtopt_parse_host
// fills it), u32 spi @64 (host order, as iptables stores it), u32 reqid
// @68, u8 proto @72, u8 mode @73 (0 transport, 1 tunnel), u8 match @74
// and u8 invert @75 (bit fields: saddr=1 daddr=2 proto=4 mode=8 spi=0x10
// reqid=0x20). While parsing, len indexes the element being filled;
// Final turns it into the element count.

const (
	polElemSize = 76
	polMaxElem  = 4
	polFlags    = 304
	polLen      = 306

	polEDaddr = 32
	polEDmask = 48
	polESpi   = 64
	polEReqid = 68
	polEProto = 72
	polEMode  = 73
	polEMatch = 74
	polEInv   = 75

	polIn     = 1
	polOut    = 2
	polNone   = 4
	polStrict = 8

	polBSaddr = 0x01
	polBDaddr = 0x02
	polBProto = 0x04
	polBMode  = 0x08
	polBSpi   = 0x10
	polBReqid = 0x20
)

const (
	polOptDir = iota
	polOptPol
	polOptStrict
	polOptReqid
	polOptSpi
	polOptProto
	polOptMode
	polOptTunnelSrc
	polOptTunnelDst
	polOptNext
)

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "policy", Family: fam, Revision: 0, Size: 308,
			Options: []Option{
				{Name: "dir", Args: 1, ID: polOptDir},
				{Name: "pol", Args: 1, ID: polOptPol},
				{Name: "strict", ID: polOptStrict},
				{Name: "reqid", Args: 1, Invert: true, Multi: true, ID: polOptReqid},
				{Name: "spi", Args: 1, Invert: true, Multi: true, ID: polOptSpi},
				{Name: "tunnel-src", Args: 1, Invert: true, Multi: true, ID: polOptTunnelSrc},
				{Name: "tunnel-dst", Args: 1, Invert: true, Multi: true, ID: polOptTunnelDst},
				{Name: "proto", Args: 1, Invert: true, Multi: true, ID: polOptProto},
				{Name: "mode", Args: 1, Invert: true, Multi: true, ID: polOptMode},
				{Name: "next", Multi: true, ID: polOptNext},
			},
			LegacyParse: policyParse,
			Final:       policyFinal,
			Save:        func(info []byte, w *Writer) { policySave(info, w, fam) },
		})
	}
}

func policyParse(info []byte, opt *Option, args []string, invert bool, ctx *ParseContext) error {
	flags := le16(info[polFlags:])
	n := int(le16(info[polLen:]))
	if n >= polMaxElem {
		n = polMaxElem - 1
	}
	e := info[n*polElemSize : (n+1)*polElemSize]
	set := func(bit byte, what string) error {
		if e[polEMatch]&bit != 0 {
			return badSpec("--"+opt.Name, "policy match: double --%s option", what)
		}
		e[polEMatch] |= bit
		if invert {
			e[polEInv] |= bit
		}
		return nil
	}
	var arg string
	if len(args) > 0 {
		arg = args[0]
	}
	switch opt.ID {
	case polOptDir:
		switch arg {
		case "in":
			flags |= polIn
		case "out":
			flags |= polOut
		default:
			return badSpec(arg, "policy_match: invalid dir \"%s\"", arg)
		}
	case polOptPol:
		switch arg {
		case "none":
			flags |= polNone
		case "ipsec":
		default:
			return badSpec(arg, "policy match: invalid policy \"%s\"", arg)
		}
	case polOptStrict:
		flags |= polStrict
	case polOptReqid, polOptSpi:
		v, ok := parseUint(arg, 0, 0xffffffff)
		if !ok {
			return badSpec(arg, "policy: bad value for option \"--%s\", or out of range (0-4294967295).", opt.Name)
		}
		bit, off := byte(polBReqid), polEReqid
		if opt.ID == polOptSpi {
			bit, off = polBSpi, polESpi
		}
		if err := set(bit, opt.Name); err != nil {
			return err
		}
		putLe32(e[off:], uint32(v))
	case polOptTunnelSrc, polOptTunnelDst:
		host, plen, hasMask := arg, "", false
		if i := indexByte(arg, '/'); i >= 0 {
			host, plen, hasMask = arg[:i], arg[i+1:], true
		}
		ip, err := parseIP(ctx.Family, host)
		if err != nil {
			return badSpec(arg, "getaddrinfo: Name or service not known")
		}
		mask := plenMask(-1)
		if hasMask {
			p, ok := parsePlenStrict(ctx.Family, plen)
			if !ok {
				return badPlen(plen, "policy", opt.Name, ctx.Family)
			}
			mask = plenMask(p)
		}
		bit, off := byte(polBSaddr), 0
		if opt.ID == polOptTunnelDst {
			bit, off = polBDaddr, polEDaddr
		}
		if err := set(bit, opt.Name); err != nil {
			return err
		}
		clear(e[off : off+16])
		copy(e[off:], ip)
		copy(e[off+16:off+32], mask[:])
	case polOptProto:
		if e[polEMatch]&polBProto != 0 {
			return badSpec("--proto", "policy match: double --proto option")
		}
		p, err := parseProto(arg, arg)
		if err != nil {
			return err
		}
		e[polEProto] = p
		if p != 51 && p != 50 && p != 108 {
			return badSpec(arg, "policy match: protocol must be ah/esp/ipcomp")
		}
		if err := set(polBProto, "proto"); err != nil {
			return err
		}
	case polOptMode:
		if err := set(polBMode, "mode"); err != nil {
			return err
		}
		switch arg {
		case "transport":
			e[polEMode] = 0
		case "tunnel":
			e[polEMode] = 1
		default:
			return badSpec(arg, "policy match: invalid mode \"%s\"", arg)
		}
	case polOptNext:
		n++
		if n == polMaxElem {
			return badSpec("--next", "policy match: maximum policy depth reached")
		}
		putLe16(info[polLen:], uint16(n))
	}
	putLe16(info[polFlags:], flags)
	return nil
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func policyFinal(info []byte, _ *ParseContext) error {
	flags := le16(info[polFlags:])
	n := int(le16(info[polLen:]))
	if flags&(polIn|polOut) == 0 {
		return badSpec("policy", "policy match: neither --dir in nor --dir out specified")
	}
	if n > 0 && flags&polStrict == 0 {
		return badSpec("--next", "policy: option \"--next\" also requires \"--strict\".")
	}
	if flags&polNone != 0 {
		if flags&polStrict != 0 {
			return badSpec("--strict", "policy match: policy none but --strict given")
		}
		if n != 0 {
			return badSpec("--next", "policy match: policy none but policy given")
		}
	} else {
		n++
		putLe16(info[polLen:], uint16(n))
	}
	for i := 0; i < n && i < polMaxElem; i++ {
		e := info[i*polElemSize : (i+1)*polElemSize]
		if flags&polStrict != 0 && e[polEMatch]&0x3f == 0 {
			return badSpec("--strict", "policy match: empty policy element %d. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required.", i)
		}
		tunnel, invMode := e[polEMode] == 1, e[polEInv]&polBMode != 0
		if e[polEMatch]&(polBSaddr|polBDaddr) != 0 && ((tunnel && invMode) || (!tunnel && e[polEMode] == 0 && !invMode)) {
			return badSpec("--tunnel-src", "policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode")
		}
	}
	return nil
}

func policySave(info []byte, w *Writer, fam Family) {
	flags := le16(info[polFlags:])
	if flags&polIn != 0 {
		w.Opt(false, "dir", "in")
	} else {
		w.Opt(false, "dir", "out")
	}
	if flags&polNone != 0 {
		w.Opt(false, "pol", "none")
	} else {
		w.Opt(false, "pol", "ipsec")
	}
	if flags&polStrict != 0 {
		w.Opt(false, "strict")
	}
	n := min(int(le16(info[polLen:])), polMaxElem)
	l := fam.addrLen()
	for i := 0; i < n; i++ {
		e := info[i*polElemSize : (i+1)*polElemSize]
		m, inv := e[polEMatch], e[polEInv]
		if m&polBReqid != 0 {
			w.Opt(inv&polBReqid != 0, "reqid", utoa(le32(e[polEReqid:])))
		}
		if m&polBSpi != 0 {
			w.Opt(inv&polBSpi != 0, "spi", "0x"+formatHex(le32(e[polESpi:])))
		}
		if m&polBProto != 0 {
			w.Opt(inv&polBProto != 0, "proto", policyProtoName(e[polEProto]))
		}
		if m&polBMode != 0 {
			mode := "???"
			switch e[polEMode] {
			case 0:
				mode = "transport"
			case 1:
				mode = "tunnel"
			}
			w.Opt(inv&polBMode != 0, "mode", mode)
		}
		if m&polBDaddr != 0 {
			w.Opt(inv&polBDaddr != 0, "tunnel-dst", ipString(e[polEDaddr:polEDaddr+l])+maskSuffix(fam, e[polEDmask:polEDmask+l]))
		}
		if m&polBSaddr != 0 {
			w.Opt(inv&polBSaddr != 0, "tunnel-src", ipString(e[0:l])+maskSuffix(fam, e[16:16+l]))
		}
		if i+1 < n {
			w.Opt(false, "next")
		}
	}
}

func formatHex(v uint32) string {
	const d = "0123456789abcdef"
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v != 0; v >>= 4 {
		b = append([]byte{d[v&15]}, b...)
	}
	return string(b)
}

// policyProtoName names a protocol as getprotobynumber would, else the
// number.
func policyProtoName(p uint8) string {
	if s, ok := protoName(p); ok {
		return s
	}
	return utoa(p)
}
