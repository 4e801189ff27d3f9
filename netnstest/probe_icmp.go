package netnstest

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/xtnl/xtnl/internal/nsthread"
	"golang.org/x/sys/unix"
)

// Pings go out on a raw ICMP socket rather than an unprivileged "ping
// socket": those need net.ipv4.ping_group_range opened in the namespace,
// a setting a probe should not change. A raw socket sees every ICMP
// message the namespace receives, so answers are told apart by the echo
// identifier and a random token in the payload (errors quote the echo they
// are about).

// pingPayload is ping(8)'s default: 56 bytes, an 84-byte IPv4 packet.
const pingPayload = 56

type echo struct {
	v6    bool
	id    uint16
	token [8]byte
}

func ping(nsfd int, t target) (Result, error) {
	e := echo{v6: t.dst.Addr().Is6()}
	if _, err := rand.Read(e.token[:]); err != nil {
		return Result{}, err
	}
	e.id = binary.BigEndian.Uint16(e.token[:2])
	domain, proto := unix.AF_INET, unix.IPPROTO_ICMP
	if e.v6 {
		domain, proto = unix.AF_INET6, unix.IPPROTO_ICMPV6
	}
	fd, err := nsthread.Socket(nsfd, domain, unix.SOCK_RAW|unix.SOCK_NONBLOCK, proto)
	if err != nil {
		return Result{}, err
	}
	defer unix.Close(fd)
	if t.src.IsValid() {
		if err := unix.Bind(fd, sockaddr(netip.AddrPortFrom(t.src, 0))); err != nil {
			return Result{}, err
		}
	}
	to := sockaddr(t.dst)

	var r Result
	var refused []answer
	failed := 0 // sends that failed: no answer will come
	seen := map[uint16]bool{}
	start := time.Now()
	next, deadline := start, time.Time{}
	buf := make([]byte, 1500)
	for {
		now := time.Now()
		if r.Sent < t.count && !now.Before(next) {
			r.Sent++
			if err := unix.Sendto(fd, e.request(uint16(r.Sent)), 0, to); err != nil {
				r.Err = err
				failed++
			}
			next = now.Add(t.interval)
			if r.Sent == t.count {
				deadline = now.Add(t.timeout)
			}
		}
		answered := r.Replies + len(refused) + failed
		if r.Sent == t.count && (answered == r.Sent || !now.Before(deadline)) {
			break
		}
		wake := next
		if r.Sent == t.count {
			wake = deadline
		}
		if err := waitReadable(fd, time.Until(wake)); err != nil {
			return r, err
		}
		for {
			n, from, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
			if err != nil {
				break // EAGAIN: drained
			}
			a, ok := e.parse(buf[:n], from)
			if !ok || a.seq == 0 || int(a.seq) > r.Sent || seen[a.seq] {
				continue
			}
			seen[a.seq] = true
			if a.reply {
				r.Replies++
				r.From = a.from
			} else {
				refused = append(refused, a)
			}
		}
	}
	r.Elapsed = time.Since(start)
	switch {
	case r.Replies > 0:
		r.Outcome, r.Err = Reached, nil
	case len(refused) > 0:
		r.Outcome, r.Err = Refused, nil
		r.Reject, r.From = refused[0].reject, refused[0].from
	default:
		r.Outcome = TimedOut
	}
	return r, nil
}

// request is echo request seq: header, then the token, then ping's
// default fill.
func (e *echo) request(seq uint16) []byte {
	b := make([]byte, 8+pingPayload)
	b[0] = 8 // echo request
	if e.v6 {
		b[0] = 128
	}
	binary.BigEndian.PutUint16(b[4:], e.id)
	binary.BigEndian.PutUint16(b[6:], seq)
	copy(b[8:], e.token[:])
	for i := 8 + len(e.token); i < len(b); i++ {
		b[i] = byte(i)
	}
	if !e.v6 { // the kernel sums ICMPv6 itself (it covers a pseudo-header)
		binary.BigEndian.PutUint16(b[2:], checksum(b))
	}
	return b
}

// answer is an echo reply, or an ICMP error about one of our echoes.
type answer struct {
	reply  bool
	seq    uint16
	from   netip.Addr
	reject Reject
}

// parse reads a message the raw socket received: IPv4 ones start with
// their IP header, IPv6 ones with the ICMPv6 header.
func (e *echo) parse(b []byte, from unix.Sockaddr) (answer, bool) {
	a := answer{from: addrOf(from)}
	if !e.v6 {
		if len(b) < 20 || b[0]>>4 != 4 {
			return a, false
		}
		a.from = netip.AddrFrom4([4]byte(b[12:16]))
		b = b[int(b[0]&0x0f)*4:]
	}
	if len(b) < 8 {
		return a, false
	}
	typ, code := b[0], b[1]
	if (!e.v6 && typ == 0) || (e.v6 && typ == 129) {
		a.reply, a.seq = true, binary.BigEndian.Uint16(b[6:])
		ok := binary.BigEndian.Uint16(b[4:]) == e.id && bytes.HasPrefix(b[8:], e.token[:])
		return a, ok
	}
	isErr := (!e.v6 && (typ == 3 || typ == 11 || typ == 12)) || (e.v6 && typ >= 1 && typ <= 4)
	if !isErr {
		return a, false
	}
	// The error quotes the packet it is about: its IP header, then at
	// least 8 bytes of the echo request.
	inner := b[8:]
	if !e.v6 {
		if len(inner) < 20 || inner[0]>>4 != 4 || inner[9] != unix.IPPROTO_ICMP {
			return a, false
		}
		inner = inner[int(inner[0]&0x0f)*4:]
	} else {
		if len(inner) < 40 || inner[6] != unix.IPPROTO_ICMPV6 {
			return a, false
		}
		inner = inner[40:]
	}
	request := byte(8)
	if e.v6 {
		request = 128
	}
	if len(inner) < 8 || inner[0] != request || binary.BigEndian.Uint16(inner[4:]) != e.id {
		return a, false
	}
	a.seq, a.reject = binary.BigEndian.Uint16(inner[6:]), icmpReject(e.v6, typ, code)
	return a, true
}

// checksum is the Internet checksum (RFC 1071).
func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}
