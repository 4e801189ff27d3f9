package nft

import (
	"fmt"
	"math/big"
	"strconv"
)

// Raw payload expressions, @base,offset,length (payload.c's raw form):
// bits at an offset from the link (ll), network (nh), transport (th) or
// inner (ih) header, with no protocol to depend on. Their values print
// in hexadecimal, as nft prints a value of no known type.

// dtRawInteger is the type of a raw payload: an integer printed in hex.
var dtRawInteger = &Datatype{ID: typeInteger, Name: "integer", Desc: "integer", Order: orderBig,
	format: func(_ *Datatype, b []byte, _ *PrintOptions) string {
		return fmt.Sprintf("0x%x", new(big.Int).SetBytes(b))
	}}

var rawBases = map[string]int{"ll": baseLink, "nh": baseNetwork, "th": baseTransport, "ih": baseInner}

// rawPayload parses @base,offset,length; t is the @base token.
func (p *parser) rawPayload(t token) Expr {
	base, ok := rawBases[t.text]
	if !ok {
		p.fail(t, "syntax error, unexpected "+t.text)
	}
	p.i++
	p.expectPunct(",")
	off := p.next()
	p.expectPunct(",")
	n := p.next()
	o, err1 := strconv.Atoi(off.text)
	b, err2 := strconv.Atoi(n.text)
	if off.kind != tNum || err1 != nil {
		p.unexpected(off)
	}
	if n.kind != tNum || err2 != nil {
		p.unexpected(n)
	}
	if b <= 0 || b > 128 {
		p.fail(n, "raw payload length must be between 1 and 128 bits")
	}
	return &payloadExpr{srcSpan: srcSpan{t.pos, n.end}, rawBase: base, rawOffset: o, rawBits: b}
}
