package nft

// The catch-all element "*" of a set or map (NFT_SET_ELEM_CATCHALL):
// it matches any key the other elements miss, and has no key itself.

// elemCatchall is NFT_SET_ELEM_CATCHALL, the element flag that marks
// the catch-all element.
const elemCatchall = 0x2

// catchallExpr is "*" in a set or map's element list.
type catchallExpr struct {
	srcSpan
}

// catchallElem parses "*" where an element's key starts; nil if the next
// token is not "*".
func (p *parser) catchallElem() Expr {
	t := p.peek()
	if t.kind != tPunct || t.text != "*" {
		return nil
	}
	p.i++
	return &catchallExpr{srcSpan{t.pos, t.end}}
}

// isCatchall says whether an element (or its key) is "*".
func isCatchall(e Expr) bool {
	if el, ok := e.(*elemExpr); ok {
		e = el.key
	}
	_, ok := e.(*catchallExpr)
	return ok
}

// catchallWire is the catch-all element as sent: flags and no key.
func catchallWire() setElemWire { return setElemWire{flags: elemCatchall} }

// splitCatchall moves the catch-all element to the end, where nft prints
// it.
func splitCatchall(elems []kElem) (keyed []kElem, catchall *kElem) {
	for i := range elems {
		if elems[i].flags&elemCatchall != 0 {
			e := elems[i]
			catchall = &e
			continue
		}
		keyed = append(keyed, elems[i])
	}
	return keyed, catchall
}
