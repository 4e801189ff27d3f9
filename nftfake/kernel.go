package nftfake

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// A Kernel is one network namespace's nf_tables, in memory. Its zero
// value is not ready: use New.
type Kernel struct {
	mu sync.Mutex
	st *ruleset
	// genID is nft_net->base_seq: starts at 1, moves on every commit that
	// changed something, never 0.
	genID uint32
	// tableHandle is nft_net->table_handle: the last handle given to a
	// table. Like the kernel's, it is not rolled back when a batch aborts.
	tableHandle uint64
	nextPort    uint32
}

// New returns a kernel holding an empty ruleset at generation 1.
func New() *Kernel {
	return &Kernel{st: &ruleset{}, genID: 1, nextPort: 0x7f000000}
}

// Open opens a NETLINK_NETFILTER socket on the kernel, with its own
// receive queue and port id.
func (k *Kernel) Open() *Socket {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.nextPort++
	return &Socket{k: k, port: k.nextPort}
}

// A Socket is a netlink socket on a Kernel: what Send hands the kernel is
// answered at once (as nfnetlink answers inside sendmsg) into the queue
// Receive reads. A dump's parts are released one datagram at a time, as
// the kernel builds the next part of a dump only when the previous one was
// read. A Socket is safe for concurrent use.
type Socket struct {
	k      *Kernel
	mu     sync.Mutex
	port   uint32
	queue  [][]byte
	dump   [][]byte // parts of a dump not yet released
	closed bool
}

// Kernel is the kernel the socket is open on.
func (ep *Socket) Kernel() *Kernel { return ep.k }

// Send hands the kernel one datagram, made of the parts in bufs (as
// sendmsg's iovec), and queues its answers. It fails with EBADF once the
// socket is closed.
func (ep *Socket) Send(bufs [][]byte) error {
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

// Receive takes the next datagram queued for the socket; ok is false when
// none is. Every answer is queued by Send, so nothing arrives between two
// calls to Send. It fails with EBADF once the socket is closed.
func (ep *Socket) Receive() (dgram []byte, ok bool, err error) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.closed {
		return nil, false, unix.EBADF
	}
	if len(ep.queue) == 0 && len(ep.dump) > 0 {
		ep.queue = append(ep.queue, ep.dump[0])
		ep.dump = ep.dump[1:]
	}
	if len(ep.queue) == 0 {
		return nil, false, nil
	}
	d := ep.queue[0]
	ep.queue = ep.queue[1:]
	return d, true, nil
}

// Close closes the socket and drops what was queued on it.
func (ep *Socket) Close() error {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.closed = true
	ep.queue, ep.dump = nil, nil
	return nil
}

// errShortMessage is a message too short for its nfgenmsg header.
var errShortMessage = errors.New("message shorter than its headers")

// request is one request message as nfnetlink hands it to nf_tables.
type request struct {
	raw   []byte // the whole message, header included
	typ   uint16 // NFT_MSG_* (subsystem stripped)
	flags uint16
	seq   uint32
	fam   byte
	attrs map[uint16]requestAttr // last occurrence wins, as nla_parse does
}

// requestAttr is an attribute's payload and its offset in the message, for
// the extended ACK's NLMSGERR_ATTR_OFFS.
type requestAttr struct {
	data []byte
	off  int
}

func (m *request) has(t uint16) bool { _, ok := m.attrs[t]; return ok }

func (m *request) str(t uint16) string {
	return string(bytes.TrimRight(m.attrs[t].data, "\x00"))
}

func (m *request) u32(t uint16) (uint32, bool) {
	d := m.attrs[t].data
	if len(d) < 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(d), true
}

func (m *request) u64(t uint16) (uint64, bool) {
	d := m.attrs[t].data
	if len(d) < 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(d), true
}

// parseRequest splits one message into header fields and top-level
// attributes.
func parseRequest(raw []byte) (*request, error) {
	m := &request{
		raw:   raw,
		typ:   binary.NativeEndian.Uint16(raw[4:]),
		flags: binary.NativeEndian.Uint16(raw[6:]),
		seq:   binary.NativeEndian.Uint32(raw[8:]),
		attrs: map[uint16]requestAttr{},
	}
	if len(raw) < nfnl.HeaderLen+nfnl.GenMsgLen {
		return m, errShortMessage
	}
	m.fam = raw[nfnl.HeaderLen]
	const off = nfnl.HeaderLen + nfnl.GenMsgLen
	a := nlattr.NewDecoder(raw[off:])
	for a.Next() {
		m.attrs[a.Type()] = requestAttr{data: a.Bytes(), off: off + a.Offset()}
	}
	return m, a.Err()
}

// handle is nfnetlink_rcv: a batch when the datagram starts with
// NFNL_MSG_BATCH_BEGIN, else each message on its own. It returns the
// datagrams to queue now and the parts of a dump to release as they are
// read.
func (k *Kernel) handle(port uint32, dgram []byte) (out, dump [][]byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	msgs := splitRaw(dgram)
	if len(msgs) == 0 {
		return nil, nil
	}
	if binary.NativeEndian.Uint16(msgs[0][4:]) == nfnl.MsgBatchBegin {
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
	for {
		raw, rest, ok := nfnl.NextMessage(b)
		if !ok {
			return out
		}
		out = append(out, raw)
		b = rest
	}
}

// single answers one message outside a batch (netlink_rcv_skb calling
// nfnetlink_rcv_msg): GETGEN and dumps.
func (k *Kernel) single(port uint32, raw []byte) (out, dump [][]byte) {
	m, err := parseRequest(raw)
	ack := func(errno unix.Errno, bad uint16) [][]byte {
		return [][]byte{k.errorMsg(port, m, errno, bad)}
	}
	switch {
	case err != nil:
		return ack(unix.EINVAL, 0), nil
	case m.flags&unix.NLM_F_REQUEST == 0:
		return nil, nil // the kernel ignores what is not a request
	case m.typ>>8 != nfnl.SubsysNFTables:
		return ack(unix.EINVAL, 0), nil
	}
	switch m.typ & 0xff {
	case unix.NFT_MSG_GETGEN:
		out = append(out, k.genMsg(port, m.seq))
	case unix.NFT_MSG_GETRULE:
		if m.flags&unix.NLM_F_DUMP != unix.NLM_F_DUMP {
			msg, errno, bad := k.getRule(port, m)
			if errno != 0 {
				return ack(errno, bad), nil
			}
			out = append(out, msg)
			break
		}
		return nil, k.dumpParts(port, m)
	case unix.NFT_MSG_GETTABLE, unix.NFT_MSG_GETCHAIN, unix.NFT_MSG_GETRULE_RESET:
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
func (k *Kernel) errorMsg(port uint32, m *request, errno unix.Errno, bad uint16) []byte {
	return k.errorMsgAt(port, m, errno, bad, 0)
}

// errorMsgAt is errorMsg pointing at the attribute at offset off when bad
// is 0 and off is not.
func (k *Kernel) errorMsgAt(port uint32, m *request, errno unix.Errno, bad uint16, off int) []byte {
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
	l := nfnl.HeaderLen + 4 + nfnl.HeaderLen + len(tlv)
	b = binary.NativeEndian.AppendUint32(b, uint32(l))
	b = binary.NativeEndian.AppendUint16(b, unix.NLMSG_ERROR)
	b = binary.NativeEndian.AppendUint16(b, flags)
	b = binary.NativeEndian.AppendUint32(b, m.seq)
	b = binary.NativeEndian.AppendUint32(b, port)
	b = binary.NativeEndian.AppendUint32(b, uint32(-int32(errno)))
	b = append(b, m.raw[:nfnl.HeaderLen]...)
	return append(b, tlv...)
}

// reply starts a message from the kernel: nfgenmsg with the generation's
// low 16 bits in res_id, as nfnl_msg_put does.
func (k *Kernel) reply(e *nfnl.Encoder, typ, flags uint16, seq, port uint32, fam byte) int {
	s := e.Begin(typ, flags, seq, fam, uint16(k.genID))
	binary.NativeEndian.PutUint32(e.B[s+12:], port)
	return s
}

// genMsg answers GETGEN: NFTA_GEN_ID, the caller's pid and command name.
func (k *Kernel) genMsg(port, seq uint32) []byte {
	var e nfnl.Encoder
	s := k.reply(&e, nfnl.Type(unix.NFT_MSG_NEWGEN), 0, seq, port, unix.AF_UNSPEC)
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
func (k *Kernel) doneMsg(port, seq uint32) []byte {
	var b []byte
	b = binary.NativeEndian.AppendUint32(b, nfnl.HeaderLen+4)
	b = binary.NativeEndian.AppendUint16(b, unix.NLMSG_DONE)
	b = binary.NativeEndian.AppendUint16(b, unix.NLM_F_MULTI)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, port)
	return binary.NativeEndian.AppendUint32(b, 0)
}
