package compat

import "strconv"

// srh: -m srh (IPv6 only), revision 1 (struct ip6t_srh1, 108 bytes): u8
// next_hdr @0, hdr_len @1, segs_left @2, last_entry @3, u16 tag @4,
// struct in6_addr psid_addr @8, nsid_addr @24, lsid_addr @40, psid_msk
// @56, nsid_msk @72, lsid_msk @88, u16 mt_flags @104, u16 mt_invflags
// @106 (host order). Each option sets its own bit (1<<ID below) in both
// flag words; the -eq, -gt and -lt forms of a field share its byte, the
// last given wins. The SID options are libxtables' XTTYPE_HOSTMASK:
// addr[/plen], the address kept as given, the mask printed as a length.

type srhInfo struct {
	nextHdr, hdrLen, segsLeft, lastEntry uint8
	tag                                  uint16
	sid, sidMask                         [3][16]byte // psid, nsid, lsid
	flags, invflags                      uint16
}

func (s *srhInfo) unmarshal(b []byte) {
	s.nextHdr, s.hdrLen, s.segsLeft, s.lastEntry = b[0], b[1], b[2], b[3]
	s.tag = hostOrder.Uint16(b[4:])
	for i := range s.sid {
		copy(s.sid[i][:], b[8+16*i:])
		copy(s.sidMask[i][:], b[56+16*i:])
	}
	s.flags, s.invflags = hostOrder.Uint16(b[104:]), hostOrder.Uint16(b[106:])
}

func (s *srhInfo) marshal(b []byte) {
	b[0], b[1], b[2], b[3] = s.nextHdr, s.hdrLen, s.segsLeft, s.lastEntry
	hostOrder.PutUint16(b[4:], s.tag)
	for i := range s.sid {
		copy(b[8+16*i:], s.sid[i][:])
		copy(b[56+16*i:], s.sidMask[i][:])
	}
	hostOrder.PutUint16(b[104:], s.flags)
	hostOrder.PutUint16(b[106:], s.invflags)
}

// Option IDs, in ip6tables' order, which is that of the flag bits and of
// the printing.
const (
	srhOptNextHdr = iota
	srhOptLenEq
	srhOptLenGt
	srhOptLenLt
	srhOptSegsEq
	srhOptSegsGt
	srhOptSegsLt
	srhOptLastEq
	srhOptLastGt
	srhOptLastLt
	srhOptTag
	srhOptPSID
	srhOptNSID
	srhOptLSID
	srhOpts
)

// srhNames are the options' names, by ID: -S prints "--srh-" and one,
// -L the name alone.
var srhNames = [srhOpts]string{
	"next-hdr", "hdr-len-eq", "hdr-len-gt", "hdr-len-lt",
	"segs-left-eq", "segs-left-gt", "segs-left-lt",
	"last-entry-eq", "last-entry-gt", "last-entry-lt",
	"tag", "psid", "nsid", "lsid",
}

// field is the byte an option tests (IDs srhOptNextHdr..srhOptLastLt).
func (s *srhInfo) field(id int) *uint8 {
	switch {
	case id == srhOptNextHdr:
		return &s.nextHdr
	case id <= srhOptLenLt:
		return &s.hdrLen
	case id <= srhOptSegsLt:
		return &s.segsLeft
	}
	return &s.lastEntry
}

// value prints an option's value: a number, or a SID as addr/plen.
func (s *srhInfo) value(id int) string {
	switch {
	case id == srhOptTag:
		return strconv.Itoa(int(s.tag))
	case id >= srhOptPSID:
		i := id - srhOptPSID
		plen := uint32(maskPrefixLen(IPv6, s.sidMask[i][:])) // -1 prints as %u does
		return ipString(s.sid[i][:]) + "/" + strconv.FormatUint(uint64(plen), 10)
	}
	return strconv.Itoa(int(*s.field(id)))
}

func init() {
	opts := make([]Option, srhOpts)
	for id, name := range srhNames {
		o := Option{Name: "srh-" + name, ID: id, Type: TypeUint8, Flags: Invert}
		switch {
		case id == srhOptTag:
			o.Type = TypeUint16
		case id >= srhOptPSID:
			o.Type = TypeString
		}
		opts[id] = o
	}
	Register(&Extension{
		Name: "srh", Family: IPv6, Revision: 1, Size: 108,
		Options: opts,
		Parse: func(info []byte, c *OptionCall) error {
			var s srhInfo
			s.unmarshal(info)
			id := c.Option.ID
			switch {
			case id == srhOptTag:
				s.tag = uint16(c.Val.Uint)
			case id >= srhOptPSID:
				addr, mask, err := parseHostMask(IPv6, "srh", c.Option.Name, c.Arg())
				if err != nil {
					return err
				}
				s.sid[id-srhOptPSID], s.sidMask[id-srhOptPSID] = addr, mask
			default:
				*s.field(id) = uint8(c.Val.Uint)
			}
			s.flags |= 1 << id
			if c.Invert {
				s.invflags |= 1 << id
			}
			s.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var s srhInfo
			s.unmarshal(info)
			for id := range srhOpts {
				if s.flags&(1<<id) != 0 {
					w.Opt(s.invflags&(1<<id) != 0, "srh-"+srhNames[id], s.value(id))
				}
			}
		},
		Print: func(info []byte, w *Writer) {
			var s srhInfo
			s.unmarshal(info)
			w.WriteString(" srh")
			for id := range srhOpts {
				if s.flags&(1<<id) == 0 {
					continue
				}
				inv := invMark(s.invflags&(1<<id) != 0)
				if id >= srhOptPSID {
					// " psid ! a::/64", " psid  a::/64"
					w.WriteString(" " + srhNames[id] + " " + inv + " " + s.value(id))
				} else {
					w.WriteString(" " + srhNames[id] + ":" + inv + s.value(id))
				}
			}
		},
	})
}
