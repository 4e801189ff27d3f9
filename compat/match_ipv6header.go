package compat

import (
	"fmt"
	"strings"
)

// ipv6header: -m ipv6header [!] --header LIST [--soft] (IPv6 only; struct
// ip6t_ipv6header_info, 3 bytes): u8 matchflags (HOPOPTS 0x80, DSTOPTS
// 0x40, ROUTING 0x20, FRAGMENT 0x10, AH 8, ESP 4, NONE 2, PROTO 1), u8
// invflags (0xff when negated), u8 modeflag (0xff with --soft). Header
// names are looked up in /etc/protocols first, then in iptables' own
// short list; -S prints /etc/protocols names ("hop-by-hop" for 0), -L -n
// the flags in hex.

type ipv6headerInfo struct{ matchflags, invflags, modeflag uint8 }

func (h *ipv6headerInfo) unmarshal(b []byte) { h.matchflags, h.invflags, h.modeflag = b[0], b[1], b[2] }
func (h *ipv6headerInfo) marshal(b []byte)   { b[0], b[1], b[2] = h.matchflags, h.invflags, h.modeflag }

var ipv6headerNames = []struct {
	name  string
	proto uint8
}{
	{"hop-by-hop", 0}, {"protocol", 255}, {"hop", 0}, {"dst", 60},
	{"route", 43}, {"frag", 44}, {"auth", 51}, {"esp", 50}, {"none", 59},
	{"prot", 255}, {"0", 0}, {"60", 60}, {"43", 43}, {"44", 44}, {"51", 51},
	{"50", 50}, {"59", 59}, {"255", 255},
}

var ipv6headerFlags = []struct{ proto, flag uint8 }{
	{0, 0x80}, {60, 0x40}, {43, 0x20}, {44, 0x10}, {51, 0x08}, {50, 0x04},
	{59, 0x02}, {255, 0x01},
}

func init() {
	Register(&Extension{
		Name: "ipv6header", Family: IPv6, Revision: 0, Size: 3,
		Options: []Option{
			{Name: "header", ID: 0, Type: TypeString, Flags: Invert | Mandatory},
			{Name: "soft", ID: 1},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var h ipv6headerInfo
			h.unmarshal(info)
			if c.Option.ID == 1 {
				h.modeflag = 0xff
				h.marshal(info)
				return nil
			}
			var flags uint8
			for _, name := range strings.Split(c.Arg(), ",") {
				if name == "" {
					continue
				}
				f, err := ipv6headerFlag(name)
				if err != nil {
					return err
				}
				flags |= f
			}
			if flags == 0 {
				return badSpec(c.Arg(), "ip6t_ipv6header: cannot parse header names")
			}
			h.matchflags = flags
			if c.Invert {
				h.invflags = 0xff
			}
			h.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var h ipv6headerInfo
			h.unmarshal(info)
			w.Opt(h.invflags != 0, "header", ipv6headerFormat(h.matchflags))
			if h.modeflag != 0 {
				w.Opt(false, "soft")
			}
		},
		Print: func(info []byte, w *Writer) {
			var h ipv6headerInfo
			h.unmarshal(info)
			w.WriteString(" ipv6header")
			if h.matchflags != 0 || h.invflags != 0 {
				if w.Numeric() {
					fmt.Fprintf(w, " flags:%s0x%02X", invMark(h.invflags != 0), h.matchflags)
				} else {
					w.WriteString(" flags:" + invMark(h.invflags != 0) + ipv6headerFormat(h.matchflags))
				}
			}
			if h.modeflag != 0 {
				w.WriteString(" soft")
			}
		},
	})
}

func ipv6headerFlag(name string) (uint8, error) {
	proto, ok := protoByName(name)
	if !ok {
		for _, p := range ipv6headerNames {
			if p.name == name {
				proto, ok = p.proto, true
				break
			}
		}
		if !ok {
			return 0, badSpec(name, "unknown header `%s' specified", name)
		}
	}
	for _, f := range ipv6headerFlags {
		if f.proto == proto {
			return f.flag, nil
		}
	}
	return 0, badSpec(name, "unknown header `%d' specified", proto)
}

func ipv6headerFormat(flags uint8) string {
	var parts []string
	for _, f := range ipv6headerFlags {
		if flags&f.flag == 0 {
			continue
		}
		name := ""
		if s, ok := protoName(f.proto); ok && f.proto != 0 {
			name = s
		} else {
			for _, p := range ipv6headerNames {
				if p.proto == f.proto {
					name = p.name
					break
				}
			}
		}
		parts = append(parts, name)
	}
	if len(parts) == 0 {
		return "NONE"
	}
	return strings.Join(parts, ",")
}
