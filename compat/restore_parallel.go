package compat

import (
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/xtnl/xtnl"
)

// A large restore is mostly "-A CHAIN ..." lines whose parsing and
// encoding are independent of each other: runs of them are spread over
// the CPUs, each worker encoding a slice of the lines into a transaction
// of its own, merged back in input order. Everything with side effects on
// the restore's state (tables, chain declarations, other commands) stays
// sequential, and errors are reported for the first bad line, as a
// sequential pass would.

type pendingAppend struct {
	line int
	text string // the line, counters prefix included
}

// minParallel is the run of appends below which parallelism does not pay.
const minParallel = 512

// queueAppend takes a plain "-A" line of a chain the restore knows for
// later, parallel, processing; false leaves the line to the sequential
// path.
func (rs *restorer) queueAppend(line string) bool {
	if rs.table == nil || (!strings.HasPrefix(line, "-A ") && !strings.HasPrefix(line, "[")) {
		return false
	}
	text := line
	if line[0] == '[' {
		end := strings.IndexByte(line, ']')
		if end < 0 {
			return false
		}
		line = strings.TrimSpace(line[end+1:])
		if !strings.HasPrefix(line, "-A ") {
			return false
		}
	}
	rest := strings.TrimLeft(line[3:], " \t")
	chain, _, _ := strings.Cut(rest, " ")
	if chain == "" || strings.ContainsAny(chain, "\"'\t") || !rs.chains[chain] {
		return false
	}
	rs.pending = append(rs.pending, pendingAppend{line: rs.line, text: text})
	return true
}

// flushAppends processes the queued appends: in parallel when there are
// many, in order either way.
func (rs *restorer) flushAppends() error {
	pend := rs.pending
	if len(pend) == 0 {
		return nil
	}
	defer func() { rs.pending = pend[:0] }() // its room serves the next run
	workers := runtime.GOMAXPROCS(0)
	if len(pend) < minParallel || workers < 2 {
		return rs.appendsInto(rs.tx, pend, &rs.opLines)
	}
	chunk := (len(pend) + workers - 1) / workers
	type part struct {
		tx      *xtnl.Tx
		opLines []int
		err     error
	}
	parts := make([]part, 0, workers)
	for i := 0; i < len(pend); i += chunk {
		parts = append(parts, part{tx: rs.ipt.conn.Begin()})
	}
	var wg sync.WaitGroup
	for w := range parts {
		lo := w * chunk
		hi := min(lo+chunk, len(pend))
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &parts[w]
			p.opLines = make([]int, 0, hi-lo)
			p.tx.Grow(8*len(pend[lo].text)*(hi-lo) + 4096)
			p.err = rs.appendsInto(p.tx, pend[lo:hi], &p.opLines)
		}()
	}
	wg.Wait()
	for _, p := range parts {
		if p.err != nil {
			return p.err // parts are in input order: the first bad line
		}
	}
	rs.opLines = slices.Grow(rs.opLines, len(pend))
	for _, p := range parts {
		rs.tx.Merge(p.tx)
		rs.opLines = append(rs.opLines, p.opLines...)
	}
	return nil
}

// appendsInto encodes queued appends into tx, recording each operation's
// line. It only reads the restorer's state (no chain is declared or
// removed while appends are queued), so several run at once.
func (rs *restorer) appendsInto(tx *xtnl.Tx, pend []pendingAppend, opLines *[]int) error {
	sub := restorer{ipt: rs.ipt, tx: tx, opts: rs.opts, table: rs.table, chains: rs.chains, b: rs.b}
	if tx != rs.tx {
		// A worker of its own: its own builder.
		sub.b = getBuilder()
		defer putBuilder(sub.b)
	}
	for _, pa := range pend {
		sub.line = pa.line
		before := tx.Len()
		if err := sub.command(pa.text); err != nil {
			return sub.fail(err)
		}
		for range tx.Len() - before {
			*opLines = append(*opLines, pa.line)
		}
	}
	return nil
}
