package xtnl

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/xtnl/xtnl/internal/nfnl"
	"golang.org/x/sys/unix"
)

// Tx is a transaction: any number of operations committed atomically. The
// kernel applies all of them or none. A Tx is not safe for concurrent use;
// build it in one goroutine and Commit it (committing is safe alongside
// other goroutines using the same Conn).
//
// The whole transaction is encoded into one buffer as it is built and sent
// to the kernel in a single sendmsg (nf_tables only commits a batch that
// arrives whole in one datagram) with the socket buffer sized to fit, so a
// transaction of 100k rules costs one system call. Only the batch's last
// message asks for an acknowledgement: the kernel reports every failing
// operation by itself, so there is no flood of ACKs to read back.
type Tx struct {
	c   *Conn
	enc nfnl.Encoder
	// sealed holds encoded parts merged in from other transactions; they
	// go out as iovecs of the same sendmsg, never copied.
	sealed    [][]byte
	sealedLen int
	// mappings hold the memory mapped for its encoding (buffer.go).
	mappings []*mapping
	ops      []txOp
	labels   []opLabel
	gen      uint32
	hasGen   bool
	echo     bool
	err      error
	// Room for a small transaction (a rule or two), so that one costs a
	// single allocation.
	inlineBuf    [512]byte
	inlineOps    [2]txOp
	inlineLabels [2]opLabel
}

// txOp is one operation: where its message is, and what it does. A large
// batch holds one per rule, so it is kept to 16 bytes: the object an
// operation names is read back from its message when an error needs it
// (derivedLabel), and only an operation whose label the message cannot
// give (an object named otherwise, an echoed handle) has one in labels,
// shared by consecutive operations with the same label.
type txOp struct {
	offset int   // of its message in the whole body (sealed parts, then enc.B)
	label  int32 // index in labels, or -1: named from its message
	kind   opKind
}

// Begin starts a transaction on c.
func (c *Conn) Begin() *Tx {
	tx := &Tx{c: c}
	tx.enc.B = tx.inlineBuf[:0]
	tx.ops = tx.inlineOps[:0]
	tx.labels = tx.inlineLabels[:0]
	return tx
}

// reserve makes room for about n more bytes of encoded operations, so a
// large transaction built in a loop does not keep reallocating its buffer.
// It makes room in the list of operations too, for as many as n bytes of
// rules hold (one per opBytes).
func (tx *Tx) reserve(n int) {
	if n <= 0 {
		return
	}
	if cap(tx.enc.B)-len(tx.enc.B) < n {
		tx.enc.B = tx.grow(tx.enc.B, n)
	}
	if ops := n / opBytes; cap(tx.ops)-len(tx.ops) < ops {
		tx.ops = slices.Grow(tx.ops, ops)
	}
}

// opBytes is about the smallest rule message that iptables-style rules
// make (a match and a verdict): what reserve counts an operation per.
const opBytes = 384

// Err returns the first operation refused before sending (an invalid
// name, an unencodable expression), which Commit would return; nil if
// none so far.
func (tx *Tx) Err() error { return tx.err }

// Len reports how many operations the transaction holds.
func (tx *Tx) Len() int { return len(tx.ops) }

// IfGeneration makes the commit conditional: the kernel refuses the whole
// transaction with ErrGenerationChanged if the ruleset's generation is no
// longer gen, that is if anyone committed since gen was read.
func (tx *Tx) IfGeneration(gen uint32) {
	tx.gen, tx.hasGen = gen, true
}

// fail records the first invalid operation; Commit returns it and sends
// nothing.
func (tx *Tx) fail(err error) {
	if tx.err == nil {
		tx.err = fmt.Errorf("operation %d: %w", len(tx.ops), err)
	}
}

// msg starts an operation's message; finish it with tx.enc.end. An empty
// object names the operation by what its message holds (derivedLabel).
func (tx *Tx) msg(op, object string, typ uint16, flags uint16, fam byte) int {
	return tx.labeledMsg(opLabel{op: op, object: object}, typ, flags, fam)
}

// labeledMsg is msg for an operation labelled l. An operation whose object
// is the one its message names (l.object empty, no echo) keeps no label.
func (tx *Tx) labeledMsg(l opLabel, typ uint16, flags uint16, fam byte) int {
	start := tx.enc.Begin(nftType(typ), unix.NLM_F_REQUEST|flags, 0, fam, 0)
	op := txOp{offset: tx.sealedLen + start, label: -1}
	if k := kindOf(l.op); k != opOther && l.object == "" && l.echo == nil {
		op.kind = k
	} else if k := len(tx.ops); k > 0 && l.echo == nil && tx.ops[k-1].label >= 0 && tx.labels[tx.ops[k-1].label] == l {
		op.label = tx.ops[k-1].label // the previous operation's
	} else {
		tx.labels = append(tx.labels, l)
		op.label = int32(len(tx.labels) - 1)
	}
	tx.ops = append(tx.ops, op)
	return start
}

// label is what operation i is.
func (tx *Tx) label(i int) opLabel {
	if op := tx.ops[i]; op.label >= 0 {
		return tx.labels[op.label]
	}
	return tx.derivedLabel(i)
}

// echoOf is where operation i's rule handle goes when echoed, or nil.
func (tx *Tx) echoOf(i int) *uint64 {
	if op := tx.ops[i]; op.label >= 0 {
		return tx.labels[op.label].echo
	}
	return nil
}

// nameLast gives the last operation an object name of its own.
func (tx *Tx) nameLast(object string) {
	l := tx.label(len(tx.ops) - 1)
	l.object = object
	tx.labels = append(tx.labels, l)
	tx.ops[len(tx.ops)-1].label = int32(len(tx.labels) - 1)
}

// dropLast takes back the last operation (its message already undone).
func (tx *Tx) dropLast() {
	last := tx.ops[len(tx.ops)-1].label
	tx.ops = tx.ops[:len(tx.ops)-1]
	if last >= 0 && (len(tx.ops) == 0 || tx.ops[len(tx.ops)-1].label != last) {
		tx.labels = tx.labels[:last]
	}
}

// absorb appends other's operations to tx's (other's parts go out after
// tx's, unchanged); other is left as it was.
func (tx *Tx) absorb(other *Tx) {
	tx.seal()
	off, lbase := tx.sealedLen, int32(len(tx.labels))
	tx.sealed = other.appendBody(tx.sealed)
	tx.sealedLen += other.bodyLen()
	tx.labels = append(tx.labels, other.labels...)
	tx.ops = slices.Grow(tx.ops, len(other.ops))
	for _, op := range other.ops {
		op.offset += off
		if op.label >= 0 {
			op.label += lbase
		}
		tx.ops = append(tx.ops, op)
	}
	tx.echo = tx.echo || other.echo
	tx.mappings = append(tx.mappings, other.mappings...)
}

// Commit sends the transaction and waits for the kernel's verdict. On
// failure nothing was applied and the error is an *OpError naming the first
// operation the kernel refused (errors.Is works with the sentinels).
//
// Transactions committed concurrently on one Conn are coalesced: while one
// batch is in the kernel, the others queue, and the next batch carries all
// of them. Each still gets its own result; one that fails is taken out and
// the rest committed again, so it never fails the others.
func (tx *Tx) Commit() error {
	if tx.err != nil {
		return tx.err
	}
	if len(tx.ops) == 0 {
		return nil
	}
	return tx.c.groupCommit(tx)
}

func (tx *Tx) commitLocked() error {
	c := tx.c
	n := len(tx.ops)
	base := c.nextSeq(n + 2) // batch begin, the operations, batch end
	endSeq := base + uint32(n) + 1
	// The batch's framing is written into the connection's scratch (c.mu
	// is held), and the datagram's parts listed in its iovec list.
	f := &c.frame
	f.B = f.B[:0]
	s := f.Begin(nfnlMsgBatchBegin, unix.NLM_F_REQUEST, base, unix.AF_UNSPEC, nfnlSubsysNFTables)
	if tx.hasGen {
		f.Uint32(nfnlBatchGenID, tx.gen)
	}
	f.End(s)
	headLen := len(f.B)
	s = f.Begin(nfnlMsgBatchEnd, unix.NLM_F_REQUEST|unix.NLM_F_ACK, endSeq, unix.AF_UNSPEC, nfnlSubsysNFTables)
	f.End(s)
	iov := append(c.iov[:0], f.B[:headLen])
	iov = tx.appendBody(iov)
	iov = append(iov, f.B[headLen:])
	body := iov[1 : len(iov)-1]
	echoes := 0
	chunk, chunkStart := 0, 0
	for i := range tx.ops {
		for tx.ops[i].offset >= chunkStart+len(body[chunk]) {
			chunkStart += len(body[chunk])
			chunk++
		}
		binary.NativeEndian.PutUint32(body[chunk][tx.ops[i].offset-chunkStart+8:], base+1+uint32(i))
	}
	for i := range tx.labels {
		if tx.labels[i].echo != nil {
			echoes++
		}
	}
	if echoes > 0 {
		// Echoed rules arrive after the commit, all at once: make room.
		_ = c.sizeBuffers(0, tx.bodyLen()*2+minSockBuf)
	}
	if len(body) > maxIovecs {
		// More parts than one sendmsg takes: join them (rare: a group
		// commit of hundreds of transactions).
		iov = append(iov[:1], bytes.Join(body, nil), f.B[headLen:])
	}
	err := c.send(iov...)
	clear(iov) // the scratch list keeps no batch alive
	c.iov = iov[:0]
	if err != nil {
		return fmt.Errorf("xtnl: batch of %d operations: %w", n, err)
	}

	// nfnetlink handles the batch inside our sendmsg: by the time it
	// returns, every answer (errors, echoes, the final ACK) is queued on
	// the socket. So the queue is drained without waiting. The ACK asked
	// for on the batch end arrives only when the batch committed.
	var failures []*OpError
	acked := false
	for {
		ok, err := c.recvQueued(func(m message) error {
			if m.Seq < base || m.Seq > endSeq {
				return nil // stale or unrelated
			}
			switch m.Type {
			case unix.NLMSG_ERROR:
				errno, seq, text, err := parseErrorMsg(m)
				if err != nil {
					return err
				}
				switch {
				case errno == 0:
					if seq == endSeq {
						acked = true
					}
				case seq == base || seq == endSeq:
					// The batch as a whole was refused (stale generation,
					// no permission).
					failures = append(failures, &OpError{Index: -1, Op: "commit", Object: fmt.Sprintf("batch of %d operations", n), Errno: errno, Msg: text})
				default:
					i := int(seq - base - 1)
					l := tx.label(i)
					failures = append(failures, &OpError{Index: i, Op: l.op, Object: l.name(), Errno: errno, Msg: text, Offset: parseErrorOffset(m)})
				}
			default:
				// An echoed object: fill in what the kernel assigned.
				i := int(m.Seq - base - 1)
				if i >= 0 && i < n && m.Type == nftType(unix.NFT_MSG_NEWRULE) {
					if echo := tx.echoOf(i); echo != nil {
						if h, ok := ruleHandle(m.Data); ok {
							*echo = h
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			// Answers were lost (receive queue overrun): we cannot tell
			// whether the batch committed.
			c.reset()
			return fmt.Errorf("xtnl: batch of %d operations: outcome unknown: %w", n, err)
		}
		// Nothing of this batch follows its end's ACK: the kernel sends
		// it last, after the commit's notifications.
		if !ok || acked {
			break
		}
	}
	if len(failures) > 0 {
		slices.SortFunc(failures, func(a, b *OpError) int { return a.Index - b.Index })
		failures[0].Also = failures[1:]
		return failures[0]
	}
	if !acked {
		return fmt.Errorf("xtnl: batch of %d operations: the kernel neither acknowledged nor refused it: %w", n, ErrTruncated)
	}
	return nil
}

// Update runs fn in a transaction made conditional on the generation read
// just before fn is called, and commits it. When another writer commits in
// between, the commit is refused and fn runs again with fresh state, up to
// attempts times (at least once); if every attempt conflicts the error
// matches ErrGenerationChanged. fn must base its decisions on reads made
// inside it.
func (c *Conn) Update(attempts int, fn func(tx *Tx) error) error {
	if attempts < 1 {
		attempts = 1
	}
	var err error
	for attempt := range attempts {
		if attempt > 0 {
			backoff(attempt)
		}
		var gen uint32
		gen, err = c.Generation()
		if err != nil {
			return err
		}
		tx := c.Begin()
		tx.IfGeneration(gen)
		if err = fn(tx); err != nil {
			return err
		}
		err = tx.Commit()
		if err == nil || !isGenerationChanged(err) {
			return err
		}
	}
	return fmt.Errorf("xtnl: %d attempts: %w", attempts, err)
}

func isGenerationChanged(err error) bool {
	oe, ok := err.(*OpError)
	return ok && oe.Errno == unix.ERESTART
}

// backoff waits a little, randomly and longer after each conflict, so
// writers that keep colliding spread out instead of colliding again.
func backoff(attempt int) {
	max := 100 * time.Microsecond << min(attempt, 6)
	time.Sleep(time.Duration(rand.Int64N(int64(max))))
}

// merge appends all of others' operations to tx, in order, and leaves
// them empty. Large transactions can so be built by several goroutines,
// each encoding its part into a transaction of its own; the parts are not
// copied, they go out as they are in the same sendmsg.
func (tx *Tx) merge(others ...*Tx) {
	// Room for all of it at once: a kube-proxy sync merges parts of
	// 150k operations, and growing by doubling moved them over and over.
	ops, labels, parts := 0, 0, 0
	for _, other := range others {
		ops += len(other.ops)
		labels += len(other.labels)
		parts += len(other.sealed) + 1
	}
	tx.ops = slices.Grow(tx.ops, ops)
	tx.labels = slices.Grow(tx.labels, labels)
	tx.sealed = slices.Grow(tx.sealed, parts)
	for _, other := range others {
		if other.err != nil && tx.err == nil {
			tx.err = fmt.Errorf("operation %d: %w", len(tx.ops), other.err)
		}
		tx.absorb(other)
		other.enc.B, other.ops, other.labels, other.err, other.sealed, other.sealedLen, other.mappings = nil, nil, nil, nil, nil, 0, nil
	}
}

// cut moves the operations added so far into a new transaction and
// leaves tx empty, with the room it had left (reserve) for what comes next.
// Nothing is copied: the new transaction's messages stay where they were
// written. A goroutine encoding many parts of a large transaction can so
// write them one after the other into one buffer and hand each to merge
// in whatever order they belong.
func (tx *Tx) cut() *Tx {
	part := &Tx{c: tx.c, echo: tx.echo, err: tx.err}
	n := len(tx.enc.B)
	part.enc.B = tx.enc.B[:n:n]
	tx.enc.B = tx.enc.B[n:n]
	part.sealed, part.sealedLen = tx.sealed, tx.sealedLen
	tx.sealed, tx.sealedLen = nil, 0
	part.ops = tx.ops[:len(tx.ops):len(tx.ops)]
	tx.ops = tx.ops[len(tx.ops):]
	part.labels = tx.labels[:len(tx.labels):len(tx.labels)]
	tx.labels = tx.labels[len(tx.labels):]
	part.mappings = slices.Clone(tx.mappings)
	tx.err = nil
	return part
}

// seal moves the buffer being written into the sealed parts.
func (tx *Tx) seal() {
	if len(tx.enc.B) > 0 {
		tx.sealed = append(tx.sealed, tx.enc.B)
		tx.sealedLen += len(tx.enc.B)
		tx.enc.B = nil
	}
}

// appendBody appends the encoded operations to dst: the sealed parts,
// then the buffer being written.
func (tx *Tx) appendBody(dst [][]byte) [][]byte {
	dst = append(dst, tx.sealed...)
	if len(tx.enc.B) > 0 {
		dst = append(dst, tx.enc.B)
	}
	return dst
}

func (tx *Tx) bodyLen() int { return tx.sealedLen + len(tx.enc.B) }

// maxIovecs stays under the kernel's IOV_MAX (1024) for one sendmsg.
const maxIovecs = 1000
