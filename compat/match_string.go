package compat

// string: -m string, revision 1 (struct xt_string_info, 160 bytes,
// host order): u16 from_offset @0, u16 to_offset @2 (default 65535), char
// algo[16] @4, char pattern[128] @20 (not NUL-terminated), u8 patlen
// @148, u8 flags @149 (INVERT=1, IGNORECASE=2), kernel pointer @152.
// While parsing, the kernel pointer holds which of --string/--hex-string
// were given; Final clears it. -S prints the pattern quoted, or as
// "|hex|" when it holds a non-printable byte or ends in a backslash.

const (
	strFrom    = 0
	strTo      = 2
	strAlgo    = 4
	strPattern = 20
	strPatMax  = 128
	strPatLen  = 148
	strFlags   = 149
	strXflags  = 152

	strFlagInvert = 1
	strFlagICase  = 2
)

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
			{Name: "from", Args: 1, ID: strOptFrom},
			{Name: "to", Args: 1, ID: strOptTo},
			{Name: "algo", Args: 1, Mandatory: true, ID: strOptAlgo},
			{Name: "string", Args: 1, Invert: true, ID: strOptString},
			{Name: "hex-string", Args: 1, Invert: true, ID: strOptHex},
			{Name: "icase", ID: strOptICase},
		},
		Init: func(info []byte, _ *ParseContext) { putLe16(info[strTo:], 0xffff) },
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
			info[strXflags] |= 1 << opt.ID
			switch opt.ID {
			case strOptFrom, strOptTo:
				v, ok := parseUint(args[0], 0, 0xffff)
				if !ok {
					return badSpec(args[0], "string: bad value for option \"--%s\", or out of range (0-65535).", opt.Name)
				}
				off := strFrom
				if opt.ID == strOptTo {
					off = strTo
				}
				putLe16(info[off:], uint16(v))
			case strOptAlgo:
				putCString(info[strAlgo:strAlgo+16], args[0])
			case strOptString:
				s := args[0]
				if len(s) > strPatMax {
					return badSpec(s, "STRING too long \"%s\"", s)
				}
				copy(info[strPattern:strPattern+strPatMax], s)
				info[strPatLen] = byte(len(s))
			case strOptHex:
				p, err := stringParseHex(args[0])
				if err != nil {
					return err
				}
				copy(info[strPattern:strPattern+strPatMax], p)
				info[strPatLen] = byte(len(p))
			case strOptICase:
				info[strFlags] |= strFlagICase
			}
			if invert {
				info[strFlags] |= strFlagInvert
			}
			return nil
		},
		Final: func(info []byte, _ *ParseContext) error {
			x := info[strXflags]
			info[strXflags] = 0
			const s, h = 1 << strOptString, 1 << strOptHex
			if x&(s|h) == 0 {
				return badSpec("string", "STRING match: You must specify `--string' or `--hex-string'")
			}
			if x&s != 0 && x&h != 0 {
				return badSpec("--hex-string", "string: option \"--string\" cannot be used together with --hex-string.")
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			n := min(int(info[strPatLen]), strPatMax)
			pat := info[strPattern : strPattern+n]
			inv := info[strFlags]&strFlagInvert != 0
			if stringIsHex(pat) {
				w.Opt(inv, "hex-string")
				w.WriteString(" \"|")
				for _, c := range pat {
					w.WriteString(hexDigits[c>>4 : c>>4+1])
					w.WriteString(hexDigits[c&15 : c&15+1])
				}
				w.WriteString("|\"")
			} else {
				w.Opt(inv, "string")
				w.WriteString(" \"")
				for _, c := range pat {
					if c == '"' || c == '\\' {
						w.WriteByte('\\')
					}
					w.WriteByte(c)
				}
				w.WriteByte('"')
			}
			w.Opt(false, "algo", cString(info[strAlgo:strAlgo+16]))
			if v := le16(info[strFrom:]); v != 0 {
				w.Opt(false, "from", utoa(v))
			}
			if v := le16(info[strTo:]); v != 0xffff {
				w.Opt(false, "to", utoa(v))
			}
			if info[strFlags]&strFlagICase != 0 {
				w.Opt(false, "icase")
			}
		},
	})
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
