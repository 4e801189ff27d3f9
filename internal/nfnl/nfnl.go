// Package nfnl writes nfnetlink messages: the netlink header, the nfgenmsg
// header and the attributes, into one buffer. The engine writes its
// requests with it and the fake kernel its answers, so both frame messages
// the one way; attributes go through package nlattr.
package nfnl

import (
	"bytes"
	"encoding/binary"

	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// nfnetlink constants not (all) in x/sys/unix.
const (
	SubsysNFTables = 10   // NFNL_SUBSYS_NFTABLES
	MsgBatchBegin  = 0x10 // NFNL_MSG_BATCH_BEGIN
	MsgBatchEnd    = 0x11 // NFNL_MSG_BATCH_END
	BatchGenID     = 1    // NFNL_BATCH_GENID

	HeaderLen = 16 // struct nlmsghdr
	GenMsgLen = 4  // struct nfgenmsg
)

// Type returns the nlmsg_type of nf_tables message msg (NFT_MSG_*).
func Type(msg uint16) uint16 { return SubsysNFTables<<8 | msg }

// NextMessage splits the first netlink message, header included, off b;
// ok is false when b does not start with a whole message.
func NextMessage(b []byte) (msg, rest []byte, ok bool) {
	if len(b) < HeaderLen {
		return nil, nil, false
	}
	l := int(binary.NativeEndian.Uint32(b))
	if l < HeaderLen || l > len(b) {
		return nil, nil, false
	}
	return b[:l], b[min((l+3)&^3, len(b)):], true
}

// An Encoder appends netlink messages and their attributes to B: a whole
// transaction is encoded into a single slice so it can be sent without
// copying. Integers in attributes are big-endian, as nf_tables has them.
// The zero Encoder is ready to use.
type Encoder struct {
	B []byte
}

// Begin starts a message with an nfgenmsg header and returns its offset,
// to be passed to End. The port id is left 0: the kernel fills it.
func (e *Encoder) Begin(typ, flags uint16, seq uint32, fam byte, resID uint16) int {
	start := len(e.B)
	e.B = binary.NativeEndian.AppendUint32(e.B, 0) // length, written by End
	e.B = binary.NativeEndian.AppendUint16(e.B, typ)
	e.B = binary.NativeEndian.AppendUint16(e.B, flags)
	e.B = binary.NativeEndian.AppendUint32(e.B, seq)
	e.B = binary.NativeEndian.AppendUint32(e.B, 0)
	e.B = append(e.B, fam, 0) // family, NFNETLINK_V0
	e.B = binary.BigEndian.AppendUint16(e.B, resID)
	return start
}

// End writes the length of the message Begin started at start.
func (e *Encoder) End(start int) {
	binary.NativeEndian.PutUint32(e.B[start:], uint32(len(e.B)-start))
}

// Bytes appends an attribute holding data.
func (e *Encoder) Bytes(typ uint16, data []byte) { e.B = nlattr.AppendBytes(e.B, typ, data) }

// String appends an attribute holding s, NUL-terminated.
func (e *Encoder) String(typ uint16, s string) { e.B = nlattr.AppendString(e.B, typ, s) }

// Uint32 appends an attribute holding v big-endian.
func (e *Encoder) Uint32(typ uint16, v uint32) { e.B = nlattr.AppendUint32(e.B, typ, v) }

// Uint64 appends an attribute holding v big-endian.
func (e *Encoder) Uint64(typ uint16, v uint64) { e.B = nlattr.AppendUint64(e.B, typ, v) }

// Nest opens a nested attribute, flagged NLA_F_NESTED; close it with
// EndNest.
func (e *Encoder) Nest(typ uint16) int {
	var start int
	e.B, start = nlattr.Begin(e.B, typ|unix.NLA_F_NESTED)
	return start
}

// EndNest closes the nested attribute Nest opened at start.
func (e *Encoder) EndNest(start int) { e.B = nlattr.End(e.B, start) }

// nf_tables attribute types and flags missing from x/sys/unix, under their
// kernel names as x/sys/unix spells the others.
const (
	NFTA_TABLE_HANDLE     = 4     // table handle
	NFTA_CHAIN_FLAGS      = 10    // chain flags (NFT_CHAIN_HW_OFFLOAD, ...)
	NFTA_SET_HANDLE       = 0x10  // set handle
	NFTA_SET_DESC_CONCAT  = 2     // the fields of a concatenated key
	NFTA_SET_FIELD_LEN    = 1     // one field's length
	NFTA_SET_ELEM_KEY_END = 10    // an interval's end
	NFT_SET_CONCAT        = 0x80  // a concatenation of ranges
	NFT_SET_ELEM_CATCHALL = 2     // the catch-all element
	NLM_F_NONREC          = 0x100 // do not delete recursively
)

// DataValue returns a copy of the NFTA_DATA_VALUE of a struct nft_data
// attribute's payload (nil when it has none).
func DataValue(b []byte) []byte {
	a := nlattr.NewDecoder(b)
	for a.Next() {
		if a.Type() == unix.NFTA_DATA_VALUE {
			return bytes.Clone(a.Bytes())
		}
	}
	return nil
}
