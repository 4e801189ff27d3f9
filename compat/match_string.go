package compat

// string: -m string, revision 1 (struct xt_string_info, 160 bytes): u16
// from_offset, u16 to_offset (default 65535), char algo[16], char
// pattern[128] (not NUL-terminated), u8 patlen, u8 flags (INVERT=1,
// IGNORECASE=2), a kernel pointer (sent as 0). -S prints the pattern
// quoted, or as "|hex|" when it holds a non-printable byte or ends in a
// backslash.

type stringInfo struct {
	fromOffset, toOffset uint16
	algo                 [16]byte
	pattern              [strPatMax]byte
	patlen, flags        uint8
}

const (
	strPatMax     = 128
	strFlagInvert = 1
	strFlagICase  = 2
)

func (t *stringInfo) unmarshal(b []byte) {
	t.fromOffset, t.toOffset = hostOrder.Uint16(b[0:]), hostOrder.Uint16(b[2:])
	copy(t.algo[:], b[4:20])
	copy(t.pattern[:], b[20:148])
	t.patlen, t.flags = b[148], b[149]
}

func (t *stringInfo) marshal(b []byte) {
	hostOrder.PutUint16(b[0:], t.fromOffset)
	hostOrder.PutUint16(b[2:], t.toOffset)
	copy(b[4:20], t.algo[:])
	copy(b[20:148], t.pattern[:])
	b[148], b[149] = t.patlen, t.flags
}

const (
	strOptFrom = iota
	strOptTo
	strOptAlgo
	strOptICase
	strOptString
	strOptHex
)

func init() {
	Register(&Extension{
		Name: "string", Revision: 1, Size: 160,
		Options: []Option{
			{Name: "from", ID: strOptFrom, Type: TypeUint16, Flags: MinusWraps},
			{Name: "to", ID: strOptTo, Type: TypeUint16, Flags: MinusWraps},
			{Name: "algo", ID: strOptAlgo, Type: TypeString, Flags: Mandatory},
			{Name: "string", ID: strOptString, Type: TypeString, Flags: Invert},
			{Name: "hex-string", ID: strOptHex, Type: TypeString, Flags: Invert},
			{Name: "icase", ID: strOptICase},
		},
		OneOf: &OneOf{IDs: 1<<strOptString | 1<<strOptHex, Token: "string", Msg: "STRING match: You must specify `--string' or `--hex-string'"},
		Init: func(info []byte, _ *ParseContext) {
			t := stringInfo{toOffset: 0xffff}
			t.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error {
			var t stringInfo
			t.unmarshal(info)
			switch c.Option.ID {
			case strOptFrom:
				t.fromOffset = uint16(c.Val.Uint)
			case strOptTo:
				t.toOffset = uint16(c.Val.Uint)
			case strOptAlgo:
				putCString(t.algo[:], c.Arg())
			case strOptString:
				s := c.Arg()
				if len(s) > strPatMax {
					return badSpec(s, "STRING too long \"%s\"", s)
				}
				copy(t.pattern[:], s)
				t.patlen = byte(len(s))
			case strOptHex:
				p, err := stringParseHex(c.Arg())
				if err != nil {
					return err
				}
				copy(t.pattern[:], p)
				t.patlen = byte(len(p))
			case strOptICase:
				t.flags |= strFlagICase
			}
			if c.Invert {
				t.flags |= strFlagInvert
			}
			t.marshal(info)
			return nil
		},
		Final: func(_ []byte, ctx *ParseContext) error {
			if x := ctx.given(); x&(1<<strOptString) != 0 && x&(1<<strOptHex) != 0 {
				return badSpec("--hex-string", "string: option \"--string\" cannot be used together with \"--hex-string\".\n")
			}
			return nil
		},
		Print: func(info []byte, w *Writer) { stringWrite(info, w, true) },
		Save:  func(info []byte, w *Writer) { stringWrite(info, w, false) },
	})
}

// stringWrite prints the match as -S does, or as -L does (listing): "
// STRING match [!]" before the pattern, then upper-case names without
// dashes.
func stringWrite(info []byte, w *Writer, listing bool) {
	var t stringInfo
	t.unmarshal(info)
	pat := t.pattern[:min(int(t.patlen), strPatMax)]
	inv := t.flags&strFlagInvert != 0
	opt := func(save, list string, value ...string) {
		if listing {
			w.WriteString(" " + list)
		} else {
			w.WriteString(" --" + save)
		}
		for _, v := range value {
			w.WriteString(" " + v)
		}
	}
	hex := stringIsHex(pat)
	switch {
	case listing:
		w.WriteString(" STRING match ")
		if inv {
			w.WriteByte('!')
		}
	case hex:
		w.Opt(inv, "hex-string")
	default:
		w.Opt(inv, "string")
	}
	if hex {
		w.WriteString(" \"|")
		for _, c := range pat {
			w.WriteString(hexDigits[c>>4 : c>>4+1])
			w.WriteString(hexDigits[c&15 : c&15+1])
		}
		w.WriteString("|\"")
	} else {
		w.WriteString(" \"")
		for _, c := range pat {
			if c == '"' || c == '\\' {
				w.WriteByte('\\')
			}
			w.WriteByte(c)
		}
		w.WriteByte('"')
	}
	opt("algo", "ALGO name", cString(t.algo[:]))
	if t.fromOffset != 0 {
		opt("from", "FROM", utoa(t.fromOffset))
	}
	if t.toOffset != 0xffff {
		opt("to", "TO", utoa(t.toOffset))
	}
	if t.flags&strFlagICase != 0 {
		opt("icase", "ICASE")
	}
}

const hexDigits = "0123456789abcdef"

// stringIsHex tells whether -S prints the pattern as hex: it holds a
// byte isprint refuses, or ends in a backslash. (An empty pattern is
// printed as a string here; iptables reads the byte before it.)
func stringIsHex(p []byte) bool {
	for _, c := range p {
		if c < 0x20 || c > 0x7e {
			return true
		}
	}
	return len(p) > 0 && p[len(p)-1] == '\\'
}

// stringParseHex parses a --hex-string argument: plain characters, \x
// literals, and |hex bytes| blocks (spaces allowed between pairs).
func stringParseHex(s string) ([]byte, error) {
	if s == "" {
		return nil, badSpec(s, "STRING must contain at least one char")
	}
	var out []byte
	hexMode, literal := false, false
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	for i := 0; i < len(s); {
		if len(out) >= strPatMax {
			return nil, badSpec(s, "STRING too long \"%s\"", s)
		}
		switch {
		case s[i] == '\\' && !hexMode:
			literal = true
		case s[i] == '\\':
			return nil, badSpec(s, "Cannot include literals in hex data")
		case s[i] == '|':
			if hexMode {
				hexMode = false
			} else {
				hexMode = true
				for at(i+1) == ' ' {
					i++
				}
			}
			if i+1 >= len(s) {
				return out, nil
			}
			i++
		}
		switch {
		case literal:
			if i+1 >= len(s) {
				return nil, badSpec(s, "Bad literal placement at end of string")
			}
			out = append(out, s[i+1])
			i += 2
			literal = false
		case hexMode:
			if i+1 >= len(s) {
				return nil, badSpec(s, "Odd number of hex digits")
			}
			if i+2 >= len(s) {
				return nil, badSpec(s, "Invalid hex block")
			}
			hi, lo := digitValue(s[i]), digitValue(s[i+1])
			if hi >= 16 {
				return nil, badSpec(s, "Invalid hex char '%c'", s[i])
			}
			if lo >= 16 {
				return nil, badSpec(s, "Invalid hex char '%c'", s[i+1])
			}
			out = append(out, byte(hi<<4|lo))
			if at(i+2) == ' ' {
				i += 3
			} else {
				i += 2
			}
		default:
			out = append(out, s[i])
			i++
		}
	}
	return out, nil
}
