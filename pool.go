package xtnl

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/xtnl/xtnl/internal/nsthread"
)

// Pool hands out connections by network namespace, for callers that act
// wherever their caller is (as running iptables does: each run acts in
// the namespace of the thread that started it) or in a namespace named at
// each call. Connections are keyed by the namespace's identity (the
// device and inode of its namespace file), never by name or path: a
// namespace deleted and made again under the same name gets a connection
// of its own, and a name that no longer resolves is an error, never a
// write into the namespace it used to name.
//
// A Pool holds a connection to the process's own namespace for as long as
// the Pool lives. A connection to any other namespace is held while it is
// in use and for Linger after, then closed, so that a namespace deleted
// by its owner is freed soon after its last use here; at most MaxIdle such
// connections are kept idle at once. Callers that never close anything
// thus hold a bounded number of descriptors and bytes.
//
// Each connection taken with Current or In is given back with Release.
// A Pool is safe for concurrent use.
type Pool struct {
	cfg PoolConfig

	mu      sync.Mutex
	byID    map[nsthread.ID]*pooled
	byPath  map[string]nsthread.ID // what In last found at each path
	closed  bool
	process nsthread.ID // the process's own namespace, once known
}

// PoolConfig configures NewPool. Zero fields take their defaults.
type PoolConfig struct {
	// Linger is how long a connection to a namespace other than the
	// process's own stays open after its last use (default 2s).
	Linger time.Duration
	// MaxIdle bounds the idle connections to other namespaces; past it
	// the least recently used is closed at once (default 4).
	MaxIdle int
	// Options are given to Open for every connection (WithTimeout...).
	// Options naming a namespace are refused by Current and In.
	Options []Option
}

// Defaults of PoolConfig.
const (
	DefaultLinger  = 2 * time.Second
	DefaultMaxIdle = 4
)

// pooled is one connection of a Pool.
type pooled struct {
	id       nsthread.ID
	conn     *Conn
	users    int
	lastUse  time.Time
	process  bool        // the process's own namespace: kept
	timer    *time.Timer // closes it once idle for Linger
	released bool        // closed and out of the Pool
}

// NewPool returns an empty Pool.
func NewPool(cfg PoolConfig) *Pool {
	if cfg.Linger <= 0 {
		cfg.Linger = DefaultLinger
	}
	if cfg.MaxIdle <= 0 {
		cfg.MaxIdle = DefaultMaxIdle
	}
	return &Pool{cfg: cfg, byID: map[nsthread.ID]*pooled{}, byPath: map[string]nsthread.ID{}}
}

// errPoolClosed is returned by a closed Pool.
var errPoolClosed = errors.New("xtnl: pool closed")

// Current returns a connection to the network namespace the calling
// thread is in now: the process's own for a goroutine that did not lock
// its thread and switch it elsewhere, the other one inside, say, a CNI
// plugin's ns.Do. Release it when done.
func (p *Pool) Current() (*Conn, error) {
	// Locked while the namespace is identified and, for a new one, its
	// socket is made, so that both see the same thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	id, err := nsthread.Current()
	if err != nil {
		return nil, &NetNSError{NetNS: "/proc/thread-self/ns/net", Err: err}
	}
	if c, err := p.take(id); c != nil || err != nil {
		return c, err
	}
	fd, err := nsthread.OpenCurrent()
	if err != nil {
		return nil, &NetNSError{NetNS: "/proc/thread-self/ns/net", Err: err}
	}
	// The thread may have been switched between the look and the open
	// only by the caller's own code, which holds it: the descriptor is
	// the truth.
	if id, err = nsthread.OfFd(fd); err != nil {
		closeFd(fd)
		return nil, &NetNSError{NetNS: "/proc/thread-self/ns/net", Err: err}
	}
	return p.add(id, fd, "", true)
}

// In returns a connection to the network namespace named (as `ip netns`
// names it, under /run/netns) or at a path (anything with a slash, such as
// /proc/PID/ns/net). The name is resolved at every call: a namespace
// deleted and made again under the name is followed; a name that no
// longer resolves gives a *NetNSError matching ErrNetNSNotFound, and a
// file that is not a network namespace one matching ErrNotNetNS. Release
// the connection when done.
func (p *Pool) In(nameOrPath string) (*Conn, error) {
	if nameOrPath == "" {
		return nil, invalidf("empty network namespace name")
	}
	path := nsPath(nameOrPath)
	id, err := nsthread.OfPath(path)
	if err != nil {
		p.forget(path)
		return nil, netnsError(nameOrPath, err)
	}
	if c, err := p.take(id); c != nil || err != nil {
		p.note(path, id)
		return c, err
	}
	fd, id, err := nsthread.Open(path)
	if err != nil {
		p.forget(path)
		return nil, netnsError(nameOrPath, err)
	}
	return p.add(id, fd, path, false)
}

// nsPath is where the namespace named or at nameOrPath is.
func nsPath(nameOrPath string) string {
	if strings.ContainsRune(nameOrPath, '/') {
		return nameOrPath
	}
	return filepath.Join("/run/netns", nameOrPath)
}

// take returns the pool's connection to id, if it has one, marked in use.
func (p *Pool) take(id nsthread.ID) (*Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errPoolClosed
	}
	e := p.byID[id]
	if e == nil {
		return nil, nil
	}
	e.users++
	return e.conn, nil
}

// add opens a connection in the namespace behind fd (which it takes over)
// and files it under id, unless another caller filed one first. here says
// the calling thread is locked in that namespace.
func (p *Pool) add(id nsthread.ID, fd int, path string, here bool) (*Conn, error) {
	c, err := openInNS(fd, here, p.cfg.Options)
	if err != nil {
		return nil, err
	}
	proc, _ := nsthread.Process()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.Close()
		return nil, errPoolClosed
	}
	if e := p.byID[id]; e != nil {
		// Lost a race to open the same namespace: use the winner's.
		e.users++
		p.mu.Unlock()
		c.Close()
		return e.conn, nil
	}
	p.process = proc
	e := &pooled{id: id, conn: c, users: 1, process: id == proc}
	p.byID[id] = e
	if path != "" {
		p.byPath[path] = id
	}
	p.mu.Unlock()
	return c, nil
}

// openInNS opens a connection in the namespace behind fd, which it takes
// over.
func openInNS(fd int, here bool, opts []Option) (*Conn, error) {
	o := options{nsFd: -1, timeout: defaultTimeout}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			closeFd(fd)
			return nil, err
		}
	}
	if o.nsPath != "" || o.nsFd >= 0 || o.fake != nil {
		closeFd(fd)
		return nil, invalidf("a Pool's options cannot name a namespace or a fake")
	}
	c := newConn(o)
	c.nsFile = nsFile(fd)
	if err := c.dial(here); err != nil {
		c.nsFile.Close()
		return nil, err
	}
	return c, nil
}

// note records that path now names id; forget that it names nothing. An
// idle connection to the namespace path used to name is closed at once:
// whoever deleted it wants it gone.
func (p *Pool) note(path string, id nsthread.ID) {
	p.mu.Lock()
	old, ok := p.byPath[path]
	if !ok || old != id {
		p.byPath[path] = id
		if ok {
			p.dropIdleLocked(old)
		}
	}
	p.mu.Unlock()
}

func (p *Pool) forget(path string) {
	p.mu.Lock()
	if old, ok := p.byPath[path]; ok {
		delete(p.byPath, path)
		p.dropIdleLocked(old)
	}
	p.mu.Unlock()
}

// dropIdleLocked closes id's connection if it is idle and not the
// process's own.
func (p *Pool) dropIdleLocked(id nsthread.ID) {
	if e := p.byID[id]; e != nil && e.users == 0 && !e.process {
		p.removeLocked(e)
	}
}

// Release gives back a connection Current or In returned. A connection to
// a namespace other than the process's own is closed once it has not been
// used for Linger.
func (p *Pool) Release(c *Conn) {
	if c == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entryOf(c)
	if e == nil || e.users == 0 {
		return // released twice, or the pool was closed
	}
	e.users--
	if e.users > 0 {
		return
	}
	if p.closed {
		p.removeLocked(e)
		return
	}
	if e.process {
		return
	}
	e.lastUse = time.Now()
	if e.timer == nil {
		e.timer = time.AfterFunc(p.cfg.Linger, func() { p.expire(e) })
	} else {
		e.timer.Reset(p.cfg.Linger)
	}
	p.trimIdleLocked()
}

// trimIdleLocked closes the least recently used idle connections to other
// namespaces past MaxIdle.
func (p *Pool) trimIdleLocked() {
	for {
		var oldest *pooled
		idle := 0
		for _, e := range p.byID {
			if e.users == 0 && !e.process {
				idle++
				if oldest == nil || e.lastUse.Before(oldest.lastUse) {
					oldest = e
				}
			}
		}
		if idle <= p.cfg.MaxIdle {
			return
		}
		p.removeLocked(oldest)
	}
}

// entryOf finds c's entry: a Pool holds few connections, a scan is cheap
// and keeps Conn free of Pool state.
func (p *Pool) entryOf(c *Conn) *pooled {
	for _, e := range p.byID {
		if e.conn == c {
			return e
		}
	}
	return nil
}

// expire closes e if it is still idle and has been for Linger.
func (p *Pool) expire(e *pooled) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.released || e.users > 0 {
		return
	}
	if wait := p.cfg.Linger - time.Since(e.lastUse); wait > 0 {
		e.timer.Reset(wait)
		return
	}
	p.removeLocked(e)
}

// removeLocked closes an entry not in use and takes it out of the pool.
func (p *Pool) removeLocked(e *pooled) {
	if e == nil || e.released {
		return
	}
	e.released = true
	if e.timer != nil {
		e.timer.Stop()
	}
	delete(p.byID, e.id)
	for path, id := range p.byPath {
		if id == e.id {
			delete(p.byPath, path)
		}
	}
	e.conn.Close()
}

// CloseIdle closes at once every connection not in use, but the one to the
// process's own namespace: for a caller done with other namespaces that
// wants them freed without waiting for Linger.
func (p *Pool) CloseIdle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.byID {
		if e.users == 0 && !e.process {
			p.removeLocked(e)
		}
	}
}

// Close closes the connections not in use, and the others as they are
// released. Current and In fail afterwards.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, e := range p.byID {
		if e.users == 0 {
			p.removeLocked(e)
		}
	}
	return nil
}

// Len returns how many connections the Pool holds open, in use or not.
func (p *Pool) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byID)
}
