package compat

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/xtnl/xtnl"
)

// This file and the iptables_*.go files are a drop-in replacement for
// github.com/coreos/go-iptables/iptables (v0.8.0): the same names and
// behaviour, talking netlink instead of running iptables. Output formats and
// exit statuses are iptables-nft 1.8.9's. One difference is deliberate: an
// *Error's text is iptables' message alone, where go-iptables' starts with
// "running [argv]: exit status N: " (no command runs here to name);
// ExitStatus, IsNotExist and the process-state methods answer as
// go-iptables' do.

// Protocol tells IPv4 from IPv6, as in go-iptables.
type Protocol byte

// Protocols.
const (
	ProtocolIPv4 Protocol = iota
	ProtocolIPv6
)

// IPTables manages the iptables rules of one family in one network
// namespace. It is safe for concurrent use, and many IPTables values (and
// other processes, iptables-nft among them) may change the same tables at
// once: every decision made from a read is committed only if the ruleset
// did not change in between, and retried otherwise.
type IPTables struct {
	proto   Protocol
	fam     Family
	netns   string
	timeout int
	path    string
	conn    *xtnl.Conn
	// cache is conn's compat state (cache.go), looked up once.
	cache *connState
}

type option func(*IPTables)

// Unlocker is go-iptables' handle on the xtables lock, kept so that code
// naming the type still compiles: nftables needs no such lock (the kernel
// serializes transactions), and nothing here takes one.
type Unlocker interface {
	Unlock() error
}

// IPFamily selects IPv4 (the default) or IPv6.
func IPFamily(proto Protocol) option {
	return func(ipt *IPTables) { ipt.proto = proto }
}

// Timeout is accepted for compatibility: there is no xtables lock to wait
// for.
func Timeout(timeout int) option {
	return func(ipt *IPTables) { ipt.timeout = timeout }
}

// Path is accepted for compatibility: there is nothing to exec.
func Path(path string) option {
	return func(ipt *IPTables) { ipt.path = path }
}

// NetNS binds the IPTables to a network namespace, by name (as `ip netns`
// knows it) or path (/proc/PID/ns/net). An addition to go-iptables.
func NetNS(nameOrPath string) option {
	return func(ipt *IPTables) { ipt.netns = nameOrPath }
}

// WithConn makes the IPTables work through c instead of the process's
// shared connection (NetNS is then ignored): a connection of the caller's,
// or one from xtnl.OpenFake to unit test code written against go-iptables
// without root or a network namespace. An addition to go-iptables.
func WithConn(c *xtnl.Conn) option {
	return func(ipt *IPTables) { ipt.conn = c }
}

// New returns an IPTables for IPv4 unless IPFamily says otherwise.
func New(opts ...option) (*IPTables, error) {
	ipt := &IPTables{proto: ProtocolIPv4}
	for _, o := range opts {
		o(ipt)
	}
	switch ipt.proto {
	case ProtocolIPv4:
		ipt.fam = IPv4
	case ProtocolIPv6:
		ipt.fam = IPv6
	default:
		return nil, fmt.Errorf("compat: unknown protocol %d", ipt.proto)
	}
	if ipt.conn == nil {
		conn, err := sharedConn(ipt.netns)
		if err != nil {
			return nil, err
		}
		ipt.conn = conn
	}
	ipt.cache = connStateOf(ipt.conn)
	return ipt, nil
}

// NewWithProtocol is New(IPFamily(proto)).
func NewWithProtocol(proto Protocol) (*IPTables, error) {
	return New(IPFamily(proto))
}

// Proto returns the IPTables' protocol.
func (ipt *IPTables) Proto() Protocol { return ipt.proto }

// HasRandomFully reports --random-fully support: always.
func (ipt *IPTables) HasRandomFully() bool { return true }

// GetIptablesVersion returns the iptables version whose behaviour is
// reproduced: 1.8.9 (nf_tables).
func (ipt *IPTables) GetIptablesVersion() (int, int, int) { return 1, 8, 9 }

// nsFd is the namespace the IPTables works in, for name lookups.
func (ipt *IPTables) nsFd() int { return ipt.conn.NetNSFd() }

// Conn returns the netlink connection the IPTables uses.
func (ipt *IPTables) Conn() *xtnl.Conn { return ipt.conn }

var (
	connsMu sync.Mutex
	conns   = map[string]*xtnl.Conn{}
)

// sharedConn returns the process's connection to a namespace: xtnl.Conn is
// safe for concurrent use, so IPTables values share one per namespace
// rather than each holding a socket go-iptables' API gives no way to close.
func sharedConn(netns string) (*xtnl.Conn, error) {
	connsMu.Lock()
	defer connsMu.Unlock()
	if c, ok := conns[netns]; ok {
		return c, nil
	}
	var opts []xtnl.Option
	if netns != "" {
		opts = append(opts, xtnl.WithNetNS(netns))
	}
	c, err := xtnl.Open(opts...)
	if err != nil {
		return nil, err
	}
	conns[netns] = c
	return c, nil
}

// Error is what the IPTables methods return on failure, as go-iptables'
// Error: the exit status iptables would have had and its message.
type Error struct {
	msg        string
	exitStatus int
	notExist   bool
	cause      error
}

// Exit statuses, as iptables uses them.
const (
	exitOtherProblem     = 1 // rule, chain or index not found; chain exists
	exitParameterProblem = 2 // bad rulespec or usage
	exitResourceProblem  = 4 // the kernel refused the change
)

// ExitStatus returns the exit status iptables would have had: 1 when a
// rule, chain or index is not found (or a chain already exists), 2 for a
// bad rulespec, 4 when the kernel refused the change.
func (e *Error) ExitStatus() int { return e.exitStatus }

// IsNotExist reports whether the rule, chain or table does not exist.
func (e *Error) IsNotExist() bool { return e.notExist }

func (e *Error) Error() string { return e.msg }

// Unwrap gives access to the cause (a *SpecError, an *xtnl.OpError, ...).
func (e *Error) Unwrap() error { return e.cause }

// go-iptables' Error embeds the exec.ExitError of the iptables process it
// ran, so callers may use the methods of the process's state. No process
// runs here: they describe the one iptables would have been, exited with
// ExitStatus.

// ExitCode is ExitStatus, as os.ProcessState's ExitCode.
func (e *Error) ExitCode() int { return e.exitStatus }

// Exited is true: iptables would have exited, not been killed.
func (e *Error) Exited() bool { return true }

// Success is false: iptables would have failed.
func (e *Error) Success() bool { return false }

// Pid is 0: no process ran.
func (e *Error) Pid() int { return 0 }

// String is "exit status N", as os.ProcessState's.
func (e *Error) String() string { return "exit status " + strconv.Itoa(e.exitStatus) }

// Sys is the syscall.WaitStatus of a process exited with ExitStatus, so
// that e.Sys().(syscall.WaitStatus).ExitStatus() works as with go-iptables.
func (e *Error) Sys() any { return syscall.WaitStatus(e.exitStatus&0xff) << 8 }

// SysUsage is a zero *syscall.Rusage: no process ran.
func (e *Error) SysUsage() any { return new(syscall.Rusage) }

// SystemTime is 0: no process ran.
func (e *Error) SystemTime() time.Duration { return 0 }

// UserTime is 0: no process ran.
func (e *Error) UserTime() time.Duration { return 0 }

func notFound(msg string) *Error {
	return &Error{msg: "iptables: " + msg, exitStatus: exitOtherProblem, notExist: true, cause: xtnl.ErrNotExist}
}

var (
	errNoChain = "No chain/target/match by that name."
	errBadRule = "Bad rule (does a matching rule exist in that chain?)."
)

// wrapErr turns an error from parsing or the kernel into an *Error with the
// exit status iptables would give.
func wrapErr(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	var se *SpecError
	if errors.As(err, &se) {
		return &Error{msg: "iptables v1.8.9 (nf_tables): " + se.Msg, exitStatus: exitParameterProblem, cause: err}
	}
	if errors.Is(err, xtnl.ErrNotExist) {
		return &Error{msg: "iptables: " + errNoChain, exitStatus: exitOtherProblem, notExist: true, cause: err}
	}
	return &Error{msg: "iptables: " + err.Error(), exitStatus: exitResourceProblem, cause: err}
}

// ErrorNotFound returns the *Error iptables gives when a rule, chain or
// table is not found (exit status 1, IsNotExist), with iptables' message.
func ErrorNotFound(msg string) *Error { return notFound(msg) }
