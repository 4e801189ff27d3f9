package xtnl

import (
	"errors"
	"fmt"

	"github.com/xtnl/xtnl/internal/nsthread"
	"golang.org/x/sys/unix"
)

// Sentinel errors. Every error returned by this package that stems from the
// kernel's answer matches one of these with errors.Is, and the underlying
// unix.Errno too.
var (
	// ErrNotExist: the table, chain, rule, set or element does not exist.
	ErrNotExist = errors.New("object does not exist")
	// ErrExist: the object already exists.
	ErrExist = errors.New("object already exists")
	// ErrBusy: the object is in use (a chain that is not empty or still
	// referenced by a jump, a table holding chains, ...).
	ErrBusy = errors.New("object busy or not empty")
	// ErrPermission: the caller lacks CAP_NET_ADMIN in the connection's
	// network namespace.
	ErrPermission = errors.New("permission denied (CAP_NET_ADMIN required in the network namespace)")
	// ErrInvalid: the kernel (or this package, before sending anything)
	// refused the request as malformed or unsupported.
	ErrInvalid = errors.New("invalid argument")
	// ErrGenerationChanged: a commit made conditional on a ruleset
	// generation was refused because another writer committed in between.
	ErrGenerationChanged = errors.New("ruleset generation changed")
	// ErrTruncated: a reply from the kernel ended early or was malformed.
	ErrTruncated = errors.New("truncated or malformed netlink reply")
	// ErrNetNSNotFound: the network namespace named (or at the path
	// given) does not exist (any more): `ip netns del` removed it, or the
	// process whose /proc/PID/ns/net it was has exited.
	ErrNetNSNotFound = errors.New("network namespace not found")
	// ErrNotNetNS: the path or descriptor given as a network namespace is
	// something else.
	ErrNotNetNS = errors.New("not a network namespace")
)

// NetNSError says which network namespace could not be used, and why: Err
// is ErrNetNSNotFound, ErrNotNetNS, ErrPermission or the system's error,
// all reachable with errors.Is.
type NetNSError struct {
	NetNS string // the name or path as given
	Err   error
}

func (e *NetNSError) Error() string {
	return fmt.Sprintf("xtnl: network namespace %q: %v", e.NetNS, e.Err)
}

func (e *NetNSError) Unwrap() error { return e.Err }

// netnsError classifies a failure to open or enter the namespace at
// nameOrPath.
func netnsError(nameOrPath string, err error) error {
	switch {
	case errors.Is(err, unix.ENOENT):
		err = fmt.Errorf("%w (%w)", ErrNetNSNotFound, err)
	case errors.Is(err, nsthread.ErrNotNetNS):
		err = ErrNotNetNS
	default:
		err = wrapErrno(err)
	}
	return &NetNSError{NetNS: nameOrPath, Err: err}
}

// OpError describes one operation the kernel refused. Index is the
// operation's position in its transaction (0 for single operations), Op
// what it was ("add rule", "delete chain", ...), Object which object it
// named, Errno the kernel's answer and Msg the kernel's extended-ack text,
// when it sent one. Offset is where, in the refused message, the
// attribute the kernel blamed starts (its NLMSGERR_ATTR_OFFS; 0 when it
// named none). Also holds the batch's further refusals, in order: the
// kernel answers every message of a refused batch.
type OpError struct {
	Index  int
	Op     string
	Object string
	Errno  unix.Errno
	Msg    string
	Offset uint32
	Also   []*OpError
}

func (e *OpError) Error() string {
	s := fmt.Sprintf("xtnl: operation %d (%s %s): %v", e.Index, e.Op, e.Object, e.Errno)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Errno == unix.EPERM || e.Errno == unix.EACCES {
		s += " (CAP_NET_ADMIN is required in the connection's network namespace)"
	}
	return s
}

// Unwrap lets errors.Is match both the errno and this package's sentinels.
func (e *OpError) Unwrap() []error {
	errs := []error{e.Errno}
	if s := errnoSentinel(e.Errno); s != nil {
		errs = append(errs, s)
	}
	return errs
}

// errnoSentinel maps a kernel errno onto the sentinel callers test for.
func errnoSentinel(errno unix.Errno) error {
	switch errno {
	case unix.ENOENT:
		return ErrNotExist
	case unix.EEXIST:
		return ErrExist
	case unix.EBUSY, unix.ENOTEMPTY:
		return ErrBusy
	case unix.EPERM, unix.EACCES:
		return ErrPermission
	case unix.EINVAL, unix.ERANGE, unix.EOPNOTSUPP, unix.E2BIG, unix.ENAMETOOLONG, unix.EAFNOSUPPORT, unix.EPROTONOSUPPORT:
		return ErrInvalid
	case unix.ERESTART:
		return ErrGenerationChanged
	}
	return nil
}

// kernelError wraps an errno from a request that was not part of a
// transaction (a dump, a generation read).
func kernelError(op, object string, errno unix.Errno, msg string) error {
	return &OpError{Op: op, Object: object, Errno: errno, Msg: msg}
}

// invalidf reports input refused before anything reached the kernel.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("xtnl: %s: %w", fmt.Sprintf(format, args...), ErrInvalid)
}
