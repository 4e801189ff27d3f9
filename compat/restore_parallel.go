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
// of them are cut into chunks that workers (one per CPU but the reader's)
// encode as the reading goes on; once the reader has read the run, it
// encodes the chunks still queued alongside them. Each encoder writes its
// chunks one after the other into one buffer of its own, cutting each off
// as a transaction (enginehooks' Cut), and the parts are merged back in input
// order when the run ends. Everything with side effects on the restore's
// state (tables, chain declarations, other commands) stays sequential,
// and errors are reported for the first bad line, as a sequential pass
// would: a run is finished, its first error returned, before any line
// after it is acted on.

// appendSpan is queued "-A" lines (a chunk, or what is queued of the
// next) as they lie in the input: from the start of the first to the end
// of the last, with nothing but blank and comment lines between them (any
// other line ends the run), so queueing costs no memory per line.
type appendSpan struct {
	start, end int // offsets in the input
	line       int // the number of its first line
	lines      int // queued lines in it
}

// Chunks are cut small enough that the workers start early and that
// the encoders, the reader among them once it has read the run, finish
// together (chunksPerCPU of them for each CPU), and no smaller than
// minChunk lines (a shorter run is encoded by the reader alone: starting
// workers would cost more than it saves).
const (
	minChunk     = 256
	chunksPerCPU = 4
)

// chunkSize is the chunk length for an input of the given number of
// lines, spread over cpus.
func chunkSize(lines, cpus int) int {
	return max(lines/(cpus*chunksPerCPU)+1, minChunk)
}

// appendChunk is one chunk of a run and what its worker made of it.
type appendChunk struct {
	span        appendSpan
	tx          *xtnl.Tx
	opLines     []int
	missingJump string // the first jump to a chain that is nowhere
	err         error
	done        sync.WaitGroup
}

// queueAppend takes a plain "-A" line of a chain the restore knows for
// the parallel path; false leaves the line to the sequential one. start
// and end are the raw line's offsets in the input.
func (rs *restorer) queueAppend(line string, start, end int) bool {
	if rs.table == nil || (!strings.HasPrefix(line, "-A ") && !strings.HasPrefix(line, "[")) || rs.echo() {
		return false // an echoed rule is parsed where it can be printed
	}
	if line[0] == '[' {
		bracket := strings.IndexByte(line, ']')
		if bracket < 0 {
			return false
		}
		line = strings.TrimSpace(line[bracket+1:])
		if !strings.HasPrefix(line, "-A ") {
			return false
		}
	}
	rest := strings.TrimLeft(line[3:], " \t")
	chain, _, _ := strings.Cut(rest, " ")
	if chain == "" || strings.ContainsAny(chain, "\"'\t") || !rs.chains[chain] {
		return false
	}
	if rs.pending.lines == 0 {
		rs.pending = appendSpan{start: start, line: rs.line}
	}
	rs.pending.end = end
	rs.pending.lines++
	if rs.pending.lines >= rs.chunk && rs.workers > 0 {
		rs.dispatch()
	}
	return true
}

// dispatch hands the pending lines to the workers as a chunk.
func (rs *restorer) dispatch() {
	if rs.jobs == nil {
		rs.startWorkers()
	}
	c := &appendChunk{span: rs.pending}
	c.done.Add(1)
	rs.chunks = append(rs.chunks, c)
	rs.jobs <- c // never blocks: room for every chunk of the input
	rs.pending = appendSpan{}
}

// startWorkers starts the workers of a run of appends. Each first
// reserves a buffer for its share of the input's encoding, and the first
// worker one for the reader's too, while the reader is still reading.
func (rs *restorer) startWorkers() {
	rs.jobs = make(chan *appendChunk, rs.maxChunks)
	rs.spare = make(chan *xtnl.Tx, 1)
	for w := range rs.workers {
		spare := rs.spare
		if w > 0 {
			spare = nil // the reader needs one buffer, not one per worker
		}
		go rs.work(rs.jobs, spare)
	}
}

// work is a worker.
func (rs *restorer) work(jobs <-chan *appendChunk, spare chan<- *xtnl.Tx) {
	b := getBuilder()
	defer putBuilder(b)
	tx := rs.ipt.conn.Begin()
	engine.Reserve(tx, rs.share)
	if spare != nil {
		t := rs.ipt.conn.Begin()
		engine.Reserve(t, rs.share)
		spare <- t
	}
	rs.encodeChunks(jobs, tx, b)
}

// encodeChunks encodes chunks from jobs until it is closed and drained,
// one after the other into tx's buffer, each cut off as its own part.
func (rs *restorer) encodeChunks(jobs <-chan *appendChunk, tx *xtnl.Tx, b *builder) {
	for c := range jobs {
		engine.Reserve(tx, encodedBytes(c.span.end-c.span.start)) // a no-op while the share lasts
		c.opLines = make([]int, 0, c.span.lines)
		c.err = rs.appendsInto(tx, b, c.span, &c.opLines, &c.missingJump)
		c.tx = engine.Cut(tx)
		c.done.Done()
	}
}

// flushAppends finishes the run of appends: what is left after the last
// chunk is queued as one more, the reader encodes queued chunks alongside
// the workers until none is left, then every part is merged in input
// order.
func (rs *restorer) flushAppends() error {
	if len(rs.chunks) == 0 {
		// A short run: encoded here, no workers involved.
		span := rs.pending
		rs.pending = appendSpan{}
		if span.lines == 0 {
			return nil
		}
		engine.Reserve(rs.tx, encodedBytes(span.end-span.start))
		return rs.appendsInto(rs.tx, rs.b, span, &rs.opLines, &rs.missingJump)
	}
	if rs.pending.lines > 0 {
		rs.dispatch()
	}
	chunks := rs.chunks
	rs.chunks = nil
	jobs := rs.jobs
	close(jobs)
	rs.jobs = nil
	var tx *xtnl.Tx
	select {
	case tx = <-rs.spare:
	default:
		tx = rs.ipt.conn.Begin()
		engine.Reserve(tx, rs.share)
	}
	rs.encodeChunks(jobs, tx, rs.b)
	var err error
	for _, c := range chunks {
		c.done.Wait()
		if err == nil {
			err = c.err // chunks are in input order: the first bad line
		}
	}
	if err != nil {
		return err
	}
	txs := make([]*xtnl.Tx, len(chunks))
	lines := 0
	for i, c := range chunks {
		txs[i] = c.tx
		lines += len(c.opLines)
		if rs.missingJump == "" {
			rs.missingJump = c.missingJump
		}
	}
	engine.Merge(rs.tx, txs...)
	rs.opLines = slices.Grow(rs.opLines, lines)
	for _, c := range chunks {
		rs.opLines = append(rs.opLines, c.opLines...)
	}
	return nil
}

// parallelism sets the restore up for an input of the given number of
// lines: a worker for each CPU but the reader's.
func (rs *restorer) parallelism(lines, size int) {
	cpus := runtime.GOMAXPROCS(0)
	rs.workers = cpus - 1
	rs.chunk = chunkSize(lines, cpus)
	rs.maxChunks = lines/rs.chunk + 2
	rs.share = encodedBytes(size / cpus)
}

// encodedBytes bounds the encoding of appends whose lines total text
// bytes: a rule's message takes a little over seven times its
// iptables-save line (432 bytes for the 61 of "-A BENCH -s 10.0.0.1/32
// -p tcp -m tcp --dport 1024 -j ACCEPT"), so eight times leaves room
// without reallocating.
func encodedBytes(text int) int { return 4096 + 8*text }

// appendsInto encodes the queued appends of span into tx with builder b,
// recording each operation's line. It only reads the restorer's state (no
// chain is declared or removed while appends are queued), so several run
// at once.
func (rs *restorer) appendsInto(tx *xtnl.Tx, b *builder, span appendSpan, opLines *[]int, missingJump *string) error {
	sub := restorer{ipt: rs.ipt, tx: tx, opts: rs.opts, table: rs.table, chains: rs.chains, chainsAssumed: rs.chainsAssumed, missingJump: *missingJump, b: b}
	defer func() { *missingJump = sub.missingJump }()
	sub.line = span.line - 1
	for rest, more := rs.text[span.start:span.end], true; more; {
		var raw string
		raw, rest, more = strings.Cut(rest, "\n")
		sub.line++
		line, skip := restoreLine(raw)
		if skip {
			continue
		}
		before := tx.Len()
		if err := sub.command(line); err != nil {
			return sub.fail(err)
		}
		for range tx.Len() - before {
			*opLines = append(*opLines, sub.line)
		}
	}
	return nil
}
