package compat

import "strings"

// multiport: -m multiport, revision 1 (struct xt_multiport_v1, 48 bytes):
// u8 flags @0 (0 source, 1 destination, 2 either), u8 count @1, u16
// ports[15] @2 (host order), u8 pflags[15] @32 (1: ports[i] starts a range
// whose end is ports[i+1]), u8 invert @47. A range takes two of the 15
// slots and must have lo < hi. --sports/--source-ports, --dports/
// --destination-ports and --ports exclude each other. The rule must be
// -p tcp, udp, udplite, sctp or dccp, given before the option (iptables
// checks it as it parses), not negated; service names resolve for that
// protocol. -S prints numbers.

const (
	mpMax       = 15
	mpOffPorts  = 2
	mpOffPflags = 32
	mpOffInvert = 47
)

var mpOptNames = map[int]string{0: "source-ports", 1: "destination-ports", 2: "ports"}

func init() {
	Register(&Extension{
		Name: "multiport", Revision: 1, Size: 48,
		Options: []Option{
			{Name: "source-ports", Aliases: []string{"sports"}, Args: 1, Invert: true, ID: 0},
			{Name: "destination-ports", Aliases: []string{"dports"}, Args: 1, Invert: true, ID: 1},
			{Name: "ports", Args: 1, Invert: true, ID: 2},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, ctx *ParseContext) error {
			proto, err := mpProto(ctx)
			if err != nil {
				return err
			}
			if err := maExcl(ctx, "multiport", opt.ID, 0x7, mpOptNames); err != nil {
				return err
			}
			if err := mpParsePorts(info, args[0], proto); err != nil {
				return err
			}
			info[0] = byte(opt.ID)
			if invert {
				info[mpOffInvert] = 1
			}
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			if ctx.given() == 0 {
				return badSpec("-m multiport", "multiport expection an option")
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			if len(info) < 48 {
				return
			}
			name := map[byte]string{0: "sports", 1: "dports", 2: "ports"}[info[0]]
			if info[mpOffInvert] != 0 {
				w.WriteString(" !")
			}
			if name != "" {
				w.WriteString(" --" + name + " ")
			}
			n := min(int(info[1]), mpMax)
			for i := 0; i < n; i++ {
				if i > 0 {
					w.WriteByte(',')
				}
				w.WriteString(utoa(le16(info[mpOffPorts+2*i:])))
				if info[mpOffPflags+i] != 0 && i+1 < mpMax {
					i++
					w.WriteString(":" + utoa(le16(info[mpOffPorts+2*i:])))
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

// mpParsePorts is parse_multi_ports_v1.
func mpParsePorts(info []byte, arg, proto string) error {
	clear(info[mpOffPflags : mpOffPflags+mpMax])
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
		putLe16(info[mpOffPorts+2*i:], p)
		if isRange {
			info[mpOffPflags+i] = 1
			i++
			q, err := port(hi)
			if err != nil {
				return err
			}
			putLe16(info[mpOffPorts+2*i:], q)
			if p >= q {
				return badSpec(elems[k], "invalid portrange specified")
			}
		}
	}
	info[1] = byte(i)
	if k < len(elems) {
		return badSpec(arg, "too many ports specified")
	}
	return nil
}
