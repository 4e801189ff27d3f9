package compat

import "strconv"

// TTL (IPv4 only): -j TTL (struct ipt_TTL_info, 2 bytes, 8 sent): u8 mode
// (0 set, 1 inc, 2 dec), u8 ttl. --ttl-set takes 0-255, --ttl-dec and
// --ttl-inc 1-255; the three exclude each other and one is required. -S
// prints "--ttl-MODE N". The kernel allows it only in the mangle table.
// registerTTL also serves HL (target_hl.go), the same structure for IPv6.
// The options' IDs are the modes they set.

const (
	ttlModeSet = 0
	ttlModeInc = 1
	ttlModeDec = 2
)

func init() {
	registerTTL("TTL", "ttl", IPv4)
}

func registerTTL(name, prefix string, fam Family) {
	names := map[int]string{ttlModeSet: prefix + "-set", ttlModeInc: prefix + "-inc", ttlModeDec: prefix + "-dec"}
	opt := func(mode int, min uint64) Option {
		return Option{Name: names[mode], ID: mode, Type: TypeUint8, Min: min, Excl: 0x7}
	}
	Register(&Extension{
		Name: name, Target: true, Family: fam, Revision: 0, Size: 2,
		Options: []Option{opt(ttlModeSet, 0), opt(ttlModeDec, 1), opt(ttlModeInc, 1)},
		OneOf:   &OneOf{IDs: 0x7, Token: name, Msg: name + ": You must specify an action"},
		Parse: func(info []byte, c *OptionCall) error {
			t := ttlInfo{mode: uint8(c.Option.ID), ttl: uint8(c.Val.Uint)}
			t.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var t ttlInfo
			t.unmarshal(info)
			w.WriteString(" " + name + " ")
			switch t.mode {
			case ttlModeSet:
				w.WriteString("set to")
			case ttlModeDec:
				w.WriteString("decrement by")
			case ttlModeInc:
				w.WriteString("increment by")
			}
			w.WriteString(" " + utoa(t.ttl))
		},
		Save: func(info []byte, w *Writer) {
			var t ttlInfo
			t.unmarshal(info)
			if n, ok := names[int(t.mode)]; ok {
				w.Opt(false, n)
			}
			w.WriteString(" " + strconv.Itoa(int(t.ttl)))
		},
		Tables: []string{"mangle"},
	})
}
