package nft

import "strings"

// Expressions and statements (parser_bison.y's stmt, expr, rhs_expr).

// selectorParsers build a selector expression from its leading keyword
// (payload protocols, meta, ct, ...); each selector's file registers its
// keywords.
var selectorParsers = map[string]func(p *parser, t token) Expr{}

// stmtParsers parse statements that start with a keyword (counter, log,
// nat, ...); each statement's file registers its keywords.
var stmtParsers = map[string]func(p *parser, t token) Stmt{}

// valueSelectors are selector keywords that are never a plain value on
// the right-hand side (ct mark set jhash ..., numgen ...).
var valueSelectors = map[string]bool{}

func spanOf(a, b srcSpan) srcSpan {
	s := a
	if b.Line == a.Line && b.end > s.end {
		s.end = b.end
	}
	return s
}

func (p *parser) statement() Stmt {
	t := p.peek()
	if t.kind == tWord {
		switch t.text {
		case "accept", "drop", "continue", "return", "jump", "goto":
			v := p.verdict()
			return &verdictStmt{srcSpan: v.srcSpan, v: v}
		}
		if f, ok := stmtParsers[t.text]; ok {
			// "ct", "meta" and payload keywords are both statements
			// (ct mark set ...) and selectors: the statement parser
			// backs off to an expression when it is not one.
			if s := f(p, t); s != nil {
				return s
			}
		}
	}
	lhs := p.expr()
	if p.isWord("set") {
		p.i++
		val := p.mapValue(p.rhsExpr())
		return &setStmt{srcSpan: spanOf(lhs.span(), val.span()), lhs: lhs, val: val}
	}
	if p.isWord("vmap") {
		p.i++
		m := p.mapTarget()
		me := &mapExpr{srcSpan: spanOf(lhs.span(), m.span()), key: lhs, m: m, vmap: true}
		return &verdictStmt{srcSpan: me.srcSpan, map_: me}
	}
	op := ""
	if tk := p.peek(); tk.kind == tPunct {
		switch tk.text {
		case "==", "!=", "<", ">", "<=", ">=", "!":
			op = tk.text
			p.i++
		}
	} else if tk.kind == tWord {
		switch tk.text {
		case "eq", "ne", "lt", "gt", "le", "ge":
			op = map[string]string{"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">="}[tk.text]
			p.i++
		}
	}
	if t := p.peek(); p.endOfLine() || t.kind == tWord && isVerdictWord(t.text) {
		// a verdict is a keyword of nft's grammar, never a value
		p.unexpected(t)
	}
	rhs := p.rhsExpr()
	if p.isPunct("/") {
		return p.flagCmp(lhs, op, rhs)
	}
	m := &matchOfRel{rel: relExpr{srcSpan: spanOf(lhs.span(), rhs.span()), op: op, l: lhs, r: rhs}}
	m.m = matchStmt{srcSpan: m.rel.srcSpan, rel: &m.rel}
	return &m.m
}

func (p *parser) verdict() *verdictExpr {
	t := p.next()
	v := &verdictExpr{srcSpan: srcSpan{t.pos, t.end}, kind: t.text}
	if t.text == "jump" || t.text == "goto" {
		n := p.next()
		if n.kind != tWord && n.kind != tString && n.kind != tNum {
			p.unexpected(n)
		}
		v.chain = n.text
		v.end = n.end
	}
	return v
}

// mapTarget reads what follows map/vmap: a literal or @name.
func (p *parser) mapTarget() Expr {
	t := p.peek()
	switch {
	case t.kind == tSetRef:
		p.i++
		return &setRefExpr{srcSpan: srcSpan{t.pos, t.end}, name: t.text}
	case t.kind == tPunct && t.text == "{":
		return p.setLiteral(false)
	case t.kind == tVar:
		p.i++
		return p.lookupDefine(t)
	}
	p.unexpected(t)
	return nil
}

func (p *parser) lookupDefine(t token) Expr {
	e, ok := p.defines[t.text]
	if !ok {
		// nft points at the name, not at its '$'
		p.errorf(srcSpan{Pos{t.pos.Line, t.pos.Col + 1}, t.end}, "unknown identifier '%s'", t.text)
	}
	return e
}

// expr parses a left-hand side expression: concatenations of binary
// operations on selectors.
func (p *parser) expr() Expr { return p.concatOf(p.orExpr) }

func (p *parser) concatOf(sub func() Expr) Expr {
	first := sub()
	if !p.isPunct(".") {
		return first
	}
	c := &concatExpr{srcSpan: first.span(), parts: []Expr{first}}
	for p.acceptPunct(".") {
		e := sub()
		c.parts = append(c.parts, e)
		c.srcSpan = spanOf(c.srcSpan, e.span())
	}
	return c
}

func (p *parser) binLevel(ops []string, sub func() Expr) Expr {
	l := sub()
	for {
		t := p.peek()
		if t.kind != tPunct {
			return l
		}
		found := false
		for _, op := range ops {
			if t.text == op {
				found = true
			}
		}
		if !found {
			return l
		}
		p.i++
		r := sub()
		l = &binopExpr{srcSpan: spanOf(l.span(), r.span()), op: t.text, l: l, r: r}
	}
}

func (p *parser) orExpr() Expr {
	return p.binLevel([]string{"|"}, func() Expr {
		return p.binLevel([]string{"^"}, func() Expr {
			return p.binLevel([]string{"&"}, func() Expr {
				return p.binLevel([]string{"<<", ">>"}, p.primaryExpr)
			})
		})
	})
}

// primaryExpr parses a selector, a literal, or a parenthesised expression.
func (p *parser) primaryExpr() Expr {
	t := p.peek()
	switch t.kind {
	case tPunct:
		if t.text == "(" {
			p.i++
			e := p.orExpr()
			p.expectPunct(")")
			return e
		}
	case tWord:
		if e := p.rtExthdrField(t); e != nil {
			return e // exthdr.go: rt's header fields before the rt expression
		}
		if f, ok := selectorParsers[t.text]; ok {
			if e := f(p, t); e != nil {
				return e
			}
		}
	case tVar:
		p.i++
		return p.lookupDefine(t)
	case tSetRef:
		if n := p.peekN(1); n.kind == tPunct && n.text == "," {
			return p.rawPayload(t) // rawpayload.go
		}
	}
	return p.literal()
}

// literal reads one value token.
func (p *parser) literal() Expr {
	t := p.next()
	switch t.kind {
	case tWord, tNum, tAddr, tString:
		return &symbolExpr{srcSpan: srcSpan{t.pos, t.end}, text: t.text, kind: t.kind, quoted: t.kind == tString}
	case tVar:
		return p.lookupDefine(t)
	case tSetRef:
		return &setRefExpr{srcSpan: srcSpan{t.pos, t.end}, name: t.text}
	}
	p.unexpected(t)
	return nil
}

// rhsExpr parses a right-hand side: a list (a,b), sets, ranges,
// prefixes, concatenations and bitwise or of values.
func (p *parser) rhsExpr() Expr {
	first := p.rhsConcat()
	if !p.isPunct(",") {
		return first
	}
	l := &listExpr{srcSpan: first.span(), items: []Expr{first}}
	for p.acceptPunct(",") {
		e := p.rhsConcat()
		l.items = append(l.items, e)
		l.srcSpan = spanOf(l.srcSpan, e.span())
	}
	return l
}

func (p *parser) rhsConcat() Expr { return p.concatOf(p.rhsBasic) }

func (p *parser) rhsBasic() Expr {
	return p.binLevel([]string{"|"}, func() Expr {
		return p.binLevel([]string{"^"}, func() Expr {
			return p.binLevel([]string{"&"}, func() Expr {
				return p.binLevel([]string{"<<", ">>"}, p.rhsPrimary)
			})
		})
	})
}

func (p *parser) rhsPrimary() Expr {
	t := p.peek()
	var e Expr
	switch {
	case t.kind == tPunct && t.text == "{":
		return p.setLiteral(false)
	case t.kind == tPunct && t.text == "(":
		p.i++
		e = p.rhsBasic()
		p.expectPunct(")")
	case t.kind == tSetRef:
		p.i++
		return &setRefExpr{srcSpan: srcSpan{t.pos, t.end}, name: t.text}
	case t.kind == tWord && (t.text == "accept" || t.text == "drop" || t.text == "continue" || t.text == "return" || t.text == "jump" || t.text == "goto"):
		return p.verdict()
	case t.kind == tWord && selectorParsers[t.text] != nil && p.selectorFollows(t):
		e = p.primaryExpr()
	default:
		e = p.literal()
	}
	// prefix and range; "/" before anything but a number is a flag
	// comparison's mask (flagmatch.go)
	if p.isPunct("/") && p.peekN(1).kind == tNum {
		p.i++
		n := p.next()
		if n.kind != tNum {
			p.unexpected(n)
		}
		l := 0
		for _, c := range n.text {
			l = l*10 + int(c-'0')
		}
		return &prefixExpr{srcSpan: spanOf(e.span(), srcSpan{n.pos, n.end}), x: e, plen: l}
	}
	if p.isPunct("-") {
		p.i++
		hi := p.literal()
		return &rangeExpr{srcSpan: spanOf(e.span(), hi.span()), lo: e, hi: hi}
	}
	// A word ending in -NUM (echo-request-1 is no word here): nft's
	// scanner reads 22-25 as a range, which ours does as well since
	// numbers stop at '-'.
	return e
}

// selectorFollows tells a selector keyword on the right-hand side (ct
// mark set meta mark) from a symbol of the same spelling (meta l4proto
// tcp): a selector keyword is followed by one of its fields.
func (p *parser) selectorFollows(t token) bool {
	n := p.peekN(1)
	if metaUnqualified[t.text] && (n.kind == tWord && n.text == "map" || n.kind == tEOF || n.kind == tNewline || n.kind == tPunct && (n.text == ";" || n.text == "}" || n.text == ")" || n.text == "|" || n.text == "&" || n.text == "^")) {
		// ct mark set mark: an unqualified meta key as a value
		return true
	}
	if n.kind != tWord {
		return false
	}
	switch t.text {
	case "meta", "ct":
		return true
	}
	if valueSelectors[t.text] {
		return true
	}
	if d := protoByName(t.text); d != nil {
		return d.field(n.text) != nil
	}
	return false
}

// setLiteral parses { elem, elem : value, ... }. Newlines separate
// elements too.
func (p *parser) setLiteral(named bool) *setExpr {
	open := p.expectPunct("{")
	s := &setExpr{srcSpan: srcSpan{open.pos, open.end}}
	for {
		p.skipNewlinesOnly()
		if t := p.peek(); t.kind == tPunct && t.text == "}" {
			p.i++
			s.end = t.end
			if t.pos.Line != s.Line {
				s.end = s.Col
			}
			return s
		}
		e := p.setElem()
		s.elems = append(s.elems, e)
		p.skipNewlinesOnly()
		if !p.acceptPunct(",") {
			p.skipNewlinesOnly()
			t := p.peek()
			if t.kind != tPunct || t.text != "}" {
				p.fail(t, "syntax error, unexpected "+tokDesc(t)+", expecting comma or '}'")
			}
		}
	}
}

func (p *parser) setElem() Expr {
	key := p.catchallElem()
	if key == nil {
		key = p.rhsConcat()
	}
	el := &elemExpr{srcSpan: key.span(), key: key}
	p.elemOptions(el)
	if p.acceptPunct(":") {
		var val Expr
		t := p.peek()
		if t.kind == tWord && (t.text == "accept" || t.text == "drop" || t.text == "continue" || t.text == "return" || t.text == "jump" || t.text == "goto") {
			val = p.verdict()
		} else {
			val = p.rhsConcat()
		}
		m := &mappingExpr{srcSpan: spanOf(el.srcSpan, val.span()), key: el, val: val}
		return m
	}
	if el.timeout == "" && el.expires == "" && el.comment == "" && !el.counter {
		return key
	}
	return el
}

func (p *parser) elemOptions(el *elemExpr) {
	for {
		switch {
		case p.isWord("timeout"):
			p.i++
			el.timeout = p.timeArg()
		case p.isWord("expires"):
			p.i++
			el.expires = p.timeArg()
		case p.isWord("comment"):
			p.i++
			el.comment = p.stringArg()
		case p.isWord("counter"):
			p.i++
			el.counter = true
		default:
			return
		}
	}
}

// isKeywordish reports words that end a rule's argument list.
func isKeywordish(s string) bool { return strings.ContainsAny(s, " ") }
