package compat

// ttl: -m ttl (IPv4 only; struct ipt_ttl_info, 2 bytes, 8 sent): u8 mode
// (EQ 0, NE 1, LT 2, GT 3), u8 ttl. Exactly one of --ttl-eq (or its
// non-negatable spelling --ttl), --ttl-lt, --ttl-gt; "! --ttl-eq" is mode
// NE. -S prints "[!] --ttl-eq N", "--ttl-lt N" or "--ttl-gt N".

func init() {
	registerTTLHL("ttl", "TTL", IPv4)
}

// ttlInfo is struct ipt_ttl_info, and ip6t_hl_info (its hop limit).
type ttlInfo struct{ mode, ttl uint8 }

// Its modes.
const (
	ttlEq = iota
	ttlNe
	ttlLt
	ttlGt
)

func (t *ttlInfo) unmarshal(b []byte) { t.mode, t.ttl = b[0], b[1] }
func (t *ttlInfo) marshal(b []byte)   { b[0], b[1] = t.mode, t.ttl }

// registerTTLHL registers ttl (IPv4) or hl (IPv6): the same structure and
// options under another name. Option IDs 0-2 are --NAME-eq, -lt and -gt
// (modes EQ, LT, GT); --NAME is a second spelling of --NAME-eq.
func registerTTLHL(name, upper string, fam Family) {
	const all = 0x7
	opt := func(suffix string, id int, flags OptionFlag) Option {
		return Option{Name: name + suffix, ID: id, Type: TypeUint8, Flags: flags | ExclAtOnce, Excl: all}
	}
	modes := [...]uint8{ttlEq, ttlLt, ttlGt}
	Register(&Extension{
		Name: name, Family: fam, Revision: 0, Size: 2,
		Options: []Option{opt("-eq", 0, Invert), opt("-lt", 1, 0), opt("-gt", 2, 0), opt("", 0, 0)},
		OneOf: &OneOf{IDs: all, Token: "-m " + name,
			Msg: upper + " match: You must specify one of `--" + name + "-eq', `--" + name + "-lt', `--" + name + "-gt'"},
		Parse: func(info []byte, c *OptionCall) error {
			t := ttlInfo{mode: modes[c.Option.ID], ttl: uint8(c.Val.Uint)}
			if c.Invert {
				t.mode = ttlNe
			}
			t.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var t ttlInfo
			t.unmarshal(info)
			op := "??"
			if int(t.mode) < 4 {
				op = [...]string{ttlEq: "==", ttlNe: "!=", ttlLt: "<", ttlGt: ">"}[t.mode]
			}
			w.WriteString(" " + upper + " match " + upper + " " + op + " " + utoa(t.ttl))
		},
		Save: func(info []byte, w *Writer) {
			var t ttlInfo
			t.unmarshal(info)
			v := utoa(t.ttl)
			switch t.mode {
			case ttlEq, ttlNe:
				w.Opt(t.mode == ttlNe, name+"-eq", v)
			case ttlLt:
				w.Opt(false, name+"-lt", v)
			case ttlGt:
				w.Opt(false, name+"-gt", v)
			default:
				if name == "ttl" {
					w.WriteString(" " + v)
				}
			}
		},
	})
}
