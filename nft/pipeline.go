package nft

// Compile's two stages: the parser runs in its own goroutine ahead of
// evaluation and hands what it parsed over in batches, so that a large
// script is parsed on one core while the other evaluates what came
// before. The output is that of evaluating after parsing (compileInOrder),
// byte for byte: where evaluation could see something the order changes,
// the pipeline gives up and Compile runs compileInOrder instead.
//
// The parser hands over whole commands, except a table block that holds
// rules: it hands over the table's declarations when it meets the first
// rule (its chains, objects and sets, all compiled before any rule, as
// tableBody does), then the rules one by one, and a chain declared after
// that when it meets the chain's first rule or end. That is exact as
// long as nothing the rules' evaluation reads comes later in the block:
// a set, map, object, flag or comment of the table, a chain line after
// the chain's rules, a second chain of a name already given. The parser
// stops at any of them (pipe.inOrder) and so does the evaluator at any
// error inside such a table (its order of errors is tableBody's). The
// commands after a define are handed over once the script is parsed:
// the define's tree is shared by the rules that use it.

import "slices"

// pipeBatch is how many items the parser hands over at once: enough that
// the channel costs nothing per rule, few enough that evaluation starts
// at once.
const pipeBatch = 256

type pipeKind uint8

const (
	pipeCmd       pipeKind = iota // a whole command
	pipeTableHead                 // a table block up to its first rule, no rules
	pipeChain                     // a chain of that table declared after its first rule, no rules
	pipeRule                      // a rule of the table's last chain
	pipeTableEnd                  // the end of that table block
)

type pipeItem struct {
	kind  pipeKind
	cmd   *Command
	chain *chainDef
	rule  *ruleDef
}

// pipe joins the parser's goroutine to the evaluator.
type pipe struct {
	batches chan []pipeItem // closed when the parser returns
	free    chan []pipeItem // batches handed back for reuse
	stop    chan struct{}   // closed by the evaluator: the parser stops
	cur     []pipeItem      // the batch being filled
	scan    *scanner
	// Set by the parser before it closes batches.
	errs ErrorList
	// inOrder says the script must be compiled by compileInOrder: its
	// evaluation could differ in the pipeline, or the parser panicked
	// (compileInOrder will again, on the caller's goroutine).
	inOrder bool
	// stopped is set once stop is closed (by the evaluator alone).
	stopped bool
}

// stopParse unwinds the parser when the pipeline gives up.
type stopParse struct{}

// tableStream is the parser's state in a table block whose rules it hands
// over as it reads them.
type tableStream struct {
	c  *Command
	td *tableDef
	// started: the table's declarations went out with its first rule.
	started bool
	// sent: the chain being read went out.
	sent bool
	// names are the table's chains that went out.
	names map[string]bool
}

// compilePiped compiles src in the two stages. ok false means that
// compileInOrder must compile it instead.
func compilePiped(src string, o Options) (prog *Program, ok bool) {
	pp := &pipe{batches: make(chan []pipeItem, 4), free: make(chan []pipeItem, 8), stop: make(chan struct{})}
	go pp.parse(o.File, src)
	// the parser is gone when Compile returns, whatever happens here
	defer pp.finish()
	cc := newCompileCtx(src, o)
	ev := pipeEval{cc: cc}
	for batch := range pp.batches {
		if !ev.failed {
			for i := range batch {
				if !ev.item(&batch[i]) {
					ev.failed = true
					pp.halt()
					break
				}
			}
		}
		clear(batch)
		select {
		case pp.free <- batch[:0]:
		default:
		}
	}
	// A script with an error is compiled again in order: nft evaluates
	// what parsed after syntax errors, and reports up to maxErrors in
	// the order compileInOrder finds them.
	if pp.inOrder || ev.failed || len(pp.errs) > 0 || len(cc.errs) > 0 {
		return nil, false
	}
	return cc.prog, true
}

// halt tells the parser to stop.
func (pp *pipe) halt() {
	if !pp.stopped {
		pp.stopped = true
		close(pp.stop)
	}
}

// finish stops the parser and waits until it returned.
func (pp *pipe) finish() {
	pp.halt()
	for range pp.batches {
	}
}

// parse is the parser's goroutine.
func (pp *pipe) parse(file, src string) {
	defer close(pp.batches)
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stopParse); !ok {
				pp.inOrder = true
			}
		}
	}()
	_, pp.errs = parseTo(file, src, pp)
	pp.flush()
}

// send hands an item over; nothing once the script has an error, as
// Compile then returns the parser's errors alone.
func (p *parser) send(it pipeItem) {
	pp := p.pipe
	if len(p.errs) > 0 || len(pp.scan.errs) > 0 {
		return
	}
	if pp.cur == nil {
		select {
		case pp.cur = <-pp.free:
		default:
			pp.cur = make([]pipeItem, 0, pipeBatch)
		}
	}
	pp.cur = append(pp.cur, it)
	if len(pp.cur) == pipeBatch {
		pp.flush()
	}
}

func (pp *pipe) flush() {
	if len(pp.cur) == 0 {
		return
	}
	select {
	case pp.batches <- pp.cur:
		pp.cur = nil
	case <-pp.stop:
		panic(stopParse{})
	}
}

// giveUp stops the pipeline: the script must be compiled in order.
func (p *parser) giveUp() {
	p.pipe.inOrder = true
	panic(stopParse{})
}

// streamRule hands over rd, a rule of chain cd in the table block being
// read, preceded by the table's declarations or by the chain if they did
// not go out yet.
func (p *parser) streamRule(cd *chainDef, rd *ruleDef) {
	ts := p.table
	if !ts.started {
		ts.started, ts.sent = true, true
		td := ts.td
		head := *ts.c
		head.table = &tableDef{flags: td.flags, comment: td.comment, chains: make([]*chainDef, 0, len(td.chains)+1),
			sets: td.sets, objs: td.objs, flows: td.flows}
		ts.names = map[string]bool{}
		for _, ch := range append(td.chains, cd) {
			head.table.chains = append(head.table.chains, chainHead(ch))
			ts.names[ch.name] = true
		}
		p.send(pipeItem{kind: pipeTableHead, cmd: &head})
	} else if !ts.sent {
		p.streamChain(cd)
	}
	p.send(pipeItem{kind: pipeRule, rule: rd})
}

// streamChain hands over a chain declared after the table's first rule.
func (p *parser) streamChain(cd *chainDef) {
	ts := p.table
	if ts.names[cd.name] {
		// a chain's second block: the first block's rules were
		// evaluated with the first block's hook, tableBody uses the
		// second's
		p.giveUp()
	}
	ts.names[cd.name], ts.sent = true, true
	p.send(pipeItem{kind: pipeChain, chain: chainHead(cd)})
}

// chainHead is a copy of cd's declaration, without rules.
func chainHead(cd *chainDef) *chainDef {
	h := *cd
	h.rules = nil
	return &h
}

// pipeEval is the evaluator's side: compileInOrder's loop, item by item.
type pipeEval struct {
	cc *compileCtx
	// the table block being streamed: its command, the index in the
	// messages where its chains end, the NEWCHAIN messages of its chains
	// declared after the first rule (they go at chainsEnd), and the
	// command its rules are compiled with
	table     *Command
	chainsEnd int
	later     []Message
	rule      Command
	failed    bool
}

// item evaluates one item; false when the pipeline must give up.
func (ev *pipeEval) item(it *pipeItem) bool {
	cc := ev.cc
	switch it.kind {
	case pipeCmd:
		cc.commandAt(it.cmd)
		if len(cc.errs) > 0 {
			return false
		}
	case pipeTableHead:
		c := it.cmd
		cc.cur = c.pos
		start := len(cc.prog.Messages)
		if cc.tableCmd(c) != nil {
			return false
		}
		ev.table, ev.chainsEnd, ev.later = c, start+1+len(c.table.chains), ev.later[:0]
		last := c.table.chains[len(c.table.chains)-1]
		ev.rule = Command{Op: "add", Obj: "rule", Family: c.Family, Table: c.Table, Name: last.name, Index: -1}
	case pipeChain:
		c := ev.table
		sub := &Command{pos: it.chain.pos, Op: "add", Obj: "chain", Family: c.Family, Table: c.Table, Name: it.chain.name, chain: it.chain, inTable: true}
		if cc.chainCmd(sub) != nil {
			return false
		}
		n := len(cc.prog.Messages) - 1
		ev.later = append(ev.later, cc.prog.Messages[n])
		cc.prog.Messages = cc.prog.Messages[:n]
		ev.rule.Name = it.chain.name
	case pipeRule:
		ev.rule.pos, ev.rule.rule = it.rule.pos, it.rule
		err := cc.ruleCmd(&ev.rule)
		ev.rule.rule = nil
		if err != nil {
			return false
		}
	case pipeTableEnd:
		if k := len(ev.later); k > 0 {
			// the later chains' messages go where tableBody writes
			// them, before the sets, whose indexes move
			cc.prog.Messages = slices.Insert(cc.prog.Messages, ev.chainsEnd, ev.later...)
			for _, si := range cc.setInfos {
				if si.msg >= ev.chainsEnd {
					si.msg += k
				}
			}
		}
		ev.table = nil
	}
	return true
}
