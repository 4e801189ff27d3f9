package compat

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/xtnl/xtnl"
)

// tableStream is what reads a whole table for printing it (Save,
// ListTable) does with it: the table's chains, then every rule of every
// chain in order, each decoded into scratch memory that the next rule
// reuses. Nothing is kept but what the consumer prints, so a save of a
// kube-proxy-sized table touches little fresh memory (a first write to a
// fresh page is a fault that costs ~10 µs on a virtual machine: most of a
// save that kept snapshots went there), and the connection's cache of
// snapshots is neither used nor filled.
type tableStream struct {
	// head starts every attempt: what an attempt that started over gave
	// the consumer is to be dropped. An error ends the read.
	head func(t *tableView) error
	// begin runs before each dump of chain i: once, or again when its
	// dump started over, dropping what this chain gave so far.
	begin func(i int, c *chainView)
	// rule is a rule of chain i, in scratch memory valid until the next
	// call.
	rule func(i int, c *chainView, s *Spec) error
}

// streamTable reads a table at one generation, each chain dumped on its
// own as iptables-nft reads a table, with the generation read once before
// and once after: a table that changed meanwhile is read again. With
// counts, the chains' counters are read anew.
//
// The rules are decoded and handed to ts on a goroutine of their own
// while the next chains are dumped: on two cores the kernel's dumping and
// compat's decoding overlap, rather than take turns.
func (ipt *IPTables) streamTable(table string, counts bool, ts tableStream) (*tableView, error) {
	var t *tableView
	err := ipt.pinnedRead(table, func(gen uint32) (err error) {
		if t, err = ipt.tableAt(gen, table, counts); err != nil {
			return err
		}
		if err := ts.head(t); err != nil {
			return err
		}
		return ipt.streamChains(gen, t, ts)
	})
	return t, err
}

// streamChains is one attempt of streamTable past the head: dumpers copy
// the rules of their chains into batches, and a goroutine of its own
// decodes the batches in the table's order and hands the rules to ts. A
// few batches go round between them, so memory stays bounded.
//
// A table of many chains is dumped on two sockets at once (the caller's
// and a sibling in its namespace), taking blocks of chains in turn: the
// kernel walks each dump in the sending thread, so on two cores the
// dumping halves (40k chains: 0.75 s on one socket, 0.41 s on two, in
// bench/README's kube-proxy table).
func (ipt *IPTables) streamChains(gen uint32, t *tableView, ts tableStream) error {
	conns := []*xtnl.Conn{ipt.conn}
	if len(t.chains) >= twoSocketChains {
		if s, err := engine.Sibling(ipt.conn); err == nil {
			defer s.Close()
			conns = append(conns, s)
		}
	}
	d := chainDump{ipt: ipt, gen: gen, t: t, full: make([]chan *ruleBatch, len(conns)), free: make([]chan *ruleBatch, len(conns))}
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for w, c := range conns {
		d.full[w] = make(chan *ruleBatch, batchesPerDumper)
		d.free[w] = make(chan *ruleBatch, batchesPerDumper)
		for range batchesPerDumper {
			d.free[w] <- &ruleBatch{}
		}
		wg.Go(func() { errs[w] = d.dump(c, w, len(conns)) })
	}
	derr := d.decode(ts)
	wg.Wait()
	if derr != nil {
		return derr
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, errDecodingStopped) {
			return err
		}
	}
	return nil
}

const (
	// twoSocketChains is the fewest chains a table is dumped on two
	// sockets for: below it, opening the second costs more than it saves.
	twoSocketChains = 512
	// blockChains is how many chains in a row one dumper takes.
	blockChains = 256
	// batchesPerDumper go round between a dumper and the decoder.
	batchesPerDumper = 4
)

var errDecodingStopped = errors.New("compat: decoding stopped")

// chainDump is one attempt's dumpers and decoder. Dumper w of n takes the
// blocks of chains w, w+n, w+2n, ... and ends each block's last batch
// with blockEnd; the decoder reads block b from dumper b%n, so the rules
// come out in the table's order.
type chainDump struct {
	ipt        *IPTables
	gen        uint32
	t          *tableView
	full, free []chan *ruleBatch
	stop       atomic.Bool // decoding or a dump failed: dumping further is pointless
}

func (d *chainDump) dump(c *xtnl.Conn, w, n int) (err error) {
	defer close(d.full[w])
	cur := <-d.free[w]
	defer func() {
		if err != nil {
			d.stop.Store(true)
		}
	}()
	chains := d.t.chains
	for first := w * blockChains; first < len(chains); first += n * blockChains {
		for i := first; i < min(first+blockChains, len(chains)); i++ {
			cur.events = append(cur.events, streamEvent{chain: int32(i), begin: true})
			if !chains[i].exists {
				continue
			}
			err = engine.EachRuleRawAt(c, d.gen, d.ipt.fam.xtnlFamily(), d.t.name, chains[i].name, func() {
				cur.events = append(cur.events, streamEvent{chain: int32(i), begin: true})
			}, func(r *xtnl.RawRule) error {
				if d.stop.Load() {
					return errDecodingStopped
				}
				cur.add(int32(i), r)
				if len(cur.bytes) >= batchBytes {
					d.full[w] <- cur
					cur = <-d.free[w]
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		cur.blockEnd = true
		d.full[w] <- cur
		cur = <-d.free[w]
	}
	return nil
}

// decode replays the batches in the table's order until every block is
// read or a dumper stopped, then drains what is left so no dumper stays
// blocked.
func (d *chainDump) decode(ts tableStream) error {
	var sc decodeScratch
	var err error
	n := len(d.full)
	blocks := (len(d.t.chains) + blockChains - 1) / blockChains
	for b := 0; b < blocks; b++ {
		w, end := b%n, false
		for !end {
			batch, ok := <-d.full[w]
			if !ok {
				b = blocks // the dumper ended early: its error says why
				break
			}
			if err == nil {
				if err = batch.replay(d.ipt, d.t, ts, &sc); err != nil {
					d.stop.Store(true)
				}
			}
			end = batch.blockEnd
			batch.reset()
			d.free[w] <- batch
		}
	}
	for w := range d.full {
		for batch := range d.full[w] {
			batch.reset()
			d.free[w] <- batch
		}
	}
	return err
}

// batchBytes is about how many bytes of rules a batch carries.
const batchBytes = 256 << 10

// ruleBatch is rules dumped and not yet decoded: events in order, their
// bytes in one slab.
type ruleBatch struct {
	events   []streamEvent
	bytes    []byte
	blockEnd bool // the last batch of a block of chains
}

func (b *ruleBatch) reset() { b.events, b.bytes, b.blockEnd = b.events[:0], b.bytes[:0], false }

// streamEvent is a chain's dump starting (again, if it started over), or
// one of its rules, whose bytes are at [exprs, userData, end) in the slab.
type streamEvent struct {
	chain                int32
	begin, hasCompat     bool
	handle               uint64
	exprs, userData, end int32
	compat               xtnl.RuleCompat
}

func (b *ruleBatch) add(chain int32, r *xtnl.RawRule) {
	ev := streamEvent{chain: chain, handle: r.Handle, exprs: int32(len(b.bytes))}
	b.bytes = append(b.bytes, r.Exprs...)
	ev.userData = int32(len(b.bytes))
	b.bytes = append(b.bytes, r.UserData...)
	ev.end = int32(len(b.bytes))
	if r.Compat != nil {
		ev.compat, ev.hasCompat = *r.Compat, true
	}
	b.events = append(b.events, ev)
}

// replay decodes the batch's rules in order and hands them to ts.
func (b *ruleBatch) replay(ipt *IPTables, t *tableView, ts tableStream, sc *decodeScratch) error {
	nsFd := ipt.nsFd()
	for i := range b.events {
		ev := &b.events[i]
		c := t.chains[ev.chain]
		if ev.begin {
			ts.begin(int(ev.chain), c)
			continue
		}
		r := xtnl.RawRule{Family: ipt.fam.xtnlFamily(), Table: t.name, Chain: c.name, Handle: ev.handle,
			Exprs: b.bytes[ev.exprs:ev.userData:ev.userData], UserData: b.bytes[ev.userData:ev.end:ev.end]}
		if len(r.UserData) == 0 {
			r.UserData = nil
		}
		if ev.hasCompat {
			r.Compat = &ev.compat
		}
		s, err := sc.decode(nsFd, ipt.fam, &r, false)
		if err != nil {
			return err
		}
		if err := ts.rule(int(ev.chain), c, s); err != nil {
			return err
		}
	}
	return nil
}
