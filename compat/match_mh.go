package compat

import (
	"fmt"
	"strings"
)

// mh: -p mobility-header -m mh [!] --mh-type TYPE[:TYPE] (IPv6 only;
// struct ip6t_mh, 3 bytes): u8 types[2], u8 invflags (INV_TYPE 1).
// types[1] starts at 255. A type is a name of mhTypes (or a prefix of
// one: the first that starts so, unless one is the whole word) or a
// number; an empty end of a range is 0 or 255. The kernel refuses the
// match without -p mobility-header (protocol 135).

type mhInfo struct {
	types    [2]uint8
	invflags uint8
}

const mhInvType = 0x01

func (m *mhInfo) unmarshal(b []byte) { m.types, m.invflags = [2]uint8{b[0], b[1]}, b[2] }

func (m *mhInfo) marshal(b []byte) { b[0], b[1], b[2] = m.types[0], m.types[1], m.invflags }

// mhTypes are the mobility header types by name, each followed by its
// alias, in ip6tables' order (which decides what a prefix means).
var mhTypes = []struct {
	name string
	typ  uint8
}{
	{"binding-refresh-request", 0}, {"brr", 0},
	{"home-test-init", 1}, {"hoti", 1},
	{"careof-test-init", 2}, {"coti", 2},
	{"home-test", 3}, {"hot", 3},
	{"careof-test", 4}, {"cot", 4},
	{"binding-update", 5}, {"bu", 5},
	{"binding-acknowledgement", 6}, {"ba", 6},
	{"binding-error", 7}, {"be", 7},
}

func init() {
	Register(&Extension{
		Name: "mh", Family: IPv6, Revision: 0, Size: 3, Proto: 135,
		Options: []Option{{Name: "mh-type", Type: TypeString, Flags: Invert}},
		Init: func(info []byte, _ *ParseContext) {
			m := mhInfo{types: [2]uint8{0, 0xff}}
			m.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error {
			var m mhInfo
			m.unmarshal(info)
			var err error
			if m.types, err = parseMHTypes(c.Arg()); err != nil {
				return err
			}
			if c.Invert {
				m.invflags |= mhInvType
			}
			m.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var m mhInfo
			m.unmarshal(info)
			// ip6tables 1.8.9 saves nothing for the full range, even
			// negated (its -L shows "mh !0:255").
			if inv := m.invflags&mhInvType != 0; !m.testsNoType(false) {
				w.Opt(inv, "mh-type", formatRange(uint16(m.types[0]), uint16(m.types[1])))
			}
		},
		Print: func(info []byte, w *Writer) {
			var m mhInfo
			m.unmarshal(info)
			w.WriteString(" mh")
			if inv := m.invflags&mhInvType != 0; !m.testsNoType(inv) {
				w.WriteString(" " + invMark(inv) + mhTypeName(m.types[0], w.Numeric()))
				if m.types[0] != m.types[1] {
					w.WriteString(":" + mhTypeName(m.types[1], w.Numeric()))
				}
			}
			if inv := m.invflags &^ mhInvType; inv != 0 {
				fmt.Fprintf(w, " Unknown invflags: 0x%X", inv)
			}
		},
	})
}

// testsNoType tells the full range, not negated: nothing to print.
func (m *mhInfo) testsNoType(inv bool) bool { return m.types == [2]uint8{0, 0xff} && !inv }

// parseMHTypes reads "T", "T:T", "T:", ":T" or ":".
func parseMHTypes(arg string) ([2]uint8, error) {
	lo, hi, isRange := strings.Cut(arg, ":")
	if !isRange {
		t, err := mhType(arg)
		return [2]uint8{t, t}, err
	}
	r := [2]uint8{0, 0xff}
	var err error
	if lo != "" {
		if r[0], err = mhType(lo); err != nil {
			return r, err
		}
	}
	if hi != "" {
		if r[1], err = mhType(hi); err != nil {
			return r, err
		}
	}
	if r[0] > r[1] {
		return r, badSpec(arg, "Invalid MH type range (min > max)")
	}
	return r, nil
}

// mhType reads one type: a name, or a prefix of one, caselessly (the
// first name it starts, unless a later one is the whole word), else a
// number 0-255.
func mhType(s string) (uint8, error) {
	match := -1
	for i, t := range mhTypes {
		if len(s) <= len(t.name) && strings.EqualFold(t.name[:len(s)], s) {
			if match < 0 || len(t.name) == len(s) {
				match = i
			}
		}
	}
	if match >= 0 {
		return mhTypes[match].typ, nil
	}
	v, ok := xtParseUint(s, 0, 0xff)
	if !ok {
		return 0, badSpec(s, "Invalid MH type `%s'", s)
	}
	return uint8(v), nil
}

// mhTypeName is the type's first name, or its number (with -n, or when
// it has none).
func mhTypeName(t uint8, numeric bool) string {
	if !numeric {
		for _, n := range mhTypes {
			if n.typ == t {
				return n.name
			}
		}
	}
	return utoa(t)
}
