package xtnl

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// EventType says what a ruleset notification reports.
type EventType int

// Event types. Every commit is reported as the objects it added or removed,
// in the kernel's order, followed by one EventNewGen that closes the batch.
const (
	EventNewTable EventType = iota + 1
	EventDelTable
	EventNewChain // a chain was added, or changed (policy, rename)
	EventDelChain
	EventNewRule // a rule was added, or replaced
	EventDelRule
	EventNewSet
	EventDelSet
	EventNewSetElem
	EventDelSetElem
	// EventNewGen ends the batch of one commit: Gen is the ruleset's new
	// generation, PID and Comm the committing process when the kernel
	// says.
	EventNewGen
	// EventOverrun reports that notifications were lost: the socket's
	// receive buffer overflowed (the consumer fell behind, or a batch was
	// larger than the buffer). What the ruleset holds is no longer known
	// from the events alone; list it again. Events keep coming after it.
	EventOverrun
	// EventOther is a notification this package does not decode (stateful
	// objects, flowtables, ...): MsgType says which.
	EventOther
)

var eventNames = [...]string{
	EventNewTable:   "new table",
	EventDelTable:   "delete table",
	EventNewChain:   "new chain",
	EventDelChain:   "delete chain",
	EventNewRule:    "new rule",
	EventDelRule:    "delete rule",
	EventNewSet:     "new set",
	EventDelSet:     "delete set",
	EventNewSetElem: "new element",
	EventDelSetElem: "delete element",
	EventNewGen:     "new generation",
	EventOverrun:    "overrun",
	EventOther:      "other",
}

// String returns the event type in words ("new rule", "delete chain").
func (t EventType) String() string {
	if t > 0 && int(t) < len(eventNames) {
		return eventNames[t]
	}
	return fmt.Sprintf("event(%d)", int(t))
}

// Event is one ruleset notification. Exactly one of Table, Chain, Rule,
// Set and Elems is set for the object events; none for EventNewGen and
// EventOverrun.
type Event struct {
	Type   EventType
	Family Family
	// Gen is the generation the change belongs to: the one its batch's
	// EventNewGen announces. The kernel stamps each object notification
	// with the generation's low 16 bits; the rest is taken from the
	// generations seen before, which is exact unless tens of thousands of
	// commits went by unseen (an overrun).
	Gen uint32

	Table *Table
	Chain *Chain
	Rule  *Rule
	Set   *Set
	Elems *SetElems

	// PID and Comm name the committer (EventNewGen only; zero and ""
	// when the kernel does not report them). PID is the committing
	// thread's id: the process id for single-threaded tools like nft and
	// iptables-nft, one of its threads' for a Go program.
	PID  uint32
	Comm string

	// MsgType is the nf_tables message type (NFT_MSG_*) of EventOther.
	MsgType uint16
	// Err is set when the notification could not be decoded; Type and
	// Family are still filled in.
	Err error
}

// String renders the event in the spirit of `nft monitor`.
func (ev Event) String() string {
	var obj string
	switch {
	case ev.Table != nil:
		obj = fmt.Sprintf("%s %s", ev.Table.Family, ev.Table.Name)
	case ev.Chain != nil:
		obj = fmt.Sprintf("%s %s %s", ev.Chain.Family, ev.Chain.Table, ev.Chain.Name)
	case ev.Rule != nil:
		obj = fmt.Sprintf("%s %s %s handle %d", ev.Rule.Family, ev.Rule.Table, ev.Rule.Chain, ev.Rule.Handle)
	case ev.Set != nil:
		obj = fmt.Sprintf("%s %s %s", ev.Set.Family, ev.Set.Table, ev.Set.Name)
	case ev.Elems != nil:
		obj = fmt.Sprintf("%s %s %s (%d)", ev.Elems.Family, ev.Elems.Table, ev.Elems.Set, len(ev.Elems.Elements))
	}
	var s string
	switch ev.Type {
	case EventNewGen:
		s = fmt.Sprintf("new generation %d by process %d (%s)", ev.Gen, ev.PID, ev.Comm)
	case EventOther:
		s = fmt.Sprintf("message %d family %s", ev.MsgType, ev.Family)
	default:
		s = strings.TrimSpace(ev.Type.String() + " " + obj)
	}
	if ev.Err != nil {
		s += ": " + ev.Err.Error()
	}
	return s
}

// SetElems is the elements of one set that one notification reports
// added or removed.
type SetElems struct {
	Family   Family
	Table    string
	Set      string
	Elements []ElementChange
}

// ElementChange is one element as the kernel holds it: keys and values
// raw (see SetElement), ranges of an interval set of a simple type not
// joined: a range is a start element and an end element, which may come
// in separate notifications.
type ElementChange struct {
	SetElement
	// IntervalEnd marks the end element of a range: Key is the first key
	// after it (NFT_SET_ELEM_INTERVAL_END).
	IntervalEnd bool
}

// Netlink attributes not in x/sys/unix.
const (
	nftaGenProcPID  = 2 // NFTA_GEN_PROC_PID
	nftaGenProcName = 3 // NFTA_GEN_PROC_NAME
	nfnlGrpNFTables = 7 // NFNLGRP_NFTABLES

	// defaultWatchBuffer is the watch socket's receive buffer: room for
	// a commit of tens of thousands of rules before events are lost.
	defaultWatchBuffer = 16 << 20
)

// WatchOption configures Watch.
type WatchOption func(*watchOptions)

type watchOptions struct {
	rcvbuf int
}

// WatchBuffer sets the receive buffer of the watch socket in bytes
// (default 16 MiB). Notifications that do not fit are lost and reported
// as EventOverrun; a larger buffer absorbs bigger commits and slower
// consumers.
func WatchBuffer(bytes int) WatchOption {
	return func(o *watchOptions) { o.rcvbuf = bytes }
}

// Watcher delivers ruleset notifications. Read Events until it is closed,
// then Err says why.
type Watcher struct {
	events chan Event
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	err     error
	closing bool // Close was called: the end is no error
}

// groupJoiner is a transport that can receive multicast notifications.
type groupJoiner interface {
	joinGroup(group uint32) error
}

func (s *socketTransport) joinGroup(group uint32) error { return s.nl.JoinGroup(group) }

// Watch subscribes to changes of the ruleset in c's network namespace,
// made by anyone (nft, iptables-nft, this package). It opens a socket of
// its own in that namespace, so c stays free for requests and the
// Watcher is unaffected when c is closed. Events arrive in the kernel's
// order, each commit's objects followed by an EventNewGen. The watch
// stops when ctx ends or Close is called; notifications that cannot be
// received in time are never dropped silently but reported as an
// EventOverrun.
func (c *Conn) Watch(ctx context.Context, opts ...WatchOption) (*Watcher, error) {
	o := watchOptions{rcvbuf: defaultWatchBuffer}
	for _, opt := range opts {
		opt(&o)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errClosed
	}
	if c.newT == nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("xtnl: watch: connection has no transport: %w", ErrInvalid)
	}
	newT := c.newT
	if c.newWatchT != nil {
		newT = c.newWatchT
	}
	t, err := newT()
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("xtnl: watch: %w", err)
	}
	j, ok := t.(groupJoiner)
	if !ok {
		t.close()
		return nil, fmt.Errorf("xtnl: watch: this connection cannot receive notifications: %w", ErrInvalid)
	}
	if o.rcvbuf > 0 {
		if err := t.setBuffer(false, o.rcvbuf); err != nil {
			t.close()
			return nil, fmt.Errorf("xtnl: watch: size receive buffer: %w", wrapErrno(err))
		}
	}
	if err := j.joinGroup(nfnlGrpNFTables); err != nil {
		t.close()
		return nil, fmt.Errorf("xtnl: watch: join group: %w", wrapErrno(err))
	}
	// Read after joining: every notification queued from now on belongs
	// to a generation close to this one, which anchors the 16-bit
	// generation stamps of the first batch.
	gen, err := c.Generation()
	if err != nil {
		t.close()
		return nil, fmt.Errorf("xtnl: watch: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &Watcher{events: make(chan Event, 64), cancel: cancel, done: make(chan struct{})}
	r := &watchReader{w: w, t: t, gen: gen, buf: make([]byte, recvBufSize)}
	go r.run(ctx)
	return w, nil
}

// Events returns the channel events arrive on. It is closed when the
// watch ends: ctx done, Close called, or the socket failed (see Err).
func (w *Watcher) Events() <-chan Event { return w.events }

// Err returns why the watch ended once Events is closed: nil after Close,
// ctx's error when ctx ended, or the receive error.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Close stops the watch, releases the socket and waits until the
// goroutine delivering events has exited. Safe to call more than once.
func (w *Watcher) Close() error {
	w.mu.Lock()
	w.closing = true
	w.mu.Unlock()
	w.cancel()
	<-w.done
	return nil
}

// watchReader is the goroutine behind a Watcher.
type watchReader struct {
	w   *Watcher
	t   transport
	gen uint32 // the last generation announced (or read at start)
	buf []byte
}

func (r *watchReader) run(ctx context.Context) {
	var once sync.Once
	closeT := func() { once.Do(func() { r.t.close() }) }
	// A blocked receive is woken by closing the socket.
	stop := context.AfterFunc(ctx, closeT)
	err := r.loop(ctx)
	stop()
	closeT()
	w := r.w
	w.mu.Lock()
	switch {
	case w.closing:
		w.err = nil
	case ctx.Err() != nil:
		w.err = context.Cause(ctx)
	default:
		w.err = err
	}
	w.mu.Unlock()
	close(w.events)
	close(w.done)
}

func (r *watchReader) loop(ctx context.Context) error {
	for {
		n, _, err := r.t.recv(r.buf, true, 0)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, unix.ENOBUFS) {
			if !r.emit(ctx, Event{Type: EventOverrun, Gen: r.gen}) {
				return ctx.Err()
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("xtnl: watch: receive: %w", wrapErrno(err))
		}
		var evs []Event
		if err := splitMessages(r.buf[:n], func(m message) error {
			if ev, ok := r.decode(m); ok {
				evs = append(evs, ev)
			}
			return nil
		}); err != nil {
			// A malformed datagram: what it held is lost, say so.
			evs = append(evs, Event{Type: EventOverrun, Gen: r.gen, Err: fmt.Errorf("xtnl: watch: %w", err)})
		}
		for _, ev := range evs {
			if !r.emit(ctx, ev) {
				return ctx.Err()
			}
		}
	}
}

// emit delivers ev unless ctx ends first. A slow consumer holds the
// goroutine here; meanwhile the socket buffer fills and the kernel's
// drops surface as EventOverrun.
func (r *watchReader) emit(ctx context.Context, ev Event) bool {
	select {
	case r.w.events <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// decode turns one notification into an event; ok is false for messages
// that are not nf_tables notifications.
func (r *watchReader) decode(m message) (Event, bool) {
	if m.Type>>8 != nfnlSubsysNFTables {
		return Event{}, false
	}
	msg := m.Type & 0xff
	if len(m.Data) < nfgenmsgLen {
		return Event{Type: EventOther, MsgType: msg, Gen: r.gen, Err: ErrTruncated}, true
	}
	ev := Event{Family: Family(m.Data[0])}
	stamp := uint16(m.Data[2])<<8 | uint16(m.Data[3])
	ev.Gen = extendGen(r.gen, stamp)
	var err error
	switch msg {
	case unix.NFT_MSG_NEWTABLE, unix.NFT_MSG_DELTABLE:
		ev.Type = pick(msg == unix.NFT_MSG_NEWTABLE, EventNewTable, EventDelTable)
		ev.Table, err = decodeTable(m.Data)
	case unix.NFT_MSG_NEWCHAIN, unix.NFT_MSG_DELCHAIN:
		ev.Type = pick(msg == unix.NFT_MSG_NEWCHAIN, EventNewChain, EventDelChain)
		ev.Chain, err = decodeChain(m.Data)
	case unix.NFT_MSG_NEWRULE, unix.NFT_MSG_DELRULE:
		ev.Type = pick(msg == unix.NFT_MSG_NEWRULE, EventNewRule, EventDelRule)
		ev.Rule, err = decodeRule(m.Data)
	case unix.NFT_MSG_NEWSET, unix.NFT_MSG_DELSET:
		ev.Type = pick(msg == unix.NFT_MSG_NEWSET, EventNewSet, EventDelSet)
		ev.Set, err = decodeSet(m.Data)
	case unix.NFT_MSG_NEWSETELEM, unix.NFT_MSG_DELSETELEM:
		ev.Type = pick(msg == unix.NFT_MSG_NEWSETELEM, EventNewSetElem, EventDelSetElem)
		ev.Elems, err = decodeSetElems(m.Data)
	case unix.NFT_MSG_NEWGEN:
		ev.Type = EventNewGen
		err = decodeGen(m.Data, &ev)
		if err == nil {
			r.gen = ev.Gen
		}
	default:
		ev.Type, ev.MsgType = EventOther, msg
	}
	if err != nil {
		ev.Err = fmt.Errorf("xtnl: decode %s notification: %w", ev.Type, err)
	}
	return ev, true
}

func pick(cond bool, a, b EventType) EventType {
	if cond {
		return a
	}
	return b
}

// extendGen widens a 16-bit generation stamp to the generation nearest
// base with those low bits (generations only grow, but a notification
// queued before base was read may be slightly older).
func extendGen(base uint32, stamp uint16) uint32 {
	return base + uint32(int32(int16(stamp-uint16(base))))
}

func decodeGen(b []byte, ev *Event) error {
	a := nlattr.NewDecoder(b[nfgenmsgLen:])
	for a.Next() {
		switch a.Type() {
		case nftaGenID:
			ev.Gen = a.Uint32()
		case nftaGenProcPID:
			ev.PID = a.Uint32()
		case nftaGenProcName:
			ev.Comm = a.String()
		}
	}
	return malformed(a.Err())
}

func decodeSetElems(b []byte) (*SetElems, error) {
	s := &SetElems{Family: Family(b[0])}
	a := nlattr.NewDecoder(b[nfgenmsgLen:])
	for a.Next() {
		switch a.Type() {
		case unix.NFTA_SET_ELEM_LIST_TABLE:
			s.Table = a.String()
		case unix.NFTA_SET_ELEM_LIST_SET:
			s.Set = a.String()
		}
	}
	if a.Err() != nil {
		return s, malformed(a.Err())
	}
	raw, err := decodeElems(nil, b)
	for _, r := range raw {
		s.Elements = append(s.Elements, ElementChange{SetElement: r.SetElement, IntervalEnd: r.flags&unix.NFT_SET_ELEM_INTERVAL_END != 0})
	}
	return s, err
}
