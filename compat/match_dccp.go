package compat

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// dccp: -p dccp -m dccp [!] --sport P[:P] [!] --dport P[:P]
// [!] --dccp-types TYPE[,...] [!] --dccp-option N (struct xt_dccp_info,
// 15 bytes): u16 dpts[2] @0, u16 spts[2] @4, u16 flags @8 (SRC_PORTS 1,
// DEST_PORTS 2, TYPE 4, OPTION 8), u16 invflags @10 (the same bits), u16
// typemask @12 (bit N: packet type N), u8 option @14. iptables-nft 1.8.9
// sends it as an xt match; the kernel refuses it without -p dccp.
//
// Ports are read as libxtables reads XTTYPE_PORTRC: each end through
// getaddrinfo (decimal, wrapping at 65536, or a service name), no order
// check. INVALID stands for the types 10 to 15: it sets bits 10-15, -L
// shows them as INVALID (each number with -n), -S as INVALID.

type dccpInfo struct {
	dpts, spts      [2]uint16
	flags, invflags uint16
	typemask        uint16
	option          uint8
}

const (
	dccpSrcPorts  = 0x01
	dccpDestPorts = 0x02
	dccpType      = 0x04
	dccpOption    = 0x08
	// dccpInvalidTypes are the types INVALID adds besides its own (10).
	dccpInvalidTypes = 0xf800
)

func (d *dccpInfo) unmarshal(b []byte) {
	d.dpts = [2]uint16{hostOrder.Uint16(b[0:]), hostOrder.Uint16(b[2:])}
	d.spts = [2]uint16{hostOrder.Uint16(b[4:]), hostOrder.Uint16(b[6:])}
	d.flags, d.invflags = hostOrder.Uint16(b[8:]), hostOrder.Uint16(b[10:])
	d.typemask, d.option = hostOrder.Uint16(b[12:]), b[14]
}

func (d *dccpInfo) marshal(b []byte) {
	hostOrder.PutUint16(b[0:], d.dpts[0])
	hostOrder.PutUint16(b[2:], d.dpts[1])
	hostOrder.PutUint16(b[4:], d.spts[0])
	hostOrder.PutUint16(b[6:], d.spts[1])
	hostOrder.PutUint16(b[8:], d.flags)
	hostOrder.PutUint16(b[10:], d.invflags)
	hostOrder.PutUint16(b[12:], d.typemask)
	b[14] = d.option
}

// dccpTypes are the packet types by number (DCCP_PKT_*).
var dccpTypes = [...]string{"REQUEST", "RESPONSE", "DATA", "ACK", "DATAACK", "CLOSEREQ", "CLOSE", "RESET", "SYNC", "SYNCACK", "INVALID"}

const (
	dccpOptSport = iota
	dccpOptDport
	dccpOptTypes
	dccpOptOption
)

func init() {
	Register(&Extension{
		Name: "dccp", Revision: 0, Size: 15, Proto: 33,
		Options: []Option{
			{Name: "source-port", Aliases: []string{"sport"}, ID: dccpOptSport, Type: TypeString, Flags: Invert},
			{Name: "destination-port", Aliases: []string{"dport"}, ID: dccpOptDport, Type: TypeString, Flags: Invert},
			{Name: "dccp-types", ID: dccpOptTypes, Type: TypeString, Flags: Invert},
			{Name: "dccp-option", ID: dccpOptOption, Type: TypeUint8, Min: 1, Max: 0xff, Flags: Invert},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var d dccpInfo
			d.unmarshal(info)
			var bit uint16
			switch c.Option.ID {
			case dccpOptSport, dccpOptDport:
				r, err := parseMportRange("dccp", c.Option.Name, c.Arg())
				if err != nil {
					return err
				}
				if c.Option.ID == dccpOptSport {
					d.spts, bit = r, dccpSrcPorts
				} else {
					d.dpts, bit = r, dccpDestPorts
				}
			case dccpOptTypes:
				m, err := parseDCCPTypes(c.Arg())
				if err != nil {
					return err
				}
				d.typemask, bit = m, dccpType
			case dccpOptOption:
				d.option, bit = uint8(c.Val.Uint), dccpOption
			}
			d.flags |= bit
			if c.Invert {
				d.invflags |= bit
			}
			d.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var d dccpInfo
			d.unmarshal(info)
			if d.flags&dccpSrcPorts != 0 {
				w.portRangeOpt(d.invflags&dccpSrcPorts != 0, "sport", d.spts[0], d.spts[1])
			}
			if d.flags&dccpDestPorts != 0 {
				w.portRangeOpt(d.invflags&dccpDestPorts != 0, "dport", d.dpts[0], d.dpts[1])
			}
			if d.flags&dccpType != 0 {
				w.Opt(d.invflags&dccpType != 0, "dccp-types")
				w.WriteString(" " + dccpTypeList(d.typemask, false))
			}
			if d.flags&dccpOption != 0 {
				w.Opt(d.invflags&dccpOption != 0, "dccp-option", strconv.Itoa(int(d.option)))
			}
		},
		Print: func(info []byte, w *Writer) {
			var d dccpInfo
			d.unmarshal(info)
			w.WriteString(" dccp")
			w.proto = "dccp"
			if d.flags&dccpSrcPorts != 0 {
				printPorts(w, "spt", d.spts[0], d.spts[1], d.invflags&dccpSrcPorts != 0)
			}
			if d.flags&dccpDestPorts != 0 {
				printPorts(w, "dpt", d.dpts[0], d.dpts[1], d.invflags&dccpDestPorts != 0)
			}
			if d.flags&dccpType != 0 {
				if d.invflags&dccpType != 0 {
					w.WriteString(" !")
				}
				w.WriteString(" " + dccpTypeList(d.typemask, w.Numeric()))
			}
			if inv := d.invflags&dccpOption != 0; d.flags&dccpOption != 0 && (d.option != 0 || inv) {
				fmt.Fprintf(w, " option=%s%d", invMark(inv), d.option)
			}
		},
	})
}

// parseMportRange reads a port range as libxtables' XTTYPE_PORTRC does
// (xtopt_parse_mport): "p", "lo:hi", "lo:" (hi 65535), ":hi" (lo 0), each
// end as getaddrinfo reads a service, the ends in any order.
func parseMportRange(ext, opt, arg string) ([2]uint16, error) {
	r := [2]uint16{0, 0xffff}
	parts := strings.Split(arg, ":")
	if len(parts) > 2 {
		return r, badSpec(arg, "%s: Too many components for option \"--%s\" (max: 2)", ext, opt)
	}
	for i, p := range parts {
		if p == "" {
			continue
		}
		v, ok := gaiPort(p)
		if !ok {
			return r, badSpec(p, "Port \"%s\" does not resolve to anything.", p)
		}
		r[i] = v
	}
	if len(parts) == 1 {
		r[1] = r[0]
	}
	return r, nil
}

// parseDCCPTypes reads a comma-separated list of type names (any case,
// empty items skipped) into a type mask.
func parseDCCPTypes(arg string) (uint16, error) {
	var m uint16
	for _, name := range strings.Split(arg, ",") {
		if name == "" {
			continue
		}
		i := 0
		for i < len(dccpTypes) && !strings.EqualFold(dccpTypes[i], name) {
			i++
		}
		if i == len(dccpTypes) {
			return 0, badSpec(name, "Unknown DCCP type `%s'", name)
		}
		m |= 1 << i
	}
	if m&(1<<10) != 0 {
		m |= dccpInvalidTypes
	}
	return m, nil
}

// dccpTypeList prints a type mask, lowest type first: by name (INVALID
// once for the types 10 to 15), or each number when numeric.
func dccpTypeList(m uint16, numeric bool) string {
	if !numeric && m&dccpInvalidTypes == dccpInvalidTypes {
		m &^= dccpInvalidTypes
	}
	var b strings.Builder
	for m != 0 {
		i := bits.TrailingZeros16(m)
		m &^= 1 << i
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if !numeric && i < len(dccpTypes) {
			b.WriteString(dccpTypes[i])
		} else {
			b.WriteString(strconv.Itoa(i))
		}
	}
	return b.String()
}
