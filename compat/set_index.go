package compat

import (
	"errors"
	"runtime"
	"unsafe"

	"github.com/xtnl/xtnl/internal/nsthread"
	"golang.org/x/sys/unix"
)

// ipset name ⇄ index lookups for -m set, without exec: the SO_IP_SET
// getsockopt that libxt_set uses, on a raw IPv4 socket (needs CAP_NET_RAW
// and CAP_NET_ADMIN in the namespace).
//
//	struct ip_set_req_version        { u32 op; u32 version; }            8 bytes
//	struct ip_set_req_get_set        { u32 op; u32 version;
//	                                   union { char name[32]; u16 index; } } 40 bytes
//	struct ip_set_req_get_set_family { u32 op; u32 version; u32 family;
//	                                   union { char name[32]; u16 index; } } 44 bytes
//
// IP_SET_OP_VERSION (0x100) first returns the protocol version the other
// requests must carry; IP_SET_OP_GET_FNAME (8) returns a set's index and
// family (older kernels answer EBADMSG, then IP_SET_OP_GET_BYNAME (6)
// gives the index alone); IP_SET_OP_GET_BYINDEX (7) the name of an index
// (empty when there is none). An unknown name has index 65535.
//
// The socket must be opened in the network namespace the rule is for: a
// set's index is per namespace. Parse has no namespace handle, so the
// lookups go through two hooks that default to the current namespace
// (the calling thread's); a caller that parses for another namespace
// replaces them (see ipsetIndexIn / ipsetNameIn, which take a namespace
// file descriptor).

const (
	soIPSet            = 83
	ipSetOpGetByName   = 6
	ipSetOpGetByIndex  = 7
	ipSetOpGetFName    = 8
	ipSetOpVersion     = 0x100
	ipSetMaxNameLen    = 32
	ipSetInvalidID     = 65535
	nfprotoUnspec      = 0
	nfprotoIPv4        = 2
	nfprotoIPv6        = 10
	ipSetReqGetSetSize = 40
	ipSetReqFamilySize = 44
)

// setIndexResolver resolves an ipset name to its index for the rule being
// parsed, refusing a set of the other family; errors are *SpecError.
var setIndexResolver = func(ctx *ParseContext, name string) (uint16, error) {
	return ipsetIndexIn(ctx.NetNSFd, ctx.Family, name)
}

// setNameResolver turns an index back into the set's name when a rule is
// printed.
var setNameResolver = func(w *Writer, index uint16) (string, error) {
	return ipsetNameIn(w.NetNSFd(), index)
}

func ipsetGetsockopt(fd int, req []byte) (int, error) {
	n := uint32(len(req))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_IP, soIPSet,
		uintptr(unsafe.Pointer(&req[0])), uintptr(unsafe.Pointer(&n)), 0)
	runtime.KeepAlive(req)
	if e != 0 {
		return int(n), e
	}
	return int(n), nil
}

// ipsetOpen opens the socket and asks the protocol version.
func ipsetOpen(nsFD int) (fd int, version uint32, err error) {
	fd, err = nsthread.Socket(nsFD, unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW)
	if err != nil {
		return -1, 0, badSpec("", "Can't open socket to ipset: %v", err)
	}
	req := make([]byte, 8)
	hostOrder.PutUint32(req[0:], ipSetOpVersion)
	if _, err := ipsetGetsockopt(fd, req); err != nil {
		unix.Close(fd)
		return -1, 0, badSpec("", "Kernel module xt_set is not loaded in.")
	}
	return fd, hostOrder.Uint32(req[4:]), nil
}

// ipsetIndexIn looks a set up by name in the namespace nsFD (current
// when < 0) and checks its family against the rule's.
func ipsetIndexIn(nsFD int, fam Family, name string) (uint16, error) {
	fd, version, err := ipsetOpen(nsFD)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	req := make([]byte, ipSetReqFamilySize)
	hostOrder.PutUint32(req[0:], ipSetOpGetFName)
	hostOrder.PutUint32(req[4:], version)
	putCString(req[12:12+ipSetMaxNameLen], name)
	n, err := ipsetGetsockopt(fd, req)
	var index uint16
	setFam := uint32(nfprotoUnspec)
	switch {
	case errors.Is(err, unix.EBADMSG):
		// Old kernels: the index only.
		req = make([]byte, ipSetReqGetSetSize)
		hostOrder.PutUint32(req[0:], ipSetOpGetByName)
		hostOrder.PutUint32(req[4:], version)
		putCString(req[8:8+ipSetMaxNameLen], name)
		if n, err = ipsetGetsockopt(fd, req); err != nil || n != ipSetReqGetSetSize {
			return 0, badSpec(name, "Problem when communicating with ipset, errno=%d.", errnoOf(err))
		}
		index = hostOrder.Uint16(req[8:])
	case err != nil:
		return 0, badSpec(name, "Problem when communicating with ipset, errno=%d.", errnoOf(err))
	case n != ipSetReqFamilySize:
		return 0, badSpec(name, "Incorrect return size from kernel during ipset lookup, (want %d, got %d)", ipSetReqFamilySize, n)
	default:
		index = hostOrder.Uint16(req[12:])
		setFam = hostOrder.Uint32(req[8:])
	}
	if index == ipSetInvalidID {
		return 0, badSpec(name, "Set %s doesn't exist.", name)
	}
	want := uint32(nfprotoIPv4)
	if fam == IPv6 {
		want = nfprotoIPv6
	}
	if setFam != nfprotoUnspec && setFam != want {
		other := "IPv4"
		if setFam == nfprotoIPv6 {
			other = "IPv6"
		}
		return 0, badSpec(name, "The protocol family of set %s is %s, which is not applicable.", name, other)
	}
	return index, nil
}

// ipsetNameIn returns the name of the set with the given index in the
// namespace nsFD (current when < 0).
func ipsetNameIn(nsFD int, index uint16) (string, error) {
	fd, version, err := ipsetOpen(nsFD)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	req := make([]byte, ipSetReqGetSetSize)
	hostOrder.PutUint32(req[0:], ipSetOpGetByIndex)
	hostOrder.PutUint32(req[4:], version)
	hostOrder.PutUint16(req[8:], index)
	n, err := ipsetGetsockopt(fd, req)
	if err != nil {
		return "", badSpec("", "Problem when communicating with ipset, errno=%d.", errnoOf(err))
	}
	if n != ipSetReqGetSetSize {
		return "", badSpec("", "Incorrect return size from kernel during ipset lookup, (want %d, got %d)", ipSetReqGetSetSize, n)
	}
	name := cString(req[8 : 8+ipSetMaxNameLen])
	if name == "" {
		return "", badSpec("", "Set with index %d in kernel doesn't exist.", index)
	}
	return name, nil
}

func errnoOf(err error) int {
	var e unix.Errno
	if errors.As(err, &e) {
		return int(e)
	}
	return 0
}
