package xtnl

import (
	"fmt"

	"github.com/xtnl/xtnl/internal/nfnl"
	"golang.org/x/sys/unix"
)

// Raw messages: for callers that build nf_tables messages themselves (the
// nft compiler in package nft writes exactly the attributes nft does, in
// the order libnftnl lays them out) but still want this package's single
// sendmsg batches, error reporting and dumps.

// AddRaw appends one pre-built nf_tables operation to the transaction:
// msgType is the NFT_MSG_* type (NFT_MSG_NEWRULE, ...), flags the netlink
// flags besides NLM_F_REQUEST (NLM_F_CREATE, NLM_F_APPEND, ...), fam the
// nfgenmsg family, and attrs the message's attributes after the nfgenmsg
// header, already encoded. The sequence number is assigned at commit. op
// and object only label the operation in errors ("add rule", "inet t c").
func (tx *Tx) AddRaw(op, object string, msgType uint16, flags uint16, fam Family, attrs []byte) {
	start := tx.msg(op, object, msgType, flags, byte(fam))
	tx.enc.B = append(tx.enc.B, attrs...)
	tx.enc.End(start)
}

// RawMessage is one message of a dump: its NFT_MSG_* type, the nfgenmsg
// family, and its attributes (after the nfgenmsg header). Attrs points
// into the receive buffer: it is valid only during the callback.
type RawMessage struct {
	Type   uint16
	Family Family
	Attrs  []byte
}

// DumpRaw runs an NLM_F_DUMP request of msgType (NFT_MSG_GETTABLE,
// NFT_MSG_GETRULE, NFT_MSG_GETSETELEM, ...) for family fam (FamilyUnspec for
// every family) with the request attributes attrs (nil for none), and calls
// fn for each object message. start is called before every attempt (nil
// for none): the dump is retried from the beginning when another writer
// changes the ruleset during it, so fn's results so far must be dropped.
func (c *Conn) DumpRaw(msgType uint16, fam Family, attrs []byte, start func(), fn func(m RawMessage) error) error {
	if start == nil {
		start = func() {}
	}
	var attrFn func(e *nfnl.Encoder)
	if len(attrs) > 0 {
		attrFn = func(e *nfnl.Encoder) { e.B = append(e.B, attrs...) }
	}
	return c.dump(fmt.Sprintf("message type %d", msgType), msgType, byte(fam), attrFn, start, func(m message) error {
		if len(m.Data) < nfgenmsgLen {
			return ErrTruncated
		}
		return fn(RawMessage{Type: m.Type & 0xff, Family: Family(m.Data[0]), Attrs: m.Data[nfgenmsgLen:]})
	})
}

// GetRaw sends one request of msgType (without NLM_F_DUMP) with attrs and
// calls fn with each answer; used for the requests nft sends as single
// gets, such as NFT_MSG_GETSETELEM of particular elements.
func (c *Conn) GetRaw(msgType uint16, fam Family, attrs []byte, fn func(m RawMessage) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errClosed
	}
	seq := c.nextSeq(1)
	e := &c.frame
	e.B = e.B[:0]
	s := e.Begin(nftType(msgType), unix.NLM_F_REQUEST|unix.NLM_F_ACK, seq, byte(fam), 0)
	e.B = append(e.B, attrs...)
	e.End(s)
	if err := c.sendOne(e.B); err != nil {
		return err
	}
	done := false
	var ferr error
	for !done {
		err := c.recv(func(m message) error {
			if m.Seq != seq {
				return nil
			}
			switch m.Type {
			case unix.NLMSG_ERROR:
				errno, _, text, err := parseErrorMsg(m)
				if err != nil {
					return err
				}
				done = true
				if errno != 0 && ferr == nil {
					ferr = &OpError{Index: -1, Op: "get", Object: fmt.Sprintf("message type %d", msgType), Errno: errno, Msg: text}
				}
			case unix.NLMSG_DONE:
				done = true
			default:
				if len(m.Data) >= nfgenmsgLen && ferr == nil {
					ferr = fn(RawMessage{Type: m.Type & 0xff, Family: Family(m.Data[0]), Attrs: m.Data[nfgenmsgLen:]})
				}
			}
			return nil
		})
		if err != nil {
			c.reset()
			return err
		}
	}
	return ferr
}
