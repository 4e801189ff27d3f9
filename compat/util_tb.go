package compat

import (
	"math/bits"
)

// Helpers shared by the tb group's targets (MARK, CONNMARK, TCPMSS, DSCP,
// TOS, TTL, HL, HMARK, CONNSECMARK, IDLETIMER, NOTRACK, CT, RATEEST).

// tbOnce records option id as given, refusing it when it already was
// (xtables_option_parse: "option can only be used once"), also when
// another option set the same bit (HMARK's --hmark-tuple does).
func tbOnce(ctx *ParseContext, ext, name string, id int) error {
	if ctx.markGiven(1<<id)&(1<<id) != 0 {
		return badSpec("--"+name, "%s: option \"--%s\" can only be used once.", ext, name)
	}
	return nil
}

// tbExclusive refuses more than one of the options in group (IDs as a
// mask), naming them as xtables_options_fcheck does.
func tbExclusive(ctx *ParseContext, ext string, group uint32, names map[int]string) error {
	g := ctx.given() & group
	if bits.OnesCount32(g) < 2 {
		return nil
	}
	a := bits.TrailingZeros32(g)
	b := bits.TrailingZeros32(g &^ (1 << a))
	return badSpec("--"+names[b], "%s: option \"--%s\" cannot be used together with \"--%s\".", ext, names[a], names[b])
}

// tbMarkPair prints "0xV/0xM" as the MARK and CONNMARK saves do.
func tbMarkPair(v, m uint32) string { return hex0x(v) + "/" + hex0x(m) }
