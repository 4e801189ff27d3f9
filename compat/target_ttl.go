package compat

import (
	"math"
	"strconv"
)

// TTL (IPv4 only): -j TTL (struct ipt_TTL_info, 2 bytes, 8 sent): u8 mode
// @0 (0 set, 1 inc, 2 dec), u8 ttl @1. --ttl-set takes 0-255, --ttl-dec and
// --ttl-inc 1-255; the three exclude each other and one is required. -S
// prints "--ttl-MODE N". The kernel allows it only in the mangle table.
// registerTTL also serves HL (target_hl.go), the same structure for IPv6.

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
	Register(&Extension{
		Name: name, Target: true, Family: fam, Revision: 0, Size: 2,
		Options: []Option{
			{Name: names[ttlModeSet], Args: 1, ID: ttlModeSet},
			{Name: names[ttlModeDec], Args: 1, ID: ttlModeDec},
			{Name: names[ttlModeInc], Args: 1, ID: ttlModeInc},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, _ bool, ctx *ParseContext) error {
			if err := tbOnce(ctx, name, opt.Name, opt.ID); err != nil {
				return err
			}
			min := uint64(1)
			if opt.ID == ttlModeSet {
				min = 0
			}
			v, err := uintOpt(name, opt.Name, args[0], min, math.MaxUint8)
			if err != nil {
				return err
			}
			info[0], info[1] = byte(opt.ID), byte(v)
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			if ctx.given() == 0 {
				return badSpec(name, "%s: You must specify an action", name)
			}
			return tbExclusive(ctx, name, 7, names)
		},
		Save: func(info []byte, w *Writer) {
			if n, ok := names[int(info[0])]; ok {
				w.Opt(false, n)
			}
			w.WriteString(" " + strconv.Itoa(int(info[1])))
		},
		Tables: []string{"mangle"},
	})
}
