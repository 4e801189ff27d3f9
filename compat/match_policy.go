package compat

import "strings"

// policy: -m policy (struct xt_policy_info, 308 bytes → 312): four struct
// xt_policy_elem, then u16 flags (IN=1 OUT=2 NONE=4 STRICT=8), u16 len.
// An element: union saddr, smask, daddr, dmask (network order; IPv4 uses
// the first 4 bytes of the address, while a mask given without "/len" is
// all ones over 16 bytes, as xtopt_parse_host fills it), u32 spi (host
// order, as iptables stores it), u32 reqid, u8 proto, u8 mode (0
// transport, 1 tunnel), u8 match and u8 invert (bit fields: saddr=1
// daddr=2 proto=4 mode=8 spi=0x10 reqid=0x20). While parsing, len indexes
// the element being filled; Final turns it into the element count.

type policyInfo struct {
	elems      [polMaxElem]policyElem
	flags, len uint16
}

type policyElem struct {
	saddr, smask, daddr, dmask [16]byte
	spi, reqid                 uint32
	proto, mode, match, invert uint8
}

const (
	polElemSize = 76
	polMaxElem  = 4

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

func (p *policyInfo) unmarshal(b []byte) {
	for i := range p.elems {
		e, eb := &p.elems[i], b[i*polElemSize:]
		copy(e.saddr[:], eb[0:16])
		copy(e.smask[:], eb[16:32])
		copy(e.daddr[:], eb[32:48])
		copy(e.dmask[:], eb[48:64])
		e.spi, e.reqid = hostOrder.Uint32(eb[64:]), hostOrder.Uint32(eb[68:])
		e.proto, e.mode, e.match, e.invert = eb[72], eb[73], eb[74], eb[75]
	}
	p.flags, p.len = hostOrder.Uint16(b[304:]), hostOrder.Uint16(b[306:])
}

func (p *policyInfo) marshal(b []byte) {
	for i := range p.elems {
		e, eb := &p.elems[i], b[i*polElemSize:]
		copy(eb[0:16], e.saddr[:])
		copy(eb[16:32], e.smask[:])
		copy(eb[32:48], e.daddr[:])
		copy(eb[48:64], e.dmask[:])
		hostOrder.PutUint32(eb[64:], e.spi)
		hostOrder.PutUint32(eb[68:], e.reqid)
		eb[72], eb[73], eb[74], eb[75] = e.proto, e.mode, e.match, e.invert
	}
	hostOrder.PutUint16(b[304:], p.flags)
	hostOrder.PutUint16(b[306:], p.len)
}

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
	const multi = Invert | Multi
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "policy", Family: fam, Revision: 0, Size: 308,
			Options: []Option{
				{Name: "dir", ID: polOptDir, Type: TypeString},
				{Name: "pol", ID: polOptPol, Type: TypeString},
				{Name: "strict", ID: polOptStrict},
				{Name: "reqid", ID: polOptReqid, Type: TypeUint32, Flags: multi | MinusWraps},
				{Name: "spi", ID: polOptSpi, Type: TypeUint32, Flags: multi | MinusWraps},
				{Name: "tunnel-src", ID: polOptTunnelSrc, Type: TypeString, Flags: multi},
				{Name: "tunnel-dst", ID: polOptTunnelDst, Type: TypeString, Flags: multi},
				{Name: "proto", ID: polOptProto, Type: TypeString, Flags: multi},
				{Name: "mode", ID: polOptMode, Type: TypeString, Flags: multi},
				{Name: "next", ID: polOptNext, Flags: Multi},
			},
			Parse: func(info []byte, c *OptionCall) error {
				var p policyInfo
				p.unmarshal(info)
				if err := p.parse(c); err != nil {
					return err
				}
				p.marshal(info)
				return nil
			},
			Final: func(info []byte, _ *ParseContext) error {
				var p policyInfo
				p.unmarshal(info)
				if err := p.final(); err != nil {
					return err
				}
				p.marshal(info)
				return nil
			},
			Print: func(info []byte, w *Writer) {
				var p policyInfo
				p.unmarshal(info)
				p.print(w, fam)
			},
			Save: func(info []byte, w *Writer) {
				var p policyInfo
				p.unmarshal(info)
				p.save(w, fam)
			},
		})
	}
}

func (p *policyInfo) parse(c *OptionCall) error {
	n := min(int(p.len), polMaxElem-1)
	e := &p.elems[n]
	set := func(bit byte, what string) error {
		if e.match&bit != 0 {
			return badSpec("--"+c.Option.Name, "policy match: double --%s option", what)
		}
		e.match |= bit
		if c.Invert {
			e.invert |= bit
		}
		return nil
	}
	arg := c.Arg()
	switch c.Option.ID {
	case polOptDir:
		switch arg {
		case "in":
			p.flags |= polIn
		case "out":
			p.flags |= polOut
		default:
			return badSpec(arg, "policy_match: invalid dir \"%s\"", arg)
		}
	case polOptPol:
		switch arg {
		case "none":
			p.flags |= polNone
		case "ipsec":
		default:
			return badSpec(arg, "policy match: invalid policy \"%s\"", arg)
		}
	case polOptStrict:
		p.flags |= polStrict
	case polOptReqid:
		if err := set(polBReqid, c.Option.Name); err != nil {
			return err
		}
		e.reqid = uint32(c.Val.Uint)
	case polOptSpi:
		if err := set(polBSpi, c.Option.Name); err != nil {
			return err
		}
		e.spi = uint32(c.Val.Uint)
	case polOptTunnelSrc, polOptTunnelDst:
		host, plen, hasMask := arg, "", false
		if i := strings.IndexByte(arg, '/'); i >= 0 {
			host, plen, hasMask = arg[:i], arg[i+1:], true
		}
		ip, err := parseIP(c.Family, host)
		if err != nil {
			return badSpec(arg, "getaddrinfo: Name or service not known")
		}
		mask := plenMask(-1)
		if hasMask {
			l, ok := parsePlenStrict(c.Family, plen)
			if !ok {
				return badPlen(plen, "policy", c.Option.Name, c.Family)
			}
			mask = plenMask(l)
		}
		bit, addr, m := byte(polBSaddr), &e.saddr, &e.smask
		if c.Option.ID == polOptTunnelDst {
			bit, addr, m = polBDaddr, &e.daddr, &e.dmask
		}
		if err := set(bit, c.Option.Name); err != nil {
			return err
		}
		*addr = [16]byte{}
		copy(addr[:], ip)
		*m = mask
	case polOptProto:
		if e.match&polBProto != 0 {
			return badSpec("--proto", "policy match: double --proto option")
		}
		pr, err := parseProto(arg, arg)
		if err != nil {
			return err
		}
		e.proto = pr
		if pr != 51 && pr != 50 && pr != 108 {
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
			e.mode = 0
		case "tunnel":
			e.mode = 1
		default:
			return badSpec(arg, "policy match: invalid mode \"%s\"", arg)
		}
	case polOptNext:
		n++
		if n == polMaxElem {
			return badSpec("--next", "policy match: maximum policy depth reached")
		}
		p.len = uint16(n)
	}
	return nil
}

func (p *policyInfo) final() error {
	n := int(p.len)
	if p.flags&(polIn|polOut) == 0 {
		return badSpec("policy", "policy match: neither --dir in nor --dir out specified")
	}
	if n > 0 && p.flags&polStrict == 0 {
		return badSpec("--next", "policy: option \"--next\" also requires \"--strict\".")
	}
	if p.flags&polNone != 0 {
		if p.flags&polStrict != 0 {
			return badSpec("--strict", "policy match: policy none but --strict given")
		}
		if n != 0 {
			return badSpec("--next", "policy match: policy none but policy given")
		}
	} else {
		n++
		p.len = uint16(n)
	}
	for i := 0; i < n && i < polMaxElem; i++ {
		e := &p.elems[i]
		if p.flags&polStrict != 0 && e.match&0x3f == 0 {
			return badSpec("--strict", "policy match: empty policy element %d. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required.", i)
		}
		tunnel, invMode := e.mode == 1, e.invert&polBMode != 0
		if e.match&(polBSaddr|polBDaddr) != 0 && ((tunnel && invMode) || (!tunnel && e.mode == 0 && !invMode)) {
			return badSpec("--tunnel-src", "policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode")
		}
	}
	return nil
}

func (p *policyInfo) save(w *Writer, fam Family) { p.write(w, fam, "--", false) }

// print writes what -L shows: " policy match dir in pol ipsec [0] reqid 1
// [1] ...", the element numbers only when there are several.
func (p *policyInfo) print(w *Writer, fam Family) {
	w.WriteString(" policy match")
	p.write(w, fam, "", true)
}

// write is what print and save share, as libxt_policy's print_flags and
// print_entry do with a prefix of "" or "--".
func (p *policyInfo) write(w *Writer, fam Family, prefix string, listing bool) {
	opt := func(inv bool, name string, values ...string) {
		if inv {
			w.WriteString(" !")
		}
		w.WriteString(" " + prefix + name)
		for _, v := range values {
			w.WriteString(" " + v)
		}
	}
	if p.flags&polIn != 0 {
		opt(false, "dir", "in")
	} else {
		opt(false, "dir", "out")
	}
	if p.flags&polNone != 0 {
		opt(false, "pol", "none")
	} else {
		opt(false, "pol", "ipsec")
	}
	if p.flags&polStrict != 0 {
		opt(false, "strict")
	}
	n := min(int(p.len), polMaxElem)
	l := fam.addrLen()
	for i := 0; i < n; i++ {
		if listing && n > 1 {
			w.WriteString(" [" + utoa(uint32(i)) + "]")
		}
		e := &p.elems[i]
		m, inv := e.match, e.invert
		if m&polBReqid != 0 {
			opt(inv&polBReqid != 0, "reqid", utoa(e.reqid))
		}
		if m&polBSpi != 0 {
			opt(inv&polBSpi != 0, "spi", hex0x(e.spi))
		}
		if m&polBProto != 0 {
			pr := utoa(e.proto)
			if !listing || !w.Numeric() {
				pr = policyProtoName(e.proto)
			}
			opt(inv&polBProto != 0, "proto", pr)
		}
		if m&polBMode != 0 {
			mode := "???"
			switch e.mode {
			case 0:
				mode = "transport"
			case 1:
				mode = "tunnel"
			}
			opt(inv&polBMode != 0, "mode", mode)
		}
		if m&polBDaddr != 0 {
			opt(inv&polBDaddr != 0, "tunnel-dst", ipString(e.daddr[:l])+maskSuffix(fam, e.dmask[:l]))
		}
		if m&polBSaddr != 0 {
			opt(inv&polBSaddr != 0, "tunnel-src", ipString(e.saddr[:l])+maskSuffix(fam, e.smask[:l]))
		}
		if !listing && i+1 < n {
			opt(false, "next")
		}
	}
}

// policyProtoName names a protocol as getprotobynumber would, else the
// number.
func policyProtoName(p uint8) string {
	if s, ok := protoName(p); ok {
		return s
	}
	return utoa(p)
}
