package compat

import "strings"

// multiport: -m multiport, revision 1 (struct xt_multiport_v1, 48 bytes):
// u8 flags (0 source, 1 destination, 2 either: the option's ID), u8
// count, u16 ports[15], u8 pflags[15] (1: ports[i] starts a range whose
// end is ports[i+1]), u8 invert. A range takes two of the 15 slots and
// must have lo < hi. --sports/--source-ports, --dports/--destination-ports
// and --ports exclude each other. The rule must be -p tcp, udp, udplite,
// sctp or dccp, given before the option (iptables checks it as it
// parses), not negated; service names resolve for that protocol. -S
// prints numbers.

const mpMax = 15

type multiportInfo struct {
	flags, count uint8
	ports        [mpMax]uint16
	pflags       [mpMax]uint8
	invert       uint8
}

func (m *multiportInfo) unmarshal(b []byte) {
	m.flags, m.count = b[0], b[1]
	for i := range m.ports {
		m.ports[i] = hostOrder.Uint16(b[2+2*i:])
	}
	copy(m.pflags[:], b[32:47])
	m.invert = b[47]
}

func (m *multiportInfo) marshal(b []byte) {
	b[0], b[1] = m.flags, m.count
	for i, p := range m.ports {
		hostOrder.PutUint16(b[2+2*i:], p)
	}
	copy(b[32:47], m.pflags[:])
	b[47] = m.invert
}

func init() {
	const all = 0x7
	Register(&Extension{
		Name: "multiport", Revision: 1, Size: 48,
		Options: []Option{
			{Name: "source-ports", Aliases: []string{"sports"}, ID: 0, Type: TypeString, Flags: Invert | ExclAtOnce, Excl: all},
			{Name: "destination-ports", Aliases: []string{"dports"}, ID: 1, Type: TypeString, Flags: Invert | ExclAtOnce, Excl: all},
			{Name: "ports", ID: 2, Type: TypeString, Flags: Invert | ExclAtOnce, Excl: all},
		},
		OneOf: &OneOf{IDs: all, Token: "-m multiport", Msg: "multiport expection an option"},
		Parse: func(info []byte, c *OptionCall) error {
			proto, err := mpProto(c.ParseContext)
			if err != nil {
				return err
			}
			var m multiportInfo
			m.unmarshal(info)
			if err := m.parsePorts(c.Arg(), proto); err != nil {
				return err
			}
			m.flags = uint8(c.Option.ID)
			if c.Invert {
				m.invert = 1
			}
			m.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var m multiportInfo
			m.unmarshal(info)
			w.WriteString(" multiport ")
			switch m.flags {
			case 0:
				w.WriteString("sports ")
			case 1:
				w.WriteString("dports ")
			case 2:
				w.WriteString("ports ")
			default:
				w.WriteString("ERROR ")
			}
			if m.invert != 0 {
				w.WriteString(" !") // after the space: "dports  !22"
			}
			port := func(p uint16) string {
				if !w.Numeric() {
					if s, ok := serviceName(p, w.proto); ok {
						return s
					}
				}
				return utoa(p)
			}
			n := min(int(m.count), mpMax)
			for i := 0; i < n; i++ {
				if i > 0 {
					w.WriteByte(',')
				}
				w.WriteString(port(m.ports[i]))
				if m.pflags[i] != 0 && i+1 < mpMax {
					i++
					w.WriteString(":" + port(m.ports[i]))
				}
			}
		},
		Save: func(info []byte, w *Writer) {
			var m multiportInfo
			m.unmarshal(info)
			name := map[byte]string{0: "sports", 1: "dports", 2: "ports"}[m.flags]
			if m.invert != 0 {
				w.WriteString(" !")
			}
			if name != "" {
				w.WriteString(" --" + name + " ")
			}
			n := min(int(m.count), mpMax)
			for i := 0; i < n; i++ {
				if i > 0 {
					w.WriteByte(',')
				}
				w.WriteString(utoa(m.ports[i]))
				if m.pflags[i] != 0 && i+1 < mpMax {
					i++
					w.WriteString(":" + utoa(m.ports[i]))
				}
			}
		},
	})
}

// mpProto is check_proto: the protocol name ports resolve for.
func mpProto(ctx *ParseContext) (string, error) {
	s := ctx.Spec
	if s.InvProto {
		return "", badSpec("-m multiport", "multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP")
	}
	switch s.Proto {
	case 6:
		return "tcp", nil
	case 17:
		return "udp", nil
	case 136:
		return "udplite", nil
	case 132:
		return "sctp", nil
	case 33:
		return "dccp", nil
	case 0:
		return "", badSpec("-m multiport", "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'")
	}
	return "", badSpec("-m multiport", "multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP")
}

// parsePorts is parse_multi_ports_v1.
func (m *multiportInfo) parsePorts(arg, proto string) error {
	clear(m.pflags[:])
	port := func(s string) (uint16, error) {
		if v, ok := xtParseUint(s, 0, 0xffff); ok {
			return uint16(v), nil
		}
		if p, ok := serviceByName(s, proto); ok {
			return p, nil
		}
		return 0, badSpec(s, "invalid port/service `%s' specified", s)
	}
	elems := strings.Split(arg, ",")
	i, k := 0, 0
	for ; k < len(elems) && i < mpMax; k, i = k+1, i+1 {
		lo, hi, isRange := strings.Cut(elems[k], ":")
		if isRange && i == mpMax-1 {
			return badSpec(arg, "too many ports specified")
		}
		p, err := port(lo)
		if err != nil {
			return err
		}
		m.ports[i] = p
		if isRange {
			m.pflags[i] = 1
			i++
			q, err := port(hi)
			if err != nil {
				return err
			}
			m.ports[i] = q
			if p >= q {
				return badSpec(elems[k], "invalid portrange specified")
			}
		}
	}
	m.count = byte(i)
	if k < len(elems) {
		return badSpec(arg, "too many ports specified")
	}
	return nil
}
