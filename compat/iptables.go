package compat

import (
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
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

// IPTables manages the iptables rules of one family. It is safe for
// concurrent use, and many IPTables values (and other processes,
// iptables-nft among them) may change the same tables at once: every
// decision made from a read is committed only if the ruleset did not
// change in between, and retried otherwise.
//
// Which network namespace a call acts in:
//   - by default, the namespace of the calling thread at the time of the
//     call, as go-iptables (which runs iptables on that thread) does: a
//     call inside a CNI plugin's ns.Do acts in the container's namespace,
//     the same IPTables outside it in the host's;
//   - with NetNS, the namespace the name or path names at the time of the
//     call: one deleted and made again under the name is followed, and a
//     name that no longer resolves fails with an *Error wrapping a
//     *xtnl.NetNSError (errors.Is(err, xtnl.ErrNetNSNotFound));
//   - with WithConn, the connection's, always.
//
// Connections are shared by all IPTables values of the process, one per
// namespace (told apart by identity, not name). The one to the process's
// own namespace stays open; one to any other namespace is closed about
// two seconds (xtnl.DefaultLinger) after its last use, so namespaces a
// caller deletes are freed and nothing grows without bound for callers
// that, as go-iptables' API allows, never close anything. Close frees
// them at once.
type IPTables struct {
	proto   Protocol
	fam     Family
	netns   string
	timeout int
	// What go-iptables learns from its binary (iptables_binary.go).
	path                                                 string
	mode                                                 string
	v1, v2, v3                                           int
	hasCheck, hasWait, waitSupportSecond, hasRandomFully bool
	// conn is WithConn's connection; in a bound copy (bind), the
	// connection of the call.
	conn  *xtnl.Conn
	bound bool // a copy made by bind for one call
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

// Timeout is accepted for compatibility and ignored: in go-iptables it is
// how long iptables waits for the xtables lock (-w), and nf_tables needs no
// such lock (the kernel serializes transactions). Each exchange with the
// kernel is bounded by xtnl's own default (30 s) instead.
func Timeout(timeout int) option {
	return func(ipt *IPTables) { ipt.timeout = timeout }
}

// Path names the iptables binary, as in go-iptables, though nothing is
// run: a path (with a '/') naming no file fails every call with an
// *os.PathError, as go-iptables' would, and one naming iptables-legacy
// fails every call with ErrLegacy (compat writes nf_tables only).
func Path(path string) option {
	return func(ipt *IPTables) { ipt.path = path }
}

// NetNS makes the IPTables act in a network namespace, by name (as `ip
// netns` knows it, under /run/netns) or path (/proc/PID/ns/net), resolved
// at every call (see IPTables). An addition to go-iptables.
func NetNS(nameOrPath string) option {
	return func(ipt *IPTables) { ipt.netns = nameOrPath }
}

// WithConn makes the IPTables work through c instead of the process's
// shared connections (NetNS is then ignored), in c's namespace whatever
// thread calls: a connection of the caller's,
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
	ipt.identify()
	if ipt.mode == "legacy" {
		return ipt, nil // made, as go-iptables' would be; each call says why it cannot work
	}
	if ipt.fixed() {
		ipt.cache = connStateOf(ipt.conn)
		return ipt, nil
	}
	// The namespace must exist now, as go-iptables' New checks that
	// iptables runs; later calls check again.
	b, held, err := ipt.bind()
	if err != nil {
		return nil, err
	}
	b.release(held)
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

// nsFd is the namespace a bound IPTables works in, for name lookups.
func (ipt *IPTables) nsFd() int { return ipt.conn.NetNSFd() }

// Conn returns the netlink connection the IPTables uses: WithConn's, or,
// for any other IPTables, a new connection to the namespace a call made
// now would act in, which the caller owns and closes.
func (ipt *IPTables) Conn() *xtnl.Conn {
	if ipt.fixed() {
		return ipt.conn
	}
	var c *xtnl.Conn
	var err error
	if ipt.netns != "" {
		c, err = xtnl.Open(xtnl.WithNetNS(ipt.netns))
	} else {
		c, err = xtnl.Open()
	}
	if err != nil {
		return nil
	}
	return c
}

// conns are the connections of every IPTables without WithConn, by
// namespace.
var conns = xtnl.NewPool(xtnl.PoolConfig{})

// bind returns the IPTables a call works through: ipt itself when it has
// one connection for good (WithConn) or is bound already (a call made by
// another), else a copy bound to the connection of the namespace the call
// acts in, which the call gives back with release(held) when done.
func (ipt *IPTables) bind() (b *IPTables, held bool, err error) {
	if err := ipt.checkBinary(); err != nil {
		return nil, false, err
	}
	if ipt.conn != nil {
		return ipt, false, nil
	}
	var c *xtnl.Conn
	if ipt.netns != "" {
		c, err = conns.In(ipt.netns)
	} else {
		c, err = conns.Current()
	}
	if err != nil {
		return nil, false, wrapErr(err)
	}
	b = new(IPTables)
	*b = *ipt
	b.conn, b.bound, b.cache = c, true, connStateOf(c)
	return b, true, nil
}

// bindTable is bind for a call on one table: a table iptables does not
// know is refused, after the binary check, as iptables does.
func (ipt *IPTables) bindTable(table string) (b *IPTables, held bool, err error) {
	b, held, err = ipt.bind()
	if err == nil && !isTable(table) {
		b.release(held)
		return nil, false, errNoTable()
	}
	return b, held, err
}

// errNoTable is iptables' answer for a table name it does not know.
func errNoTable() error { return notFound("Table does not exist (do you need to insmod?)") }

// fixed tells an IPTables with one connection for good (WithConn).
func (ipt *IPTables) fixed() bool { return ipt.conn != nil && !ipt.bound }

// release gives back the connection bind took, if held.
func (ipt *IPTables) release(held bool) {
	if held {
		conns.Release(ipt.conn)
	}
}

// Close frees the connections the process holds to namespaces other than
// its own that no call is using, without waiting for them to go idle (see
// IPTables). It is an addition to go-iptables, whose IPTables has nothing
// to close, and is never required. The IPTables stays usable: a later call
// opens what it needs again. With WithConn, Close does nothing: the
// connection is the caller's.
func (ipt *IPTables) Close() error {
	if !ipt.fixed() {
		conns.CloseIdle()
	}
	return nil
}

// Error is what the IPTables methods return on failure, as go-iptables'
// Error: the exit status iptables would have had and its message.
type Error struct {
	// ExitError is there for code that reaches into go-iptables' Error,
	// which embeds the exec.ExitError of the iptables it ran. No process
	// runs here: its ProcessState is nil and its Stderr empty (go-iptables'
	// is empty too: iptables' stderr goes into the message). Use the
	// methods of *Error (ExitStatus, ExitCode, Exited, Sys, ...), which
	// answer as go-iptables' do.
	exec.ExitError
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
	var ne *xtnl.NetNSError
	if errors.As(err, &ne) {
		return &Error{msg: ne.Error(), exitStatus: exitOtherProblem, cause: err}
	}
	var se *SpecError
	if errors.As(err, &se) {
		status := exitParameterProblem
		if se.Kernel {
			status = exitResourceProblem
		}
		return &Error{msg: "iptables v1.8.9 (nf_tables): " + se.Msg, exitStatus: status, cause: err}
	}
	if errors.Is(err, xtnl.ErrNotExist) {
		return &Error{msg: "iptables: " + errNoChain, exitStatus: exitOtherProblem, notExist: true, cause: err}
	}
	if msg, ok := ruleOpFailed(err, 0); ok {
		return &Error{msg: msg, exitStatus: exitResourceProblem, cause: err}
	}
	return &Error{msg: "iptables: " + err.Error(), exitStatus: exitResourceProblem, cause: err}
}

// ruleOpFailed words a kernel refusal of a rule operation as iptables-nft
// does (mnl_append_error): "iptables v1.8.9 (nf_tables):  RULE_APPEND
// failed (Invalid argument): rule in chain INPUT", or with the input line
// it came from for a restore (line > 0): "...: \nline 3: RULE_APPEND
// failed (...): rule in chain INPUT".
func ruleOpFailed(err error, line int) (string, bool) {
	var oe *xtnl.OpError
	if !errors.As(err, &oe) || oe.Errno == 0 {
		return "", false
	}
	kind, ok := map[string]string{
		"append rule": "RULE_APPEND", "insert rule": "RULE_INSERT",
		"replace rule": "RULE_REPLACE", "delete rule": "RULE_DELETE",
		"delete chain": "CHAIN_DEL",
	}[oe.Op]
	f := strings.Fields(oe.Object) // "rule ip filter INPUT ...", "chain ip filter WEB"
	if !ok || len(f) < 4 || (f[0] != "rule") != (kind == "CHAIN_DEL") {
		return "", false
	}
	object := "rule in chain " + f[3]
	if kind == "CHAIN_DEL" {
		object = "chain " + f[3]
	}
	text := oe.Errno.Error()
	if text != "" {
		text = strings.ToUpper(text[:1]) + text[1:] // strerror's capital
	}
	where := " "
	if line > 0 {
		where = "\nline " + strconv.Itoa(line) + ": "
	}
	return "iptables v1.8.9 (nf_tables): " + where + kind + " failed (" + text + "): " + object, true
}

// ErrorNotFound returns the *Error iptables gives when a rule, chain or
// table is not found (exit status 1, IsNotExist), with iptables' message.
func ErrorNotFound(msg string) *Error { return notFound(msg) }
