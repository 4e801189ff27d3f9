package compat

// parseState is what iptables keeps beside a payload while parsing it and
// the kernel structure alone cannot tell: which options were given (its
// xflags; "--ttl-eq 0" and no option at all leave the same bytes) and a
// couple of values parsed before Final (its udata, for RATEEST). The
// parser keeps one per extension of the rule being parsed, and hands the
// extension's own to its Init, Parse and Final through the ParseContext.
type parseState struct {
	flags uint32
	vals  [2]uint32
}

// parseState returns the state of the extension being parsed (a fresh
// one for a context the parser did not set up, such as the decoder's).
func (ctx *ParseContext) parseState() *parseState {
	if ctx.state == nil {
		ctx.state = &parseState{}
	}
	return ctx.state
}

// optionsGiven returns the option IDs given so far to the extension being
// parsed, as a bit mask (1<<id).
func (ctx *ParseContext) optionsGiven() uint32 { return ctx.parseState().flags }

// markGiven records the options in mask as given to the extension being
// parsed and returns the mask as it was before.
func (ctx *ParseContext) markGiven(mask uint32) uint32 {
	st := ctx.parseState()
	prev := st.flags
	st.flags |= mask
	return prev
}

// setParseVal keeps value v in slot i (0 or 1) for the extension being
// parsed until its Final runs.
func (ctx *ParseContext) setParseVal(i int, v uint32) { ctx.parseState().vals[i] = v }

// parseVals returns the values kept by setParseVal.
func (ctx *ParseContext) parseVals() [2]uint32 { return ctx.parseState().vals }
