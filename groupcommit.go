package xtnl

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit. The kernel rebuilds a chain's rule blob on every commit
// that touches it, so on a large chain a commit costs about the same
// whether it carries one rule or a hundred: fewer commits beat faster
// commits. Concurrent Commit calls on one Conn therefore share batches:
// the goroutine whose batch is in the kernel is the leader; calls arriving
// meanwhile queue; when the leader is done, the first queued call becomes
// leader and commits everything queued as one batch.
//
// A burst (many goroutines appending at once) would still cost two
// commits: the first caller's alone, then everyone else's; and on a large
// chain a commit made right after another pays for the kernel freeing the
// first one's rule blob (1 ms into a 10k chain becomes 6). So callers may
// announce a commit they are about to build (Expect); a leader that knows
// of others on their way yields until they have queued (within bounds)
// before committing, and takes them all along.
//
// Expect is for callers that know they come in a burst: on one CPU, callers
// released together run one after another, and nothing else tells the
// first that the others are coming (100 such Commit callers made 63
// commits without it, 2 with it: groupcommit_test.go).

type commitQueue struct {
	mu      sync.Mutex
	busy    bool
	waiting []*pendingCommit
	// expected counts the commits announced and not yet made (Expect).
	expected atomic.Int32
	// lastCommit is how long the last commit took, in nanoseconds.
	lastCommit atomic.Int64
}

// Expect announces a commit about to be built on c (a rule being parsed,
// say); call Done on what it returns once it is committed, or abandoned:
//
//	defer conn.Expect().Done()
//
// Meanwhile a commit starting on c gives it a chance to join its batch.
func (c *Conn) Expect() ExpectedCommit {
	c.queue.expected.Add(1)
	return ExpectedCommit{c}
}

// ExpectedCommit is a commit announced by Expect.
type ExpectedCommit struct{ c *Conn }

// Done withdraws the announcement.
func (e ExpectedCommit) Done() { e.c.queue.expected.Add(-1) }

// pendingCommit is one caller's transaction, and where its result goes.
type pendingCommit struct {
	tx   *Tx
	done chan commitResult
}

// commitResult is a transaction's outcome, or (lead set) the order to lead
// the next batch, which includes the receiver's own.
type commitResult struct {
	err  error
	lead bool
}

// groupCommit commits tx (valid, not empty: Commit checked) with
// whatever else is committed concurrently.
func (c *Conn) groupCommit(tx *Tx) error {
	if !c.queue.claim() {
		return c.commitQueued(&pendingCommit{tx: tx})
	}
	return c.commitClaimed(tx)
}

// claim makes the caller the queue's holder, the one to commit next, if
// nobody is committing.
func (q *commitQueue) claim() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.busy {
		return false
	}
	q.busy = true
	return true
}

// commitClaimed commits tx (valid, not empty) for the queue's holder: at
// once if nobody queued or announced a commit meanwhile, else in one batch
// with theirs.
func (c *Conn) commitClaimed(tx *Tx) error {
	q := &c.queue
	q.mu.Lock()
	alone := len(q.waiting) == 0 && q.expected.Load() <= 1
	q.mu.Unlock()
	if !alone {
		// Let those announced run to the queue, and lead them all.
		return c.leadWith(&pendingCommit{tx: tx, done: make(chan commitResult, 1)}, expectQuiet)
	}
	start := time.Now()
	err := c.commitOne(tx)
	q.lastCommit.Store(int64(time.Since(start)))
	c.handOff()
	return err
}

// commitQueued queues p behind the batch in the kernel and returns its
// result; told to lead the next batch, it leads. If the batch ended before
// p could queue, p's caller holds the queue now and commits.
func (c *Conn) commitQueued(p *pendingCommit) error {
	q := &c.queue
	q.mu.Lock()
	if !q.busy {
		q.busy = true
		q.mu.Unlock()
		return c.commitClaimed(p.tx)
	}
	p.done = make(chan commitResult, 1)
	q.waiting = append(q.waiting, p)
	q.mu.Unlock()
	r := <-p.done
	if !r.lead {
		return r.err
	}
	// Calls queued behind a commit: more may be on their way, worth
	// waiting for as long as a fraction of what a commit costs.
	return c.leadWith(p, min(expectQuiet, time.Duration(q.lastCommit.Load()/8)))
}

// leadWith commits p's transaction with every one queued, once those
// announced have queued too and nothing new came for quiet
// (awaitExpected), and returns p's result.
func (c *Conn) leadWith(p *pendingCommit, quiet time.Duration) error {
	c.awaitExpected(quiet)
	q := &c.queue
	q.mu.Lock()
	batch := append([]*pendingCommit{p}, q.waiting...)
	q.waiting = nil
	q.mu.Unlock()
	c.lead(batch)
	return (<-p.done).err
}

// Bounds of a leader's wait for the commits announced to it: an announced
// caller may be slow (a huge rule, a host name to resolve) or gone (Done
// not called yet), and the other goroutines of a busy program take the
// CPU too. maxExpectWait is about what a hundred goroutines parsing their
// first rules in a fresh process take on a small machine; committing them
// in two batches rather than one costs more than that on a large chain.
// expectQuiet is how long nothing new must have been announced or queued
// before the leader takes it that the burst is over: several times what
// parsing one rule takes. (The figures: bench/README.md, "Measurements
// behind the design".)
const (
	maxExpectWait = 5 * time.Millisecond
	expectQuiet   = 50 * time.Microsecond
)

// awaitExpected yields while commits announced are still being built
// (announced, not queued), and until nothing new was announced or queued
// for quiet, within maxExpectWait: callers released together announce
// themselves only once they run, so the count announced does not tell
// that no more are coming.
func (c *Conn) awaitExpected(quiet time.Duration) {
	q := &c.queue
	start := time.Now()
	quietSince := start
	lastQueued, lastExpected := -1, int32(-1)
	for {
		q.mu.Lock()
		queued := len(q.waiting)
		q.mu.Unlock()
		expected := q.expected.Load()
		now := time.Now()
		if queued != lastQueued || expected != lastExpected {
			quietSince, lastQueued, lastExpected = now, queued, expected
		}
		building := int(expected) > queued+1
		if (!building && now.Sub(quietSince) >= quiet) || now.Sub(start) > maxExpectWait {
			return
		}
		runtime.Gosched()
	}
}

// lead commits one batch, delivers every result, then hands leadership on.
func (c *Conn) lead(batch []*pendingCommit) {
	txs := make([]*Tx, len(batch))
	for i, p := range batch {
		txs[i] = p.tx
	}
	start := time.Now()
	errs := c.commitTxs(txs)
	c.queue.lastCommit.Store(int64(time.Since(start)))
	for i, p := range batch {
		p.done <- commitResult{err: errs[i]}
	}
	c.handOff()
}

// handOff ends a leader's turn: the first of the calls queued meanwhile
// leads the next batch, made of all those queued when it commits (one
// round each, so no caller waits behind an endless stream of others).
func (c *Conn) handOff() {
	q := &c.queue
	q.mu.Lock()
	if len(q.waiting) == 0 {
		q.busy = false
		q.mu.Unlock()
		return
	}
	next := q.waiting[0]
	q.waiting = q.waiting[1:]
	q.mu.Unlock()
	next.done <- commitResult{lead: true}
}

// commitOne commits a transaction on its own.
func (c *Conn) commitOne(tx *Tx) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errClosed
	}
	return tx.commitLocked()
}

// commitTxs commits transactions as few batches as their generation
// conditions allow, and returns each one's result.
func (c *Conn) commitTxs(txs []*Tx) []error {
	if len(txs) == 1 {
		return []error{c.commitOne(txs[0])}
	}
	errs := make([]error, len(txs))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		for i := range errs {
			errs[i] = errClosed
		}
		return errs
	}
	// Transactions conditional on different generations cannot share a
	// batch (it carries one); group them.
	type condition struct {
		has bool
		gen uint32
	}
	groups := map[condition][]int{}
	var order []condition
	for i, tx := range txs {
		k := condition{tx.hasGen, tx.gen}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		c.commitGroupLocked(txs, groups[k], errs)
	}
	return errs
}

// commitGroupLocked commits the transactions txs[idx...] as one batch; a
// transaction the kernel refuses gets its error and the rest are committed
// again without it.
func (c *Conn) commitGroupLocked(txs []*Tx, idx []int, errs []error) {
	for len(idx) > 0 {
		if len(idx) == 1 {
			errs[idx[0]] = txs[idx[0]].commitLocked()
			return
		}
		comb := &Tx{c: c, gen: txs[idx[0]].gen, hasGen: txs[idx[0]].hasGen}
		starts := make([]int, len(idx))
		for j, i := range idx {
			starts[j] = len(comb.ops)
			comb.absorb(txs[i])
		}
		err := comb.commitLocked()
		if err == nil {
			return
		}
		oe, ok := err.(*OpError)
		if !ok || oe.Index < 0 {
			// The batch as a whole failed: so does each transaction.
			for _, i := range idx {
				errs[i] = err
			}
			return
		}
		// Find whose operation failed; it fails, the others go again.
		j := len(starts) - 1
		for j > 0 && starts[j] > oe.Index {
			j--
		}
		own := *oe
		own.Index -= starts[j]
		errs[idx[j]] = &own
		idx = append(idx[:j:j], idx[j+1:]...)
	}
}
