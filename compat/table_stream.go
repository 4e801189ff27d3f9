package compat

import (
	"errors"
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

// streamChains is one attempt of streamTable past the head: the calling
// goroutine dumps every chain, copying each rule into a batch, and a
// second one decodes the batches in order and hands the rules to ts. A
// few batches go round between the two, so memory stays bounded.
func (ipt *IPTables) streamChains(gen uint32, t *tableView, ts tableStream) error {
	const batches = 3
	full := make(chan *ruleBatch, batches)
	free := make(chan *ruleBatch, batches)
	for range batches {
		free <- &ruleBatch{}
	}
	var stop atomic.Bool // the decoding failed: dumping further is pointless
	done := make(chan error, 1)
	go func() {
		var sc decodeScratch
		var err error
		for b := range full {
			if err == nil {
				if err = b.replay(ipt, t, ts, &sc); err != nil {
					stop.Store(true)
				}
			}
			b.events, b.bytes = b.events[:0], b.bytes[:0]
			free <- b
		}
		done <- err
	}()
	errStopped := errors.New("compat: decoding stopped")
	cur := <-free
	send := func() {
		full <- cur
		cur = <-free
	}
	var err error
	for i, c := range t.chains {
		cur.events = append(cur.events, streamEvent{chain: int32(i), begin: true})
		if !c.exists {
			continue
		}
		err = engine.EachRuleRawAt(ipt.conn, gen, ipt.fam.xtnlFamily(), t.name, c.name, func() {
			cur.events = append(cur.events, streamEvent{chain: int32(i), begin: true})
		}, func(r *xtnl.RawRule) error {
			if stop.Load() {
				return errStopped
			}
			cur.add(int32(i), r)
			if len(cur.bytes) >= batchBytes {
				send()
			}
			return nil
		})
		if err != nil {
			break
		}
	}
	full <- cur
	close(full)
	if derr := <-done; derr != nil {
		return derr
	}
	return err
}

// batchBytes is about how many bytes of rules a batch carries.
const batchBytes = 256 << 10

// ruleBatch is rules dumped and not yet decoded: events in order, their
// bytes in one slab.
type ruleBatch struct {
	events []streamEvent
	bytes  []byte
}

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
