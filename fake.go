package xtnl

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// The in-memory fake: an nf_tables kernel that lives in the process, behind
// the same transport seam as the netlink socket. The Conn above it is the
// real one (same encoder, same transaction engine, same decoding), so a
// program tested against the fake exercises exactly the code it runs in
// production; only the kernel is replaced.
//
// The fake decodes the messages xtnl sends and answers them as
// nf_tables (Linux 6.x) does: batches are applied to a copy of the ruleset
// and swapped in only when every message succeeded, with one NLMSG_ERROR
// per refused message and the batch-end ACK only on success; handles come
// from per-table counters that, as in the kernel, are not rolled back by
// an aborted batch; the generation id moves on every commit that changed
// something. Message types it does not implement are refused with
// EOPNOTSUPP (ErrInvalid).
//
// Files: fake.go (the transport and the kernel's front door),
// fake_state.go (objects and dumps), fake_batch.go (transactions: tables,
// chains, rules), fake_chain.go (chains), fake_set.go (sets, maps and
// their elements).

// OpenFake returns a connection to a fresh in-memory nf_tables kernel: an
// empty ruleset at generation 1, private to this connection (and to those
// opened with WithFakeOf). It needs no privileges and no network
// namespace, so code built on xtnl (or on package compat) can be unit
// tested anywhere, with the kernel's semantics: atomic transactions,
// handles, positions, generation-conditional commits, ErrNotExist /
// ErrExist / ErrBusy where the kernel gives them.
//
// Options about namespaces do not apply and are ignored; WithTimeout is
// honoured. If an option is invalid, the returned connection fails every
// operation with that option's error.
//
// Limits: no packets flow, so counters only change when set or reset;
// interfaces other than "lo" do not exist; objects, object maps and
// flowtables are not implemented yet (EOPNOTSUPP); loops between chains
// and overlapping intervals in sets are not detected; nothing can Watch a
// fake.
func OpenFake(opts ...Option) *Conn {
	o := options{nsFd: -1, timeout: defaultTimeout}
	var optErr error
	for _, opt := range opts {
		if err := opt(&o); err != nil && optErr == nil {
			optErr = err
		}
	}
	k := o.fake
	if k == nil {
		k = newFakeKernel()
	}
	c := newConn(o)
	if optErr != nil {
		c.newT = func() (transport, error) { return failedTransport{optErr}, nil }
	} else {
		c.newT = func() (transport, error) { return k.endpoint(), nil }
	}
	if err := c.dial(false); err != nil {
		// Cannot happen: fake transports accept any buffer size.
		c.newT = func() (transport, error) { return failedTransport{err}, nil }
		_ = c.dial(false)
	}
	return c
}

// WithFakeOf makes OpenFake connect to the same in-memory kernel as c, a
// connection returned by OpenFake: the two see each other's changes as two
// processes sharing a network namespace do, which is how a test plays a
// concurrent writer. Open given this option opens a fake too.
func WithFakeOf(c *Conn) Option {
	return func(o *options) error {
		if c == nil {
			return invalidf("WithFakeOf: nil connection")
		}
		// newT of a fake connection makes endpoints on its kernel.
		c.mu.Lock()
		t, err := c.newT()
		c.mu.Unlock()
		ep, ok := t.(*fakeEndpoint)
		if err != nil || !ok {
			return invalidf("WithFakeOf: the connection is not a fake (use OpenFake)")
		}
		o.fake = ep.k
		return nil
	}
}

// failedTransport stands for a connection that could not be set up: every
// exchange fails with the reason.
type failedTransport struct{ err error }

func (f failedTransport) send([][]byte, time.Duration) error { return f.err }
func (f failedTransport) recv([]byte, bool, time.Duration) (int, bool, error) {
	return 0, false, f.err
}
func (f failedTransport) setBuffer(bool, int) error { return nil }
func (f failedTransport) close() error              { return nil }

// fakeKernel is one network namespace's nf_tables.
type fakeKernel struct {
	mu sync.Mutex
	st *fakeState
	// genID is nft_net->base_seq: starts at 1, moves on every commit that
	// changed something, never 0.
	genID uint32
	// tableHandle is nft_net->table_handle: the last handle given to a
	// table. Like the kernel's, it is not rolled back when a batch aborts.
	tableHandle uint64
	nextPort    uint32
}

func newFakeKernel() *fakeKernel {
	return &fakeKernel{st: &fakeState{}, genID: 1, nextPort: 0x7f000000}
}

// endpoint is a new socket on the kernel, with its own receive queue.
func (k *fakeKernel) endpoint() *fakeEndpoint {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.nextPort++
	return &fakeEndpoint{k: k, port: k.nextPort}
}

// fakeEndpoint is the fake's socket: what send hands the kernel is answered
// at once (as nfnetlink answers inside sendmsg) into the queue recv reads.
// A dump's parts are released one datagram at a time, as the kernel builds
// the next part of a dump only when the previous one was read.
type fakeEndpoint struct {
	k      *fakeKernel
	mu     sync.Mutex
	port   uint32
	queue  [][]byte
	dump   [][]byte // parts of a dump not yet released
	closed bool
}

func (ep *fakeEndpoint) send(bufs [][]byte, _ time.Duration) error {
	ep.mu.Lock()
	closed := ep.closed
	ep.mu.Unlock()
	if closed {
		return unix.EBADF
	}
	dgram := bytes.Join(bufs, nil)
	out, dump := ep.k.handle(ep.port, dgram)
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.queue = append(ep.queue, out...)
	if len(dump) > 0 {
		// A new dump on a socket replaces one not read to its end, as the
		// kernel refuses a second concurrent dump (EBUSY) only while the
		// first is running; xtnl never leaves one half read.
		ep.dump = dump
	}
	return nil
}

func (ep *fakeEndpoint) recv(b []byte, wait bool, _ time.Duration) (int, bool, error) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.closed {
		return 0, false, unix.EBADF
	}
	if len(ep.queue) == 0 && len(ep.dump) > 0 {
		ep.queue = append(ep.queue, ep.dump[0])
		ep.dump = ep.dump[1:]
	}
	if len(ep.queue) == 0 {
		if !wait {
			return 0, false, nil
		}
		// Every answer is queued by send, so nothing can arrive any more:
		// the socket would wait until the deadline; the fake says so now.
		return 0, false, fmt.Errorf("fake nf_tables: no answer pending: %w", os.ErrDeadlineExceeded)
	}
	d := ep.queue[0]
	ep.queue = ep.queue[1:]
	if len(d) > len(b) {
		return 0, false, fmt.Errorf("datagram of %d bytes exceeds buffer: %w", len(d), ErrTruncated)
	}
	return copy(b, d), true, nil
}

// setBuffer accepts any size: the fake never overruns a receive queue.
func (ep *fakeEndpoint) setBuffer(bool, int) error { return nil }

func (ep *fakeEndpoint) close() error {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.closed = true
	ep.queue, ep.dump = nil, nil
	return nil
}

// fakeMsg is one request message as nfnetlink hands it to nf_tables.
type fakeMsg struct {
	raw   []byte // the whole message, header included
	typ   uint16 // NFT_MSG_* (subsystem stripped)
	flags uint16
	seq   uint32
	fam   byte
	attrs map[uint16]fakeAttr // last occurrence wins, as nla_parse does
}

// fakeAttr is an attribute's payload and its offset in the message, for
// the extended ACK's NLMSGERR_ATTR_OFFS.
type fakeAttr struct {
	data []byte
	off  int
}

func (m *fakeMsg) has(t uint16) bool { _, ok := m.attrs[t]; return ok }

func (m *fakeMsg) str(t uint16) string {
	return string(bytes.TrimRight(m.attrs[t].data, "\x00"))
}

func (m *fakeMsg) u32(t uint16) (uint32, bool) {
	d := m.attrs[t].data
	if len(d) < 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(d), true
}

func (m *fakeMsg) u64(t uint16) (uint64, bool) {
	d := m.attrs[t].data
	if len(d) < 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(d), true
}

// parseFakeMsg splits one message into header fields and top-level
// attributes.
func parseFakeMsg(raw []byte) (*fakeMsg, error) {
	m := &fakeMsg{
		raw:   raw,
		typ:   binary.NativeEndian.Uint16(raw[4:]),
		flags: binary.NativeEndian.Uint16(raw[6:]),
		seq:   binary.NativeEndian.Uint32(raw[8:]),
		attrs: map[uint16]fakeAttr{},
	}
	if len(raw) < nlmsgHdrLen+nfgenmsgLen {
		return m, ErrTruncated
	}
	m.fam = raw[nlmsgHdrLen]
	const off = nlmsgHdrLen + nfgenmsgLen
	a := nlattr.NewDecoder(raw[off:])
	for a.Next() {
		m.attrs[a.Type()] = fakeAttr{data: a.Bytes(), off: off + a.Offset()}
	}
	return m, malformed(a.Err())
}

// handle is nfnetlink_rcv: a batch when the datagram starts with
// NFNL_MSG_BATCH_BEGIN, else each message on its own. It returns the
// datagrams to queue now and the parts of a dump to release as they are
// read.
func (k *fakeKernel) handle(port uint32, dgram []byte) (out, dump [][]byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	msgs := splitRaw(dgram)
	if len(msgs) == 0 {
		return nil, nil
	}
	if binary.NativeEndian.Uint16(msgs[0][4:]) == nfnlMsgBatchBegin {
		return k.batch(port, msgs), nil
	}
	for _, raw := range msgs {
		o, d := k.single(port, raw)
		out = append(out, o...)
		if d != nil {
			dump = d
		}
	}
	return out, dump
}

// splitRaw cuts a datagram into its messages, headers included; a
// malformed tail is dropped, as netlink_rcv_skb drops it.
func splitRaw(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b))
		if l < nlmsgHdrLen || l > len(b) {
			break
		}
		out = append(out, b[:l])
		al := (l + 3) &^ 3
		if al > len(b) {
			al = len(b)
		}
		b = b[al:]
	}
	return out
}

// single answers one message outside a batch (netlink_rcv_skb calling
// nfnetlink_rcv_msg): GETGEN and dumps.
func (k *fakeKernel) single(port uint32, raw []byte) (out, dump [][]byte) {
	m, err := parseFakeMsg(raw)
	ack := func(errno unix.Errno, bad uint16) [][]byte {
		return [][]byte{k.errorMsg(port, m, errno, bad)}
	}
	switch {
	case err != nil:
		return ack(unix.EINVAL, 0), nil
	case m.flags&unix.NLM_F_REQUEST == 0:
		return nil, nil // the kernel ignores what is not a request
	case m.typ>>8 != nfnlSubsysNFTables:
		return ack(unix.EINVAL, 0), nil
	}
	switch m.typ & 0xff {
	case unix.NFT_MSG_GETGEN:
		out = append(out, k.genMsg(port, m.seq))
	case unix.NFT_MSG_GETTABLE, unix.NFT_MSG_GETCHAIN, unix.NFT_MSG_GETRULE, unix.NFT_MSG_GETRULE_RESET:
		if m.flags&unix.NLM_F_DUMP != unix.NLM_F_DUMP {
			// Single-object gets: not used by xtnl, not implemented.
			return ack(unix.EOPNOTSUPP, 0), nil
		}
		return nil, k.dumpParts(port, m)
	case unix.NFT_MSG_GETSET, unix.NFT_MSG_GETSETELEM:
		if m.flags&unix.NLM_F_DUMP != unix.NLM_F_DUMP {
			return ack(unix.EOPNOTSUPP, 0), nil
		}
		if errno, bad := k.setDumpCheck(m); errno != 0 {
			return ack(errno, bad), nil
		}
		return nil, k.dumpParts(port, m)
	case unix.NFT_MSG_NEWTABLE, unix.NFT_MSG_DELTABLE, unix.NFT_MSG_NEWCHAIN, unix.NFT_MSG_DELCHAIN,
		unix.NFT_MSG_NEWRULE, unix.NFT_MSG_DELRULE, unix.NFT_MSG_NEWSET, unix.NFT_MSG_DELSET,
		unix.NFT_MSG_NEWSETELEM, unix.NFT_MSG_DELSETELEM:
		// Batch-only callbacks sent on their own.
		return ack(unix.EINVAL, 0), nil
	default:
		return ack(unix.EOPNOTSUPP, 0), nil
	}
	if m.flags&unix.NLM_F_ACK != 0 {
		out = append(out, k.errorMsg(port, m, 0, 0))
	}
	return out, nil
}

// errorMsg is netlink_ack on a socket with NETLINK_CAP_ACK and
// NETLINK_EXT_ACK set (as xtnl's are): the error (0 for an ACK), the
// request's header only, and the offset of the offending attribute when
// there is one.
func (k *fakeKernel) errorMsg(port uint32, m *fakeMsg, errno unix.Errno, bad uint16) []byte {
	return k.errorMsgAt(port, m, errno, bad, 0)
}

// errorMsgAt is errorMsg pointing at the attribute at offset off when bad
// is 0 and off is not.
func (k *fakeKernel) errorMsgAt(port uint32, m *fakeMsg, errno unix.Errno, bad uint16, off int) []byte {
	var b []byte
	flags := uint16(unix.NLM_F_CAPPED)
	if a, ok := m.attrs[bad]; ok && bad != 0 {
		off = a.off
	}
	var tlv []byte
	if errno != 0 && off > 0 {
		flags |= unix.NLM_F_ACK_TLVS
		// The offset is in host byte order, unlike nf_tables' integers.
		tlv = nlattr.AppendBytes(tlv, unix.NLMSGERR_ATTR_OFFS, binary.NativeEndian.AppendUint32(nil, uint32(off)))
	}
	l := nlmsgHdrLen + 4 + nlmsgHdrLen + len(tlv)
	b = binary.NativeEndian.AppendUint32(b, uint32(l))
	b = binary.NativeEndian.AppendUint16(b, unix.NLMSG_ERROR)
	b = binary.NativeEndian.AppendUint16(b, flags)
	b = binary.NativeEndian.AppendUint32(b, m.seq)
	b = binary.NativeEndian.AppendUint32(b, port)
	b = binary.NativeEndian.AppendUint32(b, uint32(-int32(errno)))
	b = append(b, m.raw[:nlmsgHdrLen]...)
	return append(b, tlv...)
}

// reply starts a message from the kernel: nfgenmsg with the generation's
// low 16 bits in res_id, as nfnl_msg_put does.
func (k *fakeKernel) reply(e *nfnl.Encoder, typ, flags uint16, seq, port uint32, fam byte) int {
	s := e.Begin(typ, flags, seq, fam, uint16(k.genID))
	binary.NativeEndian.PutUint32(e.B[s+12:], port)
	return s
}

// genMsg answers GETGEN: NFTA_GEN_ID, the caller's pid and command name.
func (k *fakeKernel) genMsg(port, seq uint32) []byte {
	var e nfnl.Encoder
	s := k.reply(&e, nftType(unix.NFT_MSG_NEWGEN), 0, seq, port, unix.AF_UNSPEC)
	e.Uint32(unix.NFTA_GEN_ID, k.genID)
	e.Uint32(unix.NFTA_GEN_PROC_PID, uint32(os.Getpid()))
	e.String(unix.NFTA_GEN_PROC_NAME, procName())
	e.End(s)
	return e.B
}

var procName = sync.OnceValue(func() string {
	if b, err := os.ReadFile("/proc/self/comm"); err == nil {
		return strings.TrimSpace(string(b))
	}
	n := filepath.Base(os.Args[0])
	if len(n) > 15 { // TASK_COMM_LEN - 1
		n = n[:15]
	}
	return n
})

// doneMsg ends a dump.
func (k *fakeKernel) doneMsg(port, seq uint32) []byte {
	var b []byte
	b = binary.NativeEndian.AppendUint32(b, nlmsgHdrLen+4)
	b = binary.NativeEndian.AppendUint16(b, unix.NLMSG_DONE)
	b = binary.NativeEndian.AppendUint16(b, unix.NLM_F_MULTI)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, port)
	return binary.NativeEndian.AppendUint32(b, 0)
}
