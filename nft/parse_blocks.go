package nft

// The blocks of table, chain and set declarations (table_block,
// chain_block, set_block and map_block in parser_bison.y) and the
// arguments read inside them.

import "strings"

// tableBlock parses table NAME { ... }.
func (p *parser) tableBlock(c *Command) *tableDef {
	td := &tableDef{}
	if p.pipe != nil && !p.hold && (c.Op == "add" || c.Op == "create") {
		p.table = &tableStream{c: c, td: td}
	}
	ts := p.table
	p.blockWords(func(t token) {
		if ts != nil && ts.started && t.text != "chain" {
			// the rules that went out were compiled without it
			p.giveUp()
		}
		switch t.text {
		case "chain":
			name, at := p.objName(), p.lastSpan()
			td.chains = append(td.chains, p.chainBlock(name, srcSpan{t.pos, t.end}))
			td.chains[len(td.chains)-1].namePos = at
		case "set", "map":
			name, at := p.objName(), p.lastSpan()
			td.sets = append(td.sets, p.setBlock(name, t.text == "map", srcSpan{t.pos, t.end}))
			td.sets[len(td.sets)-1].namePos = at
		case "flags":
			td.flags = append(td.flags, p.flagList()...)
		case "comment":
			td.comment = p.stringArg()
		case "counter", "quota", "limit", "ct", "secmark", "synproxy", "flowtable":
			kind := t.text
			if kind == "ct" {
				k := p.next()
				if k.text != "helper" && k.text != "timeout" && k.text != "expectation" || k.kind != tWord {
					p.fail(k, "syntax error, unexpected "+tokDesc(k)+", expecting timeout or expectation or helper")
				}
				kind = "ct " + k.text
			}
			name, at := p.objName(), p.lastSpan()
			p.expectPunct("{")
			o := &objDef{pos: srcSpan{t.pos, t.end}, namePos: at, kind: kind, name: name, args: p.blockTokens()}
			if kind == "flowtable" {
				td.flows = append(td.flows, &flowtableDef{pos: o.pos, name: name})
			}
			td.objs = append(td.objs, o)
		default:
			p.unexpected(t)
		}
		p.endCommandInBlock()
	})
	if ts != nil && ts.started {
		p.streamed = c
	}
	p.table = nil
	return td
}

// blockWords reads a { } block whose lines each start with a word, and
// hands fn each line's first word; fn reads the rest of the line.
func (p *parser) blockWords(fn func(t token)) {
	p.expectPunct("{")
	for done := false; !done; {
		p.blockLine(func() {
			p.skipNewlines()
			t := p.next()
			if done = t.kind == tPunct && t.text == "}"; done {
				return
			}
			if t.kind != tWord {
				p.unexpected(t)
			}
			fn(t)
		})
	}
}

func (p *parser) flagList() []string {
	var out []string
	for {
		out = append(out, p.name())
		if !p.acceptPunct(",") {
			return out
		}
	}
}

func (p *parser) stringArg() string {
	t := p.next()
	if t.kind != tString && t.kind != tWord {
		p.unexpected(t)
	}
	return t.text
}

// chainBlock parses the body of chain NAME { ... }.
func (p *parser) chainBlock(name string, pos srcSpan) *chainDef {
	p.expectPunct("{")
	cd := &chainDef{name: name, pos: pos}
	if ts := p.table; ts != nil {
		ts.sent = false
	}
	for done := false; !done; {
		p.blockLine(func() { done = p.chainLine(cd) })
	}
	return cd
}

// chainLine reads one line of a chain block, and reports whether it was
// the block's closing '}'.
func (p *parser) chainLine(cd *chainDef) bool {
	ts := p.table
	{
		p.skipNewlines()
		t := p.peek()
		if t.kind == tPunct && t.text == "}" {
			p.i++
			if ts != nil && ts.started && !ts.sent {
				p.streamChain(cd)
			}
			return true
		}
		ruleLine := false
		switch {
		case t.kind == tWord && t.text == "type":
			p.i++
			cd.base = true
			cd.typ = p.name()
			p.expectWord("hook")
			ht := p.next()
			cd.hook = ht.text
			cd.hookPos = srcSpan{ht.pos, ht.end}
			if p.acceptWord("device") {
				cd.devices = append(cd.devices, p.stringArg())
			}
			if p.acceptWord("devices") {
				p.expectPunct("=")
				cd.devices = append(cd.devices, p.deviceList()...)
			}
			p.expectWord("priority")
			cd.prio, cd.prioText = p.priority()
			p.endCommandInBlock()
		case t.kind == tWord && t.text == "policy":
			p.i++
			cd.policy = p.name()
			p.endCommandInBlock()
		case t.kind == tWord && t.text == "comment" && p.peekN(1).kind == tString && p.lineEndsAfter(2):
			p.i++
			cd.comment = p.stringArg()
			p.endCommandInBlock()
		case t.kind == tWord && t.text == "devices" && p.peekN(1).text == "=":
			p.i += 2
			cd.devices = append(cd.devices, p.deviceList()...)
			p.endCommandInBlock()
		case t.kind == tWord && t.text == "flags" && p.peekN(1).text == "offload":
			p.i++
			cd.flags = p.flagList()
			p.endCommandInBlock()
		default:
			ruleLine = true
			if rd := p.ruleLine(); ts != nil {
				p.streamRule(cd, rd)
			} else {
				cd.rules = append(cd.rules, rd)
			}
			p.endCommandInBlock()
		}
		if !ruleLine && ts != nil && ts.sent {
			// the chain went out with its first rule, without this
			p.giveUp()
		}
	}
	return false
}

// lineEndsAfter reports whether the n-th token from here ends the line.
func (p *parser) lineEndsAfter(n int) bool {
	t := p.peekN(n)
	return t.kind == tEOF || t.kind == tNewline || t.kind == tPunct && (t.text == ";" || t.text == "}")
}

// endCommandInBlock reads the separator that ends a line of a block: nft
// wants a newline or ';' even before the block's '}'.
func (p *parser) endCommandInBlock() { p.endLineExpecting("newline or semicolon") }

// endLineExpecting reads a line's separator; a '}' instead is a syntax
// error that names what bison expected there.
func (p *parser) endLineExpecting(expected string) {
	t := p.peek()
	if t.kind == tNewline || t.kind == tPunct && t.text == ";" {
		p.i++
		return
	}
	if t.kind == tPunct && t.text == "}" {
		p.fail(t, "syntax error, unexpected '}', expecting "+expected)
	}
	p.unexpected(t)
}

func (p *parser) deviceList() []string {
	if p.acceptPunct("{") {
		var out []string
		for {
			p.skipNewlinesOnly()
			if p.acceptPunct("}") {
				return out
			}
			out = append(out, p.stringArg())
			p.skipNewlinesOnly()
			p.acceptPunct(",")
		}
	}
	return []string{p.stringArg()}
}

func (p *parser) skipNewlinesOnly() {
	for p.peek().kind == tNewline {
		p.i++
	}
}

// priority reads a chain priority: a number, a name, or name +/- number.
func (p *parser) priority() (Expr, string) {
	t := p.next()
	switch t.kind {
	case tNum:
		return &symbolExpr{srcSpan: srcSpan{t.pos, t.end}, text: t.text, kind: tNum}, t.text
	case tPunct:
		if t.text == "-" {
			n := p.next()
			if n.kind != tNum {
				p.unexpected(n)
			}
			return &symbolExpr{srcSpan: srcSpan{t.pos, n.end}, text: "-" + n.text, kind: tNum}, "-" + n.text
		}
	case tWord, tVar:
		text := t.text
		if t.kind == tVar {
			text = "$" + text
		}
		end := t.end
		if p.isPunct("+") || p.isPunct("-") {
			op := p.next()
			n := p.next()
			if n.kind != tNum {
				p.unexpected(n)
			}
			text += " " + op.text + " " + n.text
			end = n.end
		} else if p.peek().kind == tNum && strings.HasPrefix(p.peek().text, "-") {
			n := p.next()
			text += " - " + n.text[1:]
			end = n.end
		}
		return &symbolExpr{srcSpan: srcSpan{t.pos, end}, text: text, kind: tWord}, text
	}
	p.unexpected(t)
	return nil, ""
}

// setBlock parses the body of set/map NAME { ... }.
func (p *parser) setBlock(name string, isMap bool, pos srcSpan) *setDef {
	sd := &setDef{name: name, isMap: isMap, pos: pos}
	p.blockWords(func(t token) {
		switch t.text {
		case "type":
			for {
				tt := p.next()
				dt := typeByName(tt.text)
				if dt == nil {
					p.fail(tt, "unknown datatype "+tt.text)
				}
				sd.keyTypes = append(sd.keyTypes, dt)
				if !p.acceptPunct(".") {
					break
				}
			}
			if isMap {
				p.expectPunct(":")
				tt := p.next()
				if tt.text == "verdict" {
					sd.dataType = dtVerdict
				} else if dt := typeByName(tt.text); dt != nil {
					sd.dataType = dt
					p.concatDataTypes(sd)
				} else if tt.text == "counter" || tt.text == "quota" || tt.text == "limit" {
					sd.objType = tt.text
				} else {
					p.fail(tt, "unknown datatype "+tt.text)
				}
			}
		case "typeof":
			sd.keyExpr = p.concatOf(p.primaryExpr)
			sd.keyTypeofGiven = true
			if isMap {
				p.expectPunct(":")
				sd.dataExpr = p.concatOf(p.primaryExpr)
				sd.dataTypeofGiven = true
			}
		case "flags":
			sd.flags = append(sd.flags, p.flagList()...)
		case "timeout":
			sd.timeout = p.timeArg()
		case "gc-interval":
			sd.gcInt = p.timeArg()
		case "size":
			sd.size = uint32(p.number())
		case "policy":
			sd.policy = p.name()
		case "counter":
			sd.counter = true
		case "auto-merge":
			sd.autoMerge = true
		case "comment":
			sd.comment = p.stringArg()
		case "elements":
			p.expectPunct("=")
			sd.elems = p.setLiteral(true)
			if p.isPunct("}") {
				// nft's set_block takes elements = { } without a separator
				return
			}
		default:
			p.unexpected(t)
		}
		switch t.text {
		case "type", "typeof":
			p.endLineExpecting("newline or semicolon or .")
		case "flags":
			p.endLineExpecting("newline or semicolon or comma")
		default:
			p.endCommandInBlock()
		}
	})
	return sd
}

// timeArg reads a time such as 1h2m or 30 (seconds).
func (p *parser) timeArg() string {
	t := p.next()
	if t.kind != tWord && t.kind != tNum {
		p.unexpected(t)
	}
	return t.text
}
