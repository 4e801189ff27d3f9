package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/xtnl/xtnl/compat"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/internal/nsthread"
	"golang.org/x/sys/unix"
)

// A bare NETLINK_NETFILTER socket and a bare message encoder: what the
// floor peer uses to measure the kernel's own cost, and what the child uses
// to check every run's outcome (so a peer that silently did nothing cannot
// post a good time). Nothing here goes through xtnl's Conn.

const (
	nfnlSubsysNFTables = 10
	nfnlMsgBatchBegin  = 0x10
	nfnlMsgBatchEnd    = 0x11
	solNetlink         = 270 // SOL_NETLINK
	netlinkCapAck      = 10  // NETLINK_CAP_ACK: errors echo only the header
	nlmsgHdrLen        = 16
	nfnlHdrLen         = 4
	nftaRuleCompatP    = 1 // NFTA_RULE_COMPAT_PROTO
	nftaRuleCompatF    = 2 // NFTA_RULE_COMPAT_FLAGS
	nftRuleCompatFInv  = 1 << 1
	nfAccept           = 1       // NF_ACCEPT, the built-in chains' policy
	nlmFNonRec         = 0x100   // NLM_F_NONREC: delete a chain only if empty
	recvBufLen         = 1 << 20 // a dump is read 1 MiB at a time
	dumpRcvBuf         = 16 << 20
)

func nftType(t uint16) uint16 { return nfnlSubsysNFTables<<8 | t }

// rawConn is a netlink socket in the caller's network namespace.
type rawConn struct {
	fd  int
	buf []byte
	seq uint32
}

func dialRaw() (*rawConn, error) { return dialRawIn(-1) }

// dialRawIn is dialRaw in the network namespace behind nsFd (-1: the
// caller's).
func dialRawIn(nsFd int) (*rawConn, error) {
	fd, err := nsthread.Socket(nsFd, unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	c := &rawConn{fd: fd, buf: make([]byte, recvBufLen), seq: uint32(time.Now().Unix())}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		c.close()
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	_ = unix.SetsockoptInt(fd, solNetlink, netlinkCapAck, 1)
	// A bound on every wait, so a lost answer fails the run instead of
	// hanging it.
	tv := unix.NsecToTimeval(int64(60 * time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		c.close()
		return nil, fmt.Errorf("netlink SO_RCVTIMEO: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, dumpRcvBuf); err != nil {
		c.close()
		return nil, fmt.Errorf("netlink SO_RCVBUFFORCE: %w", err)
	}
	return c, nil
}

func (c *rawConn) close() { unix.Close(c.fd) }

// fit sizes the send buffer for a datagram of n bytes: nf_tables commits
// only a batch that arrives whole in one sendmsg.
func (c *rawConn) fit(n int) error {
	if err := unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, n+64<<10); err != nil {
		return fmt.Errorf("netlink SO_SNDBUFFORCE %d: %w", n, err)
	}
	return nil
}

// send writes one datagram.
func (c *rawConn) send(b []byte) error {
	if err := unix.Sendto(c.fd, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send %d bytes: %w", len(b), err)
	}
	return nil
}

// recv reads datagrams, calling fn for each message, until fn reports
// done.
func (c *rawConn) recv(fn func(typ, flags uint16, seq uint32, data []byte) (done bool, err error)) error {
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		if err != nil {
			return fmt.Errorf("netlink receive: %w", err)
		}
		b := c.buf[:n]
		for len(b) >= nlmsgHdrLen {
			l := int(binary.NativeEndian.Uint32(b))
			if l < nlmsgHdrLen || l > len(b) {
				return errors.New("netlink: truncated message")
			}
			done, err := fn(binary.NativeEndian.Uint16(b[4:]), binary.NativeEndian.Uint16(b[6:]),
				binary.NativeEndian.Uint32(b[8:]), b[nlmsgHdrLen:l])
			if err != nil || done {
				return err
			}
			b = b[min((l+3)&^3, len(b)):]
		}
	}
}

// errnoOf decodes an NLMSG_ERROR payload: the errno (0 for an ACK) and the
// sequence number it answers.
func errnoOf(data []byte) (unix.Errno, uint32, error) {
	if len(data) < 4+nlmsgHdrLen {
		return 0, 0, errors.New("netlink: truncated error message")
	}
	var errno unix.Errno
	if code := int32(binary.NativeEndian.Uint32(data)); code < 0 {
		errno = unix.Errno(-code)
	}
	return errno, binary.NativeEndian.Uint32(data[4+8:]), nil
}

// commit sends an encoded batch and waits for the ACK of its end message,
// the only message that asked for one.
func (c *rawConn) commit(b *batch) error {
	return c.sendAndWait(b.b, b.endSeq)
}

func (c *rawConn) sendAndWait(b []byte, endSeq uint32) error {
	if err := c.send(b); err != nil {
		return err
	}
	return c.recv(func(typ, _ uint16, seq uint32, data []byte) (bool, error) {
		if typ != unix.NLMSG_ERROR {
			return false, nil
		}
		errno, s, err := errnoOf(data)
		switch {
		case err != nil:
			return true, err
		case errno != 0:
			return true, fmt.Errorf("netlink batch: message %d refused: %w", s, errno)
		}
		return s == endSeq, nil
	})
}

// dumpRules dumps the rules of one ip chain (of the whole table when
// chain is "") without decoding them and returns how many there are.
func (c *rawConn) dumpRules(table, chain string) (int, error) {
	c.seq++
	seq := c.seq
	var e enc
	s := e.begin(nftType(unix.NFT_MSG_GETRULE), unix.NLM_F_REQUEST|unix.NLM_F_DUMP, seq, unix.NFPROTO_IPV4, 0)
	e.str(unix.NFTA_RULE_TABLE, table)
	if chain != "" {
		e.str(unix.NFTA_RULE_CHAIN, chain)
	}
	e.end(s)
	n := 0
	err := c.dump(e.b, seq, "dump "+table+" "+chain, func(typ uint16, _ []byte) error {
		if typ == nftType(unix.NFT_MSG_NEWRULE) {
			n++
		}
		return nil
	})
	return n, err
}

// dump sends the dump request req (sequence number seq) and hands each
// object message of its reply to fn, until the dump's end.
func (c *rawConn) dump(req []byte, seq uint32, what string, fn func(typ uint16, data []byte) error) error {
	if err := c.send(req); err != nil {
		return err
	}
	return c.recv(func(typ, _ uint16, s uint32, data []byte) (bool, error) {
		if s != seq {
			return false, nil
		}
		switch typ {
		case unix.NLMSG_DONE:
			return true, nil
		case unix.NLMSG_ERROR:
			errno, _, err := errnoOf(data)
			if err == nil && errno != 0 {
				err = fmt.Errorf("netlink %s: %w", what, errno)
			}
			return true, err
		}
		return false, fn(typ, data)
	})
}

// enc appends netlink messages and attributes to one buffer, framed as
// xtnl's tx.go frames them.
type enc struct{ b []byte }

func (e *enc) begin(typ, flags uint16, seq uint32, fam byte, resID uint16) int {
	start := len(e.b)
	e.b = binary.NativeEndian.AppendUint32(e.b, 0)
	e.b = binary.NativeEndian.AppendUint16(e.b, typ)
	e.b = binary.NativeEndian.AppendUint16(e.b, flags)
	e.b = binary.NativeEndian.AppendUint32(e.b, seq)
	e.b = binary.NativeEndian.AppendUint32(e.b, 0)
	e.b = append(e.b, fam, 0)
	e.b = binary.BigEndian.AppendUint16(e.b, resID)
	return start
}

func (e *enc) end(start int) { binary.NativeEndian.PutUint32(e.b[start:], uint32(len(e.b)-start)) }

func (e *enc) pad() {
	for len(e.b)%4 != 0 {
		e.b = append(e.b, 0)
	}
}

func (e *enc) str(typ uint16, s string) {
	e.b = binary.NativeEndian.AppendUint16(e.b, uint16(4+len(s)+1))
	e.b = binary.NativeEndian.AppendUint16(e.b, typ)
	e.b = append(e.b, s...)
	e.b = append(e.b, 0)
	e.pad()
}

func (e *enc) u32(typ uint16, v uint32) {
	e.b = binary.NativeEndian.AppendUint16(e.b, 8)
	e.b = binary.NativeEndian.AppendUint16(e.b, typ)
	e.b = binary.BigEndian.AppendUint32(e.b, v)
}

func (e *enc) u64(typ uint16, v uint64) {
	e.b = binary.NativeEndian.AppendUint16(e.b, 12)
	e.b = binary.NativeEndian.AppendUint16(e.b, typ)
	e.b = binary.BigEndian.AppendUint64(e.b, v)
}

func (e *enc) nest(typ uint16) int {
	start := len(e.b)
	e.b = binary.NativeEndian.AppendUint16(e.b, 0) // length, patched by endNest
	e.b = binary.NativeEndian.AppendUint16(e.b, typ|unix.NLA_F_NESTED)
	return start
}

func (e *enc) endNest(start int) { binary.NativeEndian.PutUint16(e.b[start:], uint16(len(e.b)-start)) }

// batch is a pre-encoded nf_tables transaction: BATCH_BEGIN, the
// operations, and a BATCH_END that alone asks for an ACK.
type batch struct {
	enc
	seq    uint32
	endSeq uint32
}

func (c *rawConn) newBatch() *batch {
	c.seq++
	b := &batch{seq: c.seq}
	s := b.begin(nfnlMsgBatchBegin, unix.NLM_F_REQUEST, b.seq, unix.AF_UNSPEC, nfnlSubsysNFTables)
	b.end(s)
	return b
}

// finish closes the batch; c's sequence numbers move past it.
func (b *batch) finish(c *rawConn) {
	b.seq++
	b.endSeq = b.seq
	s := b.begin(nfnlMsgBatchEnd, unix.NLM_F_REQUEST|unix.NLM_F_ACK, b.endSeq, unix.AF_UNSPEC, nfnlSubsysNFTables)
	b.end(s)
	c.seq = b.seq
}

func (b *batch) msg(typ, flags uint16) int {
	b.seq++
	return b.begin(nftType(typ), unix.NLM_F_REQUEST|flags, b.seq, unix.NFPROTO_IPV4, 0)
}

// raw adds a message whose attributes are already encoded: an NFT_MSG_*
// type, its flags besides NLM_F_REQUEST, and its nfgenmsg family.
func (b *batch) raw(typ, flags uint16, fam byte, attrs []byte) {
	b.seq++
	s := b.begin(nftType(typ), unix.NLM_F_REQUEST|flags, b.seq, fam, 0)
	b.b = append(b.b, attrs...)
	b.end(s)
}

func (b *batch) addTable(name string) {
	s := b.msg(unix.NFT_MSG_NEWTABLE, unix.NLM_F_CREATE)
	b.str(unix.NFTA_TABLE_NAME, name)
	b.end(s)
}

// addChain adds a regular chain, or a filter base chain on hook with
// policy accept, as iptables-nft creates the built-in chains.
func (b *batch) addChain(table, name string, hook int) {
	b.addBaseChain(table, name, "filter", hook, 0)
}

// addBaseChain adds a regular chain (hook < 0), or a base chain of type
// typ on hook at priority prio with policy accept and zeroed counters, as
// iptables-nft-restore creates a built-in chain it is given.
func (b *batch) addBaseChain(table, name, typ string, hook int, prio int32) {
	s := b.msg(unix.NFT_MSG_NEWCHAIN, unix.NLM_F_CREATE)
	b.str(unix.NFTA_CHAIN_TABLE, table)
	b.str(unix.NFTA_CHAIN_NAME, name)
	if hook >= 0 {
		h := b.nest(unix.NFTA_CHAIN_HOOK)
		b.u32(unix.NFTA_HOOK_HOOKNUM, uint32(hook))
		b.u32(unix.NFTA_HOOK_PRIORITY, uint32(prio))
		b.endNest(h)
		b.u32(unix.NFTA_CHAIN_POLICY, nfAccept)
		b.str(unix.NFTA_CHAIN_TYPE, typ)
		if typ != "filter" {
			n := b.nest(unix.NFTA_CHAIN_COUNTERS)
			b.u64(unix.NFTA_COUNTER_BYTES, 0)
			b.u64(unix.NFTA_COUNTER_PACKETS, 0)
			b.endNest(n)
		}
	}
	b.end(s)
}

// flushChain deletes every rule of a chain (what declaring an existing
// chain in a --noflush restore does).
func (b *batch) flushChain(table, name string) {
	s := b.msg(unix.NFT_MSG_DELRULE, 0)
	b.str(unix.NFTA_RULE_TABLE, table)
	b.str(unix.NFTA_RULE_CHAIN, name)
	b.end(s)
}

// delChain deletes an empty, unreferenced chain (-X).
func (b *batch) delChain(table, name string) {
	s := b.msg(unix.NFT_MSG_DELCHAIN, nlmFNonRec)
	b.str(unix.NFTA_CHAIN_TABLE, table)
	b.str(unix.NFTA_CHAIN_NAME, name)
	b.end(s)
}

// appendRule encodes rule i exactly as xtnl's compat writes it: the
// rulespec parsed by compat.Parse, turned into expressions by Spec.Rule,
// framed as tx.go frames an append.
func (b *batch) appendRule(table, chain string, i int) error {
	if err := b.appendArgs(table, chain, ruleArgs(i)); err != nil {
		return fmt.Errorf("rule %d: %w", i, err)
	}
	return nil
}

// appendArgs encodes the rule of an iptables rulespec (what follows
// "-A CHAIN") exactly as xtnl's compat writes it.
func (b *batch) appendArgs(table, chain string, args []string) error {
	specs, err := compat.Parse(compat.IPv4, table, chain, args)
	if err != nil {
		return fmt.Errorf("parse %q: %w", args, err)
	}
	for _, sp := range specs {
		r, err := sp.Rule()
		if err != nil {
			return fmt.Errorf("%q: %w", args, err)
		}
		s := b.msg(unix.NFT_MSG_NEWRULE, unix.NLM_F_CREATE|unix.NLM_F_APPEND)
		b.str(unix.NFTA_RULE_TABLE, r.Table)
		b.str(unix.NFTA_RULE_CHAIN, r.Chain)
		n := b.nest(unix.NFTA_RULE_EXPRESSIONS)
		if b.b, err = expr.AppendList(b.b, byte(r.Family), r.Exprs); err != nil {
			return fmt.Errorf("encode %q: %w", args, err)
		}
		b.endNest(n)
		if r.Compat != nil {
			cn := b.nest(unix.NFTA_RULE_COMPAT)
			b.u32(nftaRuleCompatP, r.Compat.Proto)
			var f uint32
			if r.Compat.Invert {
				f = nftRuleCompatFInv
			}
			b.u32(nftaRuleCompatF, f)
			b.endNest(cn)
		}
		b.end(s)
	}
	return nil
}

// chainExists asks the kernel for one chain of an ip table.
func (c *rawConn) chainExists(table, chain string) (bool, error) {
	c.seq++
	seq := c.seq
	var e enc
	s := e.begin(nftType(unix.NFT_MSG_GETCHAIN), unix.NLM_F_REQUEST|unix.NLM_F_ACK, seq, unix.NFPROTO_IPV4, 0)
	e.str(unix.NFTA_CHAIN_TABLE, table)
	e.str(unix.NFTA_CHAIN_NAME, chain)
	e.end(s)
	if err := c.send(e.b); err != nil {
		return false, err
	}
	found := false
	err := c.recv(func(typ, _ uint16, s uint32, data []byte) (bool, error) {
		if s != seq {
			return false, nil
		}
		switch typ {
		case nftType(unix.NFT_MSG_NEWCHAIN):
			found = true
		case unix.NLMSG_ERROR:
			errno, _, err := errnoOf(data)
			switch {
			case err != nil:
				return true, err
			case errno == unix.ENOENT:
				found = false
			case errno != 0:
				return true, fmt.Errorf("netlink get chain %s %s: %w", table, chain, errno)
			}
			return true, nil
		}
		return false, nil
	})
	return found, err
}

// chainNames dumps the chains of an ip table and returns their names (the
// one attribute decoded).
func (c *rawConn) chainNames(table string) ([]string, error) {
	c.seq++
	seq := c.seq
	var e enc
	s := e.begin(nftType(unix.NFT_MSG_GETCHAIN), unix.NLM_F_REQUEST|unix.NLM_F_DUMP, seq, unix.NFPROTO_IPV4, 0)
	e.str(unix.NFTA_CHAIN_TABLE, table)
	e.end(s)
	var names []string
	err := c.dump(e.b, seq, "dump chains of "+table, func(typ uint16, data []byte) error {
		if typ != nftType(unix.NFT_MSG_NEWCHAIN) {
			return nil
		}
		for a := data[nfnlHdrLen:]; len(a) >= 4; {
			l := int(binary.NativeEndian.Uint16(a))
			if l < 4 || l > len(a) {
				return errors.New("netlink: truncated attribute")
			}
			if binary.NativeEndian.Uint16(a[2:])&^unix.NLA_F_NESTED == unix.NFTA_CHAIN_NAME {
				names = append(names, string(bytes.TrimRight(a[4:l], "\x00")))
			}
			a = a[min((l+3)&^3, len(a)):]
		}
		return nil
	})
	return names, err
}
