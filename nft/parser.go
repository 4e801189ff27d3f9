package nft

import (
	"fmt"
	"strconv"

	"github.com/xtnl/xtnl"
)

// parser turns tokens into commands, in nft's grammar (parser_bison.y).
type parser struct {
	file string
	src  string
	// toks is a window on the script's tokens, p.toks[p.i] the current
	// one, filled from scan as the parser looks ahead; fill drops the
	// tokens already read (all but the last), so a script of a million
	// tokens never holds them all at once.
	toks []token
	i    int
	// base is how many tokens fill dropped before toks[0].
	base int
	// scan is nil once it returned tEOF (or when toks was given whole).
	scan *scanner
	// stmts is ruleLine's list of statements, kept from one rule to the
	// next.
	stmts   []Stmt
	errs    ErrorList
	defines map[string]Expr
	// pipe, when set, is where commands go as they are parsed (see
	// pipeline.go); table is the table block whose rules go one by one,
	// streamed the command that table block ended. held are the
	// commands kept until the end of the script, once a define made
	// parsing share syntax trees with what evaluation reads.
	pipe     *pipe
	table    *tableStream
	streamed *Command
	held     []*Command
	hold     bool
	// cmdKeywords are the keywords of the command's scanner scope
	// (keywords.go), nil but in list and reset.
	cmdKeywords map[string]bool
	// cmdEnd is where the last command read ends (its last column).
	cmdEnd Pos
}

// bailout stops parsing a command at its first syntax error; the parser
// resumes at the next line, as nft's error recovery does.
type bailout struct{}

// fill scans tokens until p.toks[k] exists or the script ends. When the
// window is full and at least half of it read, it moves the unread part
// (and the last token read, which spans end at) to the front instead of
// growing.
func (p *parser) fill(k int) {
	for k >= len(p.toks) && p.scan != nil {
		if n := p.i - 1; len(p.toks) == cap(p.toks) && n >= cap(p.toks)/2 {
			p.toks = p.toks[:copy(p.toks, p.toks[n:])]
			p.base += n
			p.i -= n
			k -= n
		}
		t := p.scan.next()
		p.toks = append(p.toks, t)
		if t.kind == tEOF {
			p.scan = nil
		}
	}
}

func (p *parser) peek() token {
	if p.i >= len(p.toks) {
		p.fill(p.i)
	}
	return p.toks[p.i]
}
func (p *parser) peekN(n int) token {
	if p.i+n >= len(p.toks) {
		p.fill(p.i + n)
	}
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	if p.i >= len(p.toks) {
		p.fill(p.i)
	}
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isWord(s string) bool {
	t := p.peek()
	return t.kind == tWord && t.text == s
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

func (p *parser) acceptWord(s string) bool {
	if p.isWord(s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) acceptPunct(s string) bool {
	if p.isPunct(s) {
		p.i++
		return true
	}
	return false
}

func tokDesc(t token) string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tNewline:
		return "newline"
	case tString:
		return "quoted string"
	case tNum:
		return "number"
	case tWord:
		if k, ok := keywords[t.text]; ok {
			return k
		}
		return "string"
	case tPunct:
		return punctName(t.text)
	}
	return "string"
}

// fail records a syntax error at t and stops the command.
func (p *parser) fail(t token, msg string) {
	p.errorAt(srcSpan{t.pos, t.end}, msg)
	if e := p.errs[len(p.errs)-1]; t.kind == tEOF && e.Text == "" && e.Line > 1 {
		// past the last newline, nft shows the last line
		e.Text = lineText(p.src, e.Line-1)
	}
	panic(bailout{})
}

func (p *parser) unexpected(t token) {
	p.fail(t, "syntax error, unexpected "+tokDesc(t))
}

func (p *parser) errorAt(s srcSpan, msg string) {
	p.errs = append(p.errs, &Error{File: p.file, Pos: s.Pos, EndCol: s.end, Msg: msg, Text: lineText(p.src, s.Line)})
}

func (p *parser) expectPunct(s string) token {
	t := p.next()
	if t.kind != tPunct || t.text != s {
		p.unexpected(t)
	}
	return t
}

func (p *parser) expectWord(s string) token {
	t := p.next()
	if t.kind != tWord || t.text != s {
		p.unexpected(t)
	}
	return t
}

// name reads an identifier: a word, a quoted string, or a number (nft
// accepts table names such as "1").
func (p *parser) name() string {
	t := p.next()
	switch t.kind {
	case tWord, tString, tNum:
		return t.text
	}
	p.unexpected(t)
	return ""
}

func (p *parser) skipNewlines() {
	for p.peek().kind == tNewline || p.isPunct(";") {
		p.i++
	}
}

// endOfStmt reports whether the current token ends a command line.
func (p *parser) endOfLine() bool {
	t := p.peek()
	return t.kind == tEOF || t.kind == tNewline || t.kind == tPunct && (t.text == ";" || t.text == "}")
}

// Parse parses a script in nft's language into commands without
// evaluating them. file names the script in errors.
func Parse(file, src string) ([]*Command, error) {
	cmds, errs := parse(file, src)
	if len(errs) > 0 {
		return nil, errs
	}
	return cmds, nil
}

func parse(file, src string) (cmds []*Command, errs ErrorList) {
	return parseTo(file, src, nil)
}

// parseTo parses src; with pp it hands the commands to pp as it goes
// instead of returning them.
func parseTo(file, src string, pp *pipe) (cmds []*Command, errs ErrorList) {
	s := &scanner{src: src, line: 1, col: 1, file: file}
	p := &parser{file: file, src: src, toks: make([]token, 0, 512), scan: s, defines: map[string]Expr{}, pipe: pp}
	if pp != nil {
		pp.scan = s
	}
	for {
		p.skipNewlines()
		if p.peek().kind == tEOF {
			break
		}
		p.table = nil
		if !p.topLine(func(c *Command) {
			switch {
			case pp == nil:
				cmds = append(cmds, c)
			case c == p.streamed:
				p.send(pipeItem{kind: pipeTableEnd})
			case p.hold:
				p.held = append(p.held, c)
			default:
				p.send(pipeItem{kind: pipeCmd, cmd: c})
			}
		}) {
			break
		}
	}
	for _, c := range p.held {
		p.send(pipeItem{kind: pipeCmd, cmd: c})
	}
	// the scanner's errors come first, as when it ran before the parser
	return cmds, append(s.errs, p.errs...)
}

var families = map[string]xtnl.Family{
	"ip": xtnl.FamilyIPv4, "ip6": xtnl.FamilyIPv6, "inet": xtnl.FamilyInet, "arp": xtnl.FamilyARP,
	"bridge": xtnl.FamilyBridge, "netdev": xtnl.FamilyNetdev,
}

// family reads an optional family (default ip) and the table name.
func (p *parser) tableSpec(c *Command) {
	t := p.peek()
	if t.kind == tWord {
		if f, ok := families[t.text]; ok {
			// a family is a keyword: never the table's name
			p.i++
			c.Family = f
			c.famGiven = true
		}
	}
	if !c.famGiven {
		c.Family = xtnl.FamilyIPv4
	}
	c.Table = p.objName()
	c.tableSpan = p.lastSpan()
}

func (p *parser) command() []*Command {
	t := p.peek()
	c := &Command{pos: srcSpan{t.pos, t.end}, Index: -1}
	if t.kind == tWord && (t.text == "define" || t.text == "undefine") {
		// a define's tree is shared by the rules that use it, and
		// evaluation may change it: from here on, evaluation waits for
		// the end of the script, as in compileInOrder
		p.hold = true
	}
	if t.kind == tWord && t.text == "define" {
		p.i++
		nt := p.next()
		if nt.kind != tWord {
			p.unexpected(nt)
		}
		p.expectPunct("=")
		p.defines[nt.text] = p.rhsExpr()
		p.endCommand()
		return nil
	}
	if t.kind == tWord && t.text == "undefine" {
		p.i++
		delete(p.defines, p.name())
		p.endCommand()
		return nil
	}
	op := "add"
	if t.kind == tWord {
		switch t.text {
		case "add", "create", "insert", "replace", "delete", "destroy", "flush", "list", "reset", "rename":
			op = t.text
			p.i++
			switch op {
			case "list":
				p.cmdKeywords = listKeywords
				defer func() { p.cmdKeywords = nil }()
			case "reset":
				p.cmdKeywords = resetKeywords
				defer func() { p.cmdKeywords = nil }()
			}
		case "table", "chain", "rule", "set", "map", "element", "counter", "quota", "limit", "ct", "flowtable":
		default:
			if _, fam := families[t.text]; !fam && globalKeywords[t.text] {
				p.unexpected(t)
			}
			// [FAMILY] TABLE CHAIN STATEMENTS: nft's add_cmd takes a
			// rule without "add rule"
			c.Op, c.Obj = op, "rule"
			p.ruleCommand(c, op)
			p.endCommand()
			return []*Command{c}
		}
	} else {
		p.unexpected(t)
	}
	c.Op = op
	ot := p.next()
	if ot.kind != tWord {
		p.unexpected(ot)
	}
	c.Obj = ot.text
	switch ot.text {
	case "ruleset":
		if f, ok := families[p.peek().text]; ok && p.peek().kind == tWord {
			p.i++
			c.Family, c.famGiven = f, true
		}
	case "table":
		if op == "delete" || op == "destroy" {
			// delete table [FAMILY] NAME | handle N
			if f, ok := families[p.peek().text]; ok && p.peek().kind == tWord {
				p.i++
				c.Family, c.famGiven = f, true
			} else {
				c.Family = xtnl.FamilyIPv4
			}
			if p.acceptWord("handle") {
				c.Handle = p.number()
				c.handleSpan = p.lastSpan()
			} else {
				c.Table = p.objNameOr(nameExpected(op))
				c.tableSpan = p.lastSpan()
			}
			break
		}
		p.tableSpec(c)
		if p.isPunct("{") {
			c.table = p.tableBlock(c)
			p.endCommand()
			return []*Command{c}
		}
	case "chain":
		p.tableSpec(c)
		if p.acceptWord("handle") {
			c.Handle = p.number()
			c.handleSpan = p.lastSpan()
		} else {
			c.Name = p.objNameOr(nameExpected(op))
			c.nameSpan = p.lastSpan()
		}
		if op == "rename" {
			c.newName = p.name()
		}
		if p.isPunct("{") {
			c.chain = p.chainBlock(c.Name, c.pos)
			p.endCommand()
			return []*Command{c}
		}
	case "rule":
		p.ruleCommand(c, op)
	case "set", "map":
		if op == "list" && (p.peek().kind == tEOF || p.peek().kind == tNewline) {
			break
		}
		p.tableSpec(c)
		if p.acceptWord("handle") {
			c.Handle = p.number()
			c.handleSpan = p.lastSpan()
		} else {
			c.Name = p.objNameOr(nameExpected(op))
			c.nameSpan = p.lastSpan()
		}
		if p.isPunct("{") {
			c.set = p.setBlock(c.Name, ot.text == "map", c.pos)
			p.endCommand()
			return []*Command{c}
		}
	case "element":
		p.tableSpec(c)
		c.Name = p.objName()
		c.nameSpan = p.lastSpan()
		if !p.isPunct("{") {
			p.unexpected(p.peek())
		}
		c.elems = p.setLiteral(true)
	case "counter", "quota", "limit", "ct", "flowtable", "secmark", "synproxy":
		if ot.text == "ct" {
			k := p.next()
			if k.text != "helper" && k.text != "timeout" && k.text != "expectation" {
				p.unexpected(k)
			}
			c.Obj = "ct " + k.text
		}
		p.tableSpec(c)
		if p.acceptWord("handle") {
			c.Handle = p.number()
			c.handleSpan = p.lastSpan()
		} else {
			c.Name = p.objNameOr(nameExpected(op))
			c.nameSpan = p.lastSpan()
		}
		o := &objDef{pos: c.pos, namePos: c.nameSpan, kind: c.Obj, name: c.Name}
		if p.isPunct("{") {
			p.i++
			o.args = p.blockTokens()
		} else {
			for !p.endOfLine() {
				o.args = append(o.args, p.next())
			}
		}
		c.obj = o
	case "tables", "chains", "sets", "maps", "counters", "quotas", "limits", "flowtables":
		if f, ok := families[p.peek().text]; ok && p.peek().kind == tWord {
			p.i++
			c.Family, c.famGiven = f, true
		}
	default:
		p.unexpected(ot)
	}
	p.endCommand()
	return []*Command{c}
}

func (p *parser) endCommand() {
	if p.i > 0 {
		p.cmdEnd = p.toks[p.i-1].pos
		p.cmdEnd.Col = p.toks[p.i-1].end
	}
	t := p.peek()
	if (t.kind == tNewline || t.kind == tPunct && t.text == ";") && t.pos.Line == p.cmdEnd.Line {
		p.cmdEnd.Col = t.pos.Col // nft's command location takes its separator in
	}
	if t.kind == tEOF || t.kind == tNewline || t.kind == tPunct && t.text == ";" {
		if t.kind != tEOF {
			p.i++
		}
		return
	}
	p.fail(t, "syntax error, unexpected "+tokDesc(t)+", expecting end of file or newline or semicolon")
}

// blockTokens reads up to the matching '}' and returns the tokens within.
func (p *parser) blockTokens() []token {
	depth := 1
	var out []token
	for {
		t := p.next()
		switch {
		case t.kind == tEOF:
			p.unexpected(t)
		case t.kind == tPunct && t.text == "{":
			depth++
		case t.kind == tPunct && t.text == "}":
			depth--
			if depth == 0 {
				return out
			}
		}
		out = append(out, t)
	}
}

func (p *parser) number() uint64 {
	t := p.next()
	if t.kind != tNum {
		p.unexpected(t)
	}
	v, err := strconv.ParseUint(t.text, 0, 64)
	if err != nil {
		p.fail(t, "number out of range")
	}
	return v
}

// ruleLine parses statements up to the end of the line.
func (p *parser) ruleLine() *ruleDef {
	t := p.peek()
	r := &ruleDef{pos: srcSpan{t.pos, t.end}}
	stmts := p.stmts[:0]
	for !p.endOfLine() {
		if p.isWord("comment") && (p.peekN(1).kind == tString || p.peekN(1).kind == tWord) && p.lineEndsAfter(2) {
			p.i++
			r.comment = p.next().text
			continue
		}
		stmts = append(stmts, p.statement())
	}
	if len(stmts) > 0 {
		// the rule keeps a slice of its own size, the parser the one
		// it grew for the next rule
		if len(stmts) <= len(r.few) {
			r.stmts = r.few[:len(stmts):len(stmts)]
			copy(r.stmts, stmts)
		} else {
			r.stmts = append(make([]Stmt, 0, len(stmts)), stmts...)
		}
		clear(stmts)
		p.stmts = stmts[:0]
	}
	if len(r.stmts) == 0 && r.comment == "" {
		p.unexpected(p.peek())
	}
	last := p.toks[p.i-1]
	r.pos.end = last.end
	return r
}

// errorf is for semantic errors found while parsing.
func (p *parser) errorf(s srcSpan, format string, args ...any) {
	p.errorAt(s, fmt.Sprintf(format, args...))
	panic(bailout{})
}

// lastSpan is the span of the token just read.
func (p *parser) lastSpan() srcSpan {
	t := p.toks[p.i-1]
	return srcSpan{t.pos, t.end}
}

// ruleCommand reads the rest of a rule command: its table, chain,
// handle, position or index, and (but for delete, list and reset) its
// statements.
func (p *parser) ruleCommand(c *Command, op string) {
	p.tableSpec(c)
	c.Name = p.objName()
	c.nameSpan = p.lastSpan()
	switch {
	case p.acceptWord("handle"):
		c.Handle = p.number()
		c.handleSpan = p.lastSpan()
	case p.isWord("position"):
		at := p.next()
		c.Pos = p.number()
		c.handleSpan = srcSpan{at.pos, p.lastSpan().end}
	case p.acceptWord("index"):
		c.Index = int(p.number())
	}
	if op != "delete" && op != "list" && op != "reset" {
		c.rule = p.ruleLine()
	}
}

// nameExpected is what bison expects where a delete command names its
// object: a handle too.
func nameExpected(op string) string {
	if op == "delete" || op == "destroy" {
		return "handle or string"
	}
	return "string"
}
