package compat

import "strings"

// icmp: -m icmp [!] --icmp-type TYPE[/CODE] (IPv4 only; struct ipt_icmp,
// 4 bytes, 8 sent): u8 type @0, u8 code[2] @1 (min, max), u8 invflags @3
// (1: negated). Init sets type 0xff ("any") and code max 0xff. A name
// (case-insensitive, any unambiguous prefix: "echo-req") sets type and its
// code range; numbers take TYPE[/CODE[:CODE]] (a type range only when both
// ends are equal). -S prints numbers: "--icmp-type 8", "3/4" (the code's
// low end only, when the code range is not 0-255), "any" for type 255.
// The kernel accepts it only with -p icmp, not negated.

type icmpName struct {
	name                string
	typ, codeLo, codeHi byte
}

var icmpNames = []icmpName{
	{"any", 0xFF, 0, 0xFF},
	{"echo-reply", 0, 0, 0xFF},
	{"pong", 0, 0, 0xFF},
	{"destination-unreachable", 3, 0, 0xFF},
	{"network-unreachable", 3, 0, 0},
	{"host-unreachable", 3, 1, 1},
	{"protocol-unreachable", 3, 2, 2},
	{"port-unreachable", 3, 3, 3},
	{"fragmentation-needed", 3, 4, 4},
	{"source-route-failed", 3, 5, 5},
	{"network-unknown", 3, 6, 6},
	{"host-unknown", 3, 7, 7},
	{"network-prohibited", 3, 9, 9},
	{"host-prohibited", 3, 10, 10},
	{"TOS-network-unreachable", 3, 11, 11},
	{"TOS-host-unreachable", 3, 12, 12},
	{"communication-prohibited", 3, 13, 13},
	{"host-precedence-violation", 3, 14, 14},
	{"precedence-cutoff", 3, 15, 15},
	{"source-quench", 4, 0, 0xFF},
	{"redirect", 5, 0, 0xFF},
	{"network-redirect", 5, 0, 0},
	{"host-redirect", 5, 1, 1},
	{"TOS-network-redirect", 5, 2, 2},
	{"TOS-host-redirect", 5, 3, 3},
	{"echo-request", 8, 0, 0xFF},
	{"ping", 8, 0, 0xFF},
	{"router-advertisement", 9, 0, 0xFF},
	{"router-solicitation", 10, 0, 0xFF},
	{"time-exceeded", 11, 0, 0xFF},
	{"ttl-exceeded", 11, 0, 0xFF},
	{"ttl-zero-during-transit", 11, 0, 0},
	{"ttl-zero-during-reassembly", 11, 1, 1},
	{"parameter-problem", 12, 0, 0xFF},
	{"ip-header-bad", 12, 0, 0},
	{"required-option-missing", 12, 1, 1},
	{"timestamp-request", 13, 0, 0xFF},
	{"timestamp-reply", 14, 0, 0xFF},
	{"address-mask-request", 17, 0, 0xFF},
	{"address-mask-reply", 18, 0, 0xFF},
}

// icmpInfo is struct ipt_icmp, and ip6t_icmp.
type icmpInfo struct {
	typ      uint8
	code     [2]uint8 // min, max
	invflags uint8
}

func (t *icmpInfo) unmarshal(b []byte) { t.typ, t.code, t.invflags = b[0], [2]uint8{b[1], b[2]}, b[3] }
func (t *icmpInfo) marshal(b []byte) {
	b[0], b[1], b[2], b[3] = t.typ, t.code[0], t.code[1], t.invflags
}

func init() {
	Register(&Extension{
		Name: "icmp", Family: IPv4, Revision: 0, Size: 4, Proto: 1,
		Options: []Option{{Name: "icmp-type", Type: TypeString, Flags: Invert | Mandatory}},
		Init: func(info []byte, _ *ParseContext) {
			t := icmpInfo{typ: 0xff, code: [2]uint8{0, 0xff}}
			t.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error { return icmpParse(info, c, icmpNames, "ICMP") },
		Print: func(info []byte, w *Writer) { printICMP(w, " icmp", info, icmpNames) },
		Save: func(info []byte, w *Writer) {
			var t icmpInfo
			t.unmarshal(info)
			if t.invflags&1 != 0 {
				w.WriteString(" !")
			}
			if t.typ == 0xff {
				w.WriteString(" --icmp-type any")
				return
			}
			w.WriteString(" --icmp-type " + t.typeCode())
		},
	})
}

// printICMP writes -L's form, as print_icmptype does: the name of an exact
// type and code range when not -n, else "typeN[ code C| codes L-H]".
func printICMP(w *Writer, label string, info []byte, names []icmpName) {
	var t icmpInfo
	t.unmarshal(info)
	w.WriteString(label)
	inv := t.invflags&1 != 0
	if !w.Numeric() {
		for _, n := range names {
			if n.typ == t.typ && n.codeLo == t.code[0] && n.codeHi == t.code[1] {
				w.WriteString(" ")
				if inv {
					w.WriteByte('!')
				}
				w.WriteString(n.name)
				return
			}
		}
	}
	if inv {
		w.WriteString(" !")
	}
	w.WriteString("type " + utoa(t.typ))
	switch {
	case t.code[0] == t.code[1]:
		w.WriteString(" code " + utoa(t.code[0]))
	case t.code != [2]uint8{0, 0xff}:
		w.WriteString(" codes " + utoa(t.code[0]) + "-" + utoa(t.code[1]))
	}
}

// typeCode prints "TYPE" or "TYPE/CODE" as icmp_save / icmp6_save do.
func (t *icmpInfo) typeCode() string {
	s := utoa(t.typ)
	if t.code != [2]uint8{0, 0xff} {
		s += "/" + utoa(t.code[0])
	}
	return s
}

// icmpParse is __ipt_parse_icmp: a name prefix from names, or
// TYPE[:TYPE][/CODE[:CODE]] numerically.
func icmpParse(info []byte, c *OptionCall, names []icmpName, what string) error {
	arg := c.Arg()
	var t icmpInfo
	t.unmarshal(info)
	match := -1
	for i, n := range names {
		if !hasPrefixFold(n.name, arg) {
			continue
		}
		if match >= 0 {
			return badSpec(arg, "Ambiguous %s type `%s': `%s' or `%s'?", what, arg, names[match].name, n.name)
		}
		match = i
	}
	if match >= 0 {
		n := names[match]
		t.typ, t.code = n.typ, [2]uint8{n.codeLo, n.codeHi}
	} else {
		typ, rest, ok := icmpRange(arg)
		if !ok {
			return badSpec(arg, "Unknown %s type `%s'", what, arg)
		}
		if typ[0] != typ[1] {
			return badSpec(arg, "%s type range not supported", what)
		}
		t.typ, t.code = typ[0], [2]uint8{0, 0xff}
		if rest != "" {
			if rest[0] != '/' {
				return badSpec(arg, "unknown character %c", rest[0])
			}
			code, rest2, ok := icmpRange(rest[1:])
			if !ok {
				return badSpec(arg, "Unknown %s code `%s'", what, arg)
			}
			if rest2 != "" {
				return badSpec(arg, "unknown character %c", rest2[0])
			}
			t.code = code
		}
	}
	if c.Invert {
		t.invflags |= 1
	}
	t.marshal(info)
	return nil
}

// icmpRange is parse_range: N or N:M, each 0-255.
func icmpRange(s string) ([2]byte, string, bool) {
	var r [2]byte
	v, rest, ok := xtStrtoul(s, 0, 255)
	if !ok {
		return r, "", false
	}
	r[0], r[1] = byte(v), byte(v)
	if strings.HasPrefix(rest, ":") {
		v, rest, ok = xtStrtoul(rest[1:], 0, 255)
		if !ok {
			return r, "", false
		}
		r[1] = byte(v)
	}
	return r, rest, true
}
