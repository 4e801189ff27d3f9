package xtnl

import (
	"encoding/binary"
	"fmt"

	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// Netlink constants not (all) exported by x/sys/unix; the nfnetlink ones
// are package nfnl's, under the engine's names.
const (
	nfnlSubsysNFTables = nfnl.SubsysNFTables
	nfnlMsgBatchBegin  = nfnl.MsgBatchBegin
	nfnlMsgBatchEnd    = nfnl.MsgBatchEnd
	nfnlBatchGenID     = nfnl.BatchGenID

	nftaGenID = 1

	nlmsgHdrLen     = nfnl.HeaderLen
	nfgenmsgLen     = nfnl.GenMsgLen
	nlmFDumpIntr    = 0x10
	nlmsgerrAttrMsg = 1 // NLMSGERR_ATTR_MSG
	nlmsgerrAttrOff = 2 // NLMSGERR_ATTR_OFFS
)

// nftType returns the nlmsg_type of an nf_tables message.
func nftType(msg uint16) uint16 { return nfnl.Type(msg) }

// malformed turns an error of nlattr's Decoder into the engine's: every
// malformed reply is ErrTruncated, an attribute whose length is out of
// range says which length.
func malformed(err error) error {
	if err == nil {
		return nil
	}
	// A type assertion, not errors.As: the Decoder's errors are never
	// wrapped, and errors.As would put its target on the heap each call.
	if le, ok := err.(*nlattr.LengthError); ok {
		return fmt.Errorf("attribute length %d: %w", le.Length, ErrTruncated)
	}
	return ErrTruncated
}

// message is one received netlink message; Data excludes the netlink
// header but includes the nfgenmsg header for nf_tables messages.
type message struct {
	Type  uint16
	Flags uint16
	Seq   uint32
	Data  []byte
}

// splitMessages walks the messages in one datagram.
func splitMessages(b []byte, fn func(m message) error) error {
	for len(b) >= nlmsgHdrLen {
		raw, rest, ok := nfnl.NextMessage(b)
		if !ok {
			return ErrTruncated
		}
		m := message{
			Type:  binary.NativeEndian.Uint16(raw[4:]),
			Flags: binary.NativeEndian.Uint16(raw[6:]),
			Seq:   binary.NativeEndian.Uint32(raw[8:]),
			Data:  raw[nlmsgHdrLen:],
		}
		if err := fn(m); err != nil {
			return err
		}
		b = rest
	}
	return nil
}

// parseErrorMsg decodes an NLMSG_ERROR payload: the errno (0 for an ACK),
// the sequence number of the message it answers, and the extended-ack text.
// Our sockets set NETLINK_CAP_ACK, so only the original header is echoed;
// extended-ack attributes follow it when the kernel flags NLM_F_ACK_TLVS.
func parseErrorMsg(m message) (errno unix.Errno, seq uint32, text string, err error) {
	data := m.Data
	if len(data) < 4+nlmsgHdrLen {
		return 0, 0, "", ErrTruncated
	}
	if code := int32(binary.NativeEndian.Uint32(data)); code < 0 {
		errno = unix.Errno(-code)
	}
	seq = binary.NativeEndian.Uint32(data[4+8:])
	if m.Flags&unix.NLM_F_ACK_TLVS != 0 {
		a := nlattr.NewDecoder(data[4+nlmsgHdrLen:])
		for a.Next() {
			if a.Type() == nlmsgerrAttrMsg {
				text = a.String()
			}
		}
	}
	return errno, seq, text, nil
}

// parseErrorOffset returns the NLMSGERR_ATTR_OFFS of an NLMSG_ERROR: the
// offset, in the refused message, of the attribute the kernel blamed (0
// when there is none).
func parseErrorOffset(m message) uint32 {
	data := m.Data
	if m.Flags&unix.NLM_F_ACK_TLVS == 0 || len(data) < 4+nlmsgHdrLen {
		return 0
	}
	a := nlattr.NewDecoder(data[4+nlmsgHdrLen:])
	for a.Next() {
		if b := a.Bytes(); a.Type() == nlmsgerrAttrOff && len(b) == 4 {
			return binary.NativeEndian.Uint32(b) // host order, unlike nf_tables' attributes
		}
	}
	return 0
}
