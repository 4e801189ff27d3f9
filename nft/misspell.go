package nft

import (
	"fmt"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// A command on a table the kernel does not have (and the script did not
// add) is refused when nft evaluates it (table_not_found in evaluate.c):
// "No such file or directory" at the table's name, with nft's guess of
// the table meant when one is close enough (misspell.c).

// tableLister is a Lookup that can list the kernel's tables.
type tableLister interface {
	tables() ([]*kTable, error)
}

func (l connLookup) tables() ([]*kTable, error) {
	rs, err := readTables(l.c, 0)
	if err != nil {
		return nil, err
	}
	return rs.tables, nil
}

// checkTable refuses a command that adds to a table neither the script
// nor the kernel has; nil when it exists or there is no kernel to ask.
func (cc *compileCtx) checkTable(c *Command) error {
	switch c.Op {
	case "add", "create", "insert", "replace":
	default:
		return nil
	}
	switch c.Obj {
	case "chain", "set", "map", "element", "counter", "quota", "limit", "ct helper", "ct expectation", "flowtable", "synproxy":
		// (a rule's table is the kernel's to refuse: see ruleNotFound)
	default:
		return nil
	}
	tl, ok := cc.lookup.(tableLister)
	if !ok || cc.scriptTables[c.Family.String()+"/"+c.Table] {
		return nil
	}
	if cc.kernelTables == nil {
		ts, err := tl.tables()
		if err != nil {
			return nil
		}
		cc.kernelTables = ts
	}
	var guess *kTable
	best := -1
	for _, t := range cc.kernelTables {
		if t.fam == c.Family && t.name == c.Table {
			return nil
		}
		if d, ok := misspelled(t.name, c.Table); ok && (best < 0 || d < best) {
			guess, best = t, d
		}
	}
	at := c.tableSpan
	if at.Line == 0 {
		at = c.pos
	}
	msg := unix.ENOENT.Error()
	msg = "N" + msg[1:]
	if guess != nil {
		msg += fmt.Sprintf("; did you mean table ‘%s’ in family %s?", guess.name, xtnl.Family(guess.fam))
	}
	return cc.errAt(at, msg)
}

// misspelled is string_misspell_update's test: whether a is close enough
// to b to be suggested, and how close.
func misspelled(a, b string) (int, bool) {
	maxLen, minLen := max(len(a), len(b)), min(len(a), len(b))
	if maxLen <= 1 {
		return 0, false
	}
	var threshold int
	if maxLen-minLen <= 1 {
		threshold = max((maxLen+2)/3, 1)
	} else {
		threshold = (maxLen + 4) / 3
	}
	d := stringDistance(a, b)
	return d, d <= threshold
}

// stringDistance is misspell.c's string_distance as nft 1.0.6 computes
// it, quirks included: it compares a[i] with b[j] for i, j from 1 (the
// terminating NUL taking part) and its table's rows are len(b) wide, not
// len(b)+1, so that a row's last cell is the next row's first. The
// suggestions nft makes depend on both.
func stringDistance(a, b string) int {
	la, lb := len(a), len(b)
	at := func(s string, i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	d := make([]int, (la+1)*(lb+1))
	idx := func(i, j int) int { return i*lb + j }
	for i := 0; i <= la; i++ {
		d[idx(i, 0)] = i
	}
	for j := 0; j <= lb; j++ {
		d[idx(0, j)] = j
	}
	for i := 1; i <= la; i++ {
		for j := 1; j <= lb; j++ {
			sub := 1
			if at(a, i) == at(b, j) {
				sub = 0
			}
			v := min(d[idx(i-1, j)]+1, d[idx(i, j-1)]+1, d[idx(i-1, j-1)]+sub)
			d[idx(i, j)] = v
			if i > 1 && j > 1 && at(a, i) == at(b, j-1) && at(a, i-1) == at(b, j) {
				d[idx(i, j)] = min(d[idx(i, j)], d[idx(i-2, j-2)]+sub)
			}
		}
	}
	return d[idx(la, lb)]
}

// ruleNotFound is nft_cmd_enoent_rule: when the kernel finds no table or
// chain for a rule, nft guesses the chain meant among all the kernel's
// (and through it the table). ok is false when it has no guess.
func ruleNotFound(l Lookup, c *Command, at srcSpan) (*Error, bool) {
	cl, ok := l.(connLookup)
	if !ok {
		return nil, false
	}
	rs, err := readRuleset(cl.c, 0, "")
	if err != nil {
		return nil, false
	}
	var table *kTable
	var chain *kChain
	best := -1
	for _, t := range rs.tables {
		for _, ch := range t.chains {
			if d, ok := misspelled(ch.name, c.Name); ok && (best < 0 || d < best) {
				table, chain, best = t, ch, d
			}
		}
	}
	if table == nil {
		return nil, false
	}
	if rs.table(c.Family, c.Table) == nil && (c.Table != table.name || c.Family != table.fam) {
		return &Error{Pos: c.tableSpan.Pos, EndCol: c.tableSpan.end, Msg: fmt.Sprintf("No such file or directory; did you mean table ‘%s’ in family %s?", table.name, table.fam)}, true
	}
	if rs.table(c.Family, c.Table) == nil || chain.name == c.Name {
		return nil, false
	}
	return &Error{Pos: at.Pos, EndCol: at.end, Msg: fmt.Sprintf("No such file or directory; did you mean chain ‘%s’ in table %s ‘%s’?", chain.name, table.fam, table.name)}, true
}
