package compat

import (
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/xtnl/xtnl"
)

// A large restore is mostly "-A CHAIN ..." lines whose parsing and
// encoding are independent of each other. While the input is read, runs
// of them are cut into chunks that workers (one per CPU) encode, each into
// a transaction of its own, as the reading goes on; the parts are merged
// back in input order when the run ends. Everything with side effects on
// the restore's state (tables, chain declarations, other commands) stays
// sequential, and errors are reported for the first bad line, as a
// sequential pass would: a run is finished, its first error returned,
// before any line after it is acted on.

type pendingAppend struct {
	line int
	text string // the line, counters prefix included
}

// Chunks are cut to spread the input evenly over the CPUs, the reader
// taking the last part itself once it has read the run, and are no
// smaller than minChunk lines (a shorter run is encoded by the reader
// alone: starting workers would cost more than it saves).
const minChunk = 256

// chunkSize is the chunk length for an input of the given number of
// lines, spread over cpus.
func chunkSize(lines, cpus int) int {
	return max(lines/cpus+1, minChunk)
}

// appendChunk is one chunk of a run and what its worker made of it.
type appendChunk struct {
	pend    []pendingAppend
	tx      *xtnl.Tx
	opLines []int
	err     error
	done    sync.WaitGroup
}

// queueAppend takes a plain "-A" line of a chain the restore knows for
// the parallel path; false leaves the line to the sequential one.
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
	if len(rs.pending) >= rs.chunk && rs.workers > 0 {
		rs.dispatch()
	}
	return true
}

// dispatch hands the pending lines to the workers as a chunk.
func (rs *restorer) dispatch() {
	if rs.jobs == nil {
		rs.startWorkers()
	}
	c := &appendChunk{pend: rs.pending}
	c.done.Add(1)
	rs.chunks = append(rs.chunks, c)
	rs.jobs <- c
	// The next chunk continues in the same array, after this one.
	rs.pending = rs.pending[len(rs.pending):]
}

// startWorkers starts the workers of a run of appends. Each first makes
// the buffer of its first chunk (mapping and zeroing megabytes of memory
// takes about as long as reading the lines of a chunk), and while the
// reader has not handed it a chunk yet, the buffer of the part the reader
// encodes itself.
func (rs *restorer) startWorkers() {
	rs.jobs = make(chan *appendChunk, rs.workers*2)
	rs.spare = make(chan *xtnl.Tx, 1)
	size := encodedBytes(rs.chunk * rs.lineLen)
	for w := range rs.workers {
		spare := rs.spare
		if w > 0 {
			spare = nil // the reader needs one buffer, not one per worker
		}
		go rs.encodeChunks(rs.jobs, spare, size)
	}
}

// encodeChunks is a worker.
func (rs *restorer) encodeChunks(jobs <-chan *appendChunk, spare chan<- *xtnl.Tx, size int) {
	b := getBuilder()
	defer putBuilder(b)
	tx := rs.ipt.conn.Begin()
	tx.Grow(size)
	if spare != nil && len(jobs) == 0 {
		t := rs.ipt.conn.Begin()
		t.Grow(size)
		select {
		case spare <- t:
		default:
		}
	}
	for c := range jobs {
		if tx == nil {
			tx = rs.ipt.conn.Begin()
		}
		c.tx, tx = tx, nil
		c.tx.Grow(encodedSize(c.pend))
		c.opLines = make([]int, 0, len(c.pend))
		c.err = rs.appendsInto(c.tx, b, c.pend, &c.opLines)
		c.done.Done()
	}
}

// flushAppends finishes the run of appends: what is left after the last
// chunk is encoded here while the workers finish theirs, then every part
// is merged in input order.
func (rs *restorer) flushAppends() error {
	pend := rs.pending
	rs.pending = pend[len(pend):]
	chunks := rs.chunks
	rs.chunks = nil
	if len(chunks) == 0 {
		// A short run: encoded here, no workers involved.
		if len(pend) == 0 {
			return nil
		}
		rs.tx.Grow(encodedSize(pend))
		return rs.appendsInto(rs.tx, rs.b, pend, &rs.opLines)
	}
	close(rs.jobs)
	rs.jobs = nil
	tail := &appendChunk{pend: pend}
	select {
	case tail.tx = <-rs.spare:
	default:
		tail.tx = rs.ipt.conn.Begin()
	}
	if len(pend) > 0 {
		tail.tx.Grow(encodedSize(pend))
		tail.opLines = make([]int, 0, len(pend))
		tail.err = rs.appendsInto(tail.tx, rs.b, pend, &tail.opLines)
	}
	var err error
	for _, c := range chunks {
		c.done.Wait()
		if err == nil {
			err = c.err // chunks are in input order: the first bad line
		}
	}
	if err == nil {
		err = tail.err
	}
	if err != nil {
		return err
	}
	parts := append(chunks, tail)
	txs := make([]*xtnl.Tx, len(parts))
	lines := 0
	for i, c := range parts {
		txs[i] = c.tx
		lines += len(c.opLines)
	}
	rs.tx.Merge(txs...)
	rs.opLines = slices.Grow(rs.opLines, lines)
	for _, c := range parts {
		rs.opLines = append(rs.opLines, c.opLines...)
	}
	return nil
}

// parallelism sets the restore up for an input of the given number of
// lines: a worker for each CPU but the reader's.
func (rs *restorer) parallelism(lines, size int) {
	cpus := runtime.GOMAXPROCS(0)
	rs.lineLen = size/lines + 1
	rs.workers = cpus - 1
	rs.chunk = chunkSize(lines, cpus)
	// Most lines are appends, queued for the chunks: room for all.
	rs.pending = make([]pendingAppend, 0, lines)
}

// encodedSize bounds the encoding of appends: a rule's message takes a
// little over seven times its iptables-save line (432 bytes for the 61 of
// "-A BENCH -s 10.0.0.1/32 -p tcp -m tcp --dport 1024 -j ACCEPT"), so
// eight times leaves room without reallocating.
func encodedSize(pend []pendingAppend) int {
	text := 0
	for _, pa := range pend {
		text += len(pa.text)
	}
	return encodedBytes(text)
}

// encodedBytes bounds the encoding of appends whose lines total text
// bytes (see encodedSize).
func encodedBytes(text int) int { return 4096 + 8*text }

// appendsInto encodes queued appends into tx with builder b, recording
// each operation's line. It only reads the restorer's state (no chain is
// declared or removed while appends are queued), so several run at once.
func (rs *restorer) appendsInto(tx *xtnl.Tx, b *builder, pend []pendingAppend, opLines *[]int) error {
	sub := restorer{ipt: rs.ipt, tx: tx, opts: rs.opts, table: rs.table, chains: rs.chains, b: b}
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
