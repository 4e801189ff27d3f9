package nft

// Error recovery, as nft's bison parser does it: its only error rule is
// `common_block: error stmt_separator`, and common_block is a line of
// every block (the script's top level, table, chain, set, map, flowtable
// and object blocks). After a syntax error the parser falls back to the
// innermost block, drops tokens up to the next newline or ';' and goes on
// with the next line of that block. At the end of the script, or after
// maxErrors errors, it stops.

// maxErrors is nft's parser_max_errors: the parser gives up after as many.
const maxErrors = 10

// abortParse stops the whole parse: the script ended inside an error, or
// there were maxErrors errors.
type abortParse struct{}

// blockLine runs fn, which reads one line of a block. When fn stops at a
// syntax error, blockLine resynchronises after the next separator, or
// stops the parse.
func (p *parser) blockLine(fn func()) {
	start := p.base + p.i
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if _, ok := r.(bailout); !ok {
			panic(r)
		}
		if !p.resync(start) {
			panic(abortParse{})
		}
	}()
	fn()
}

// resync drops tokens from the one in error (bison's lookahead, which the
// recursive descent may have read past) up to and including the next
// newline or ';'. It reports false when the script ends first or when
// there were too many errors.
func (p *parser) resync(start int) bool {
	if n := len(p.errs); n > 0 {
		at := p.errs[n-1].Pos
		for p.base+p.i > start && p.i > 0 && !posBefore(p.toks[p.i-1].pos, at) {
			p.i--
		}
	}
	if len(p.errs) >= maxErrors {
		return false
	}
	for {
		t := p.peek()
		switch {
		case t.kind == tEOF:
			return false
		case t.kind == tNewline || t.kind == tPunct && t.text == ";":
			p.i++
			return true
		}
		p.i++
	}
}

// posBefore reports whether a is before b in the script.
func posBefore(a, b Pos) bool {
	return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
}

// topLine reads one line of the script's top level and hands its
// commands to emit; it reports whether the parse goes on.
func (p *parser) topLine(emit func(*Command)) (goOn bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(abortParse); !ok {
				panic(r)
			}
			goOn = false
		}
	}()
	p.blockLine(func() {
		for _, c := range p.command() {
			if c.pos.Line == p.cmdEnd.Line {
				c.end = p.cmdEnd.Col // nft's location of a command is all of it
			}
			emit(c)
		}
	})
	return true
}

// isVerdictWord reports whether s starts a verdict statement.
func isVerdictWord(s string) bool {
	switch s {
	case "accept", "drop", "continue", "return", "jump", "goto":
		return true
	}
	return false
}
