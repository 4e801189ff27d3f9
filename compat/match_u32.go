package compat

import "math"

// u32: -m u32 [!] --u32 TESTS, revision 0 (struct xt_u32, 1984 bytes):
// 11 tests of 180 bytes each (11 location elements {u32 number, u8
// nextop, padding}, 11 value elements {u32 min, u32 max}, u8 nnums, u8
// nvalues, padding), then u8 ntests, u8 invert. TESTS is
// "LOCATION=VALUES[&&LOCATION=VALUES...]": a LOCATION is numbers joined
// by &, <<, >> or @, VALUES numbers or ranges (a:b) joined by commas,
// numbers in C notation; at most 10 tests, 10 numbers in a location, 10
// values (libxt_u32's limits, which stop one short of the structure's
// room). -S and -L print every number in hex, the TESTS quoted.

const (
	u32MaxSize  = 10 // XT_U32_MAXSIZE
	u32TestSize = 180
	u32Size     = 1984
)

// u32 location operators (enum xt_u32_ops).
const (
	u32And = iota
	u32LeftSh
	u32RightSh
	u32At
)

type u32Location struct {
	number uint32
	nextop uint8
}

type u32Value struct{ min, max uint32 }

type u32Test struct {
	location       [u32MaxSize + 1]u32Location
	value          [u32MaxSize + 1]u32Value
	nnums, nvalues uint8
}

type u32Info struct {
	tests          [u32MaxSize + 1]u32Test
	ntests, invert uint8
}

func (u *u32Info) unmarshal(b []byte) {
	for i := range u.tests {
		t, tb := &u.tests[i], b[i*u32TestSize:]
		for j := range t.location {
			t.location[j] = u32Location{hostOrder.Uint32(tb[8*j:]), tb[8*j+4]}
			t.value[j] = u32Value{hostOrder.Uint32(tb[88+8*j:]), hostOrder.Uint32(tb[92+8*j:])}
		}
		t.nnums, t.nvalues = tb[176], tb[177]
	}
	u.ntests, u.invert = b[1980], b[1981]
}

func (u *u32Info) marshal(b []byte) {
	for i := range u.tests {
		t, tb := &u.tests[i], b[i*u32TestSize:]
		for j := range t.location {
			hostOrder.PutUint32(tb[8*j:], t.location[j].number)
			tb[8*j+4] = t.location[j].nextop
			hostOrder.PutUint32(tb[88+8*j:], t.value[j].min)
			hostOrder.PutUint32(tb[92+8*j:], t.value[j].max)
		}
		tb[176], tb[177] = t.nnums, t.nvalues
	}
	b[1980], b[1981] = u.ntests, u.invert
}

func init() {
	Register(&Extension{
		Name: "u32", Revision: 0, Size: u32Size,
		Options: []Option{{Name: "u32", Type: TypeString, Flags: Mandatory | Invert}},
		Parse: func(info []byte, c *OptionCall) error {
			var u u32Info
			u.unmarshal(info)
			u.invert = oneIf[uint8](c.Invert)
			if err := u.parse(c.Arg()); err != nil {
				return err
			}
			u.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var u u32Info
			u.unmarshal(info)
			if u.invert != 0 {
				w.WriteString(" !")
			}
			w.WriteString(" --u32")
			u.dump(w)
		},
		Print: func(info []byte, w *Writer) {
			var u u32Info
			u.unmarshal(info)
			w.WriteString(" u32")
			if u.invert != 0 {
				w.WriteString(" !")
			}
			u.dump(w)
		},
	})
}

// parse reads TESTS as libxt_u32 does, with its messages (positions are
// byte offsets into arg).
func (u *u32Info) parse(arg string) error {
	fail := func(format string, a ...any) error { return badSpec(arg, "u32: "+format, a...) }
	// number reads the number at pos, and returns where it ends.
	number := func(pos int) (uint32, int, error) {
		v, rest, ok := xtStrtoul(arg[pos:], 0, math.MaxUint32)
		if !ok {
			return 0, 0, fail("at char %d: not a number or out of range", pos)
		}
		return uint32(v), len(arg) - len(rest), nil
	}
	at := func(i int) byte {
		if i < len(arg) {
			return arg[i]
		}
		return 0
	}
	testind, locind, valind := 0, 0, 0
	ct := &u.tests[0]
	state := 0
	i := 0
	for {
		for i < len(arg) && isSpace(arg[i]) {
			i++
		}
		if at(i) == 0 {
			if state == 0 {
				return fail("abrupt end of input after location specifier")
			}
			if valind == 0 {
				return fail("test ended with no value specified")
			}
			ct.nnums, ct.nvalues = uint8(locind), uint8(valind)
			testind++
			u.ntests = uint8(testind)
			if testind > u32MaxSize {
				return fail("at char %d: too many \"&&\"s", i)
			}
			return nil
		}
		if state == 0 {
			if at(i) == '=' {
				if locind == 0 {
					return fail("at char %d: location spec missing", i)
				}
				i++
				state = 1
				continue
			}
			if locind != 0 {
				switch at(i) {
				case '&':
					ct.location[locind].nextop = u32And
				case '<':
					if i++; at(i) != '<' {
						return fail("at char %d: a second '<' was expected", i)
					}
					ct.location[locind].nextop = u32LeftSh
				case '>':
					if i++; at(i) != '>' {
						return fail("at char %d: a second '>' was expected", i)
					}
					ct.location[locind].nextop = u32RightSh
				case '@':
					ct.location[locind].nextop = u32At
				default:
					return fail("at char %d: operator expected", i)
				}
				i++
			}
			v, end, err := number(i)
			if err != nil {
				return err
			}
			ct.location[locind].number, i = v, end
			if locind++; locind > u32MaxSize {
				return fail("at char %d: too many operators", i)
			}
			continue
		}
		if at(i) == '&' {
			if i++; at(i) != '&' {
				return fail("at char %d: a second '&' was expected", i)
			}
			if valind == 0 {
				return fail("at char %d: value spec missing", i)
			}
			ct.nnums, ct.nvalues = uint8(locind), uint8(valind)
			if testind++; testind > u32MaxSize {
				return fail("at char %d: too many \"&&\"s", i)
			}
			ct = &u.tests[testind]
			i++
			state, locind, valind = 0, 0, 0
			continue
		}
		if valind > 0 {
			if at(i) != ',' {
				return fail("at char %d: expected \",\" or \"&&\"", i)
			}
			i++
		}
		v, end, err := number(i)
		if err != nil {
			return err
		}
		ct.value[valind], i = u32Value{v, v}, end
		for i < len(arg) && isSpace(arg[i]) {
			i++
		}
		if at(i) == ':' {
			if ct.value[valind].max, i, err = number(i + 1); err != nil {
				return err
			}
		}
		if valind++; valind > u32MaxSize {
			return fail("at char %d: too many \",\"s", i)
		}
	}
}

// dump prints the tests as libxt_u32 does: ` "0x0=0x0&&0x0=0x1"`.
func (u *u32Info) dump(w *Writer) {
	w.WriteString(` "`)
	for ti := 0; ti < int(min(u.ntests, u32MaxSize+1)); ti++ {
		t := &u.tests[ti]
		if ti > 0 {
			w.WriteString("&&")
		}
		w.WriteString(hex0x(t.location[0].number))
		for i := 1; i < int(min(t.nnums, u32MaxSize+1)); i++ {
			switch t.location[i].nextop {
			case u32And:
				w.WriteString("&")
			case u32LeftSh:
				w.WriteString("<<")
			case u32RightSh:
				w.WriteString(">>")
			case u32At:
				w.WriteString("@")
			}
			w.WriteString(hex0x(t.location[i].number))
		}
		w.WriteString("=")
		for i := 0; i < int(min(t.nvalues, u32MaxSize+1)); i++ {
			if i > 0 {
				w.WriteString(",")
			}
			v := t.value[i]
			w.WriteString(hex0x(v.min))
			if v.min != v.max {
				w.WriteString(":" + hex0x(v.max))
			}
		}
	}
	w.WriteString(`"`)
}
