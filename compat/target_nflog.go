package compat

import (
	"bytes"
	"strconv"
	"strings"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
	"golang.org/x/sys/unix"
)

// NFLOG: -j NFLOG, always native (an nftables log expression), so its
// payload is iptables-nft's own struct xt_nflog_info_nft (140 bytes): u32
// len, u16 group, u16 threshold, u16 flags, u16 pad, char prefix[128].
// The kernel's xt_nflog_info has a 64-byte prefix, but iptables-nft
// writes the prefix as given (up to 127 bytes, NF_LOG_PREFIXLEN) and
// reads it back whole. --nflog-size sets the COPY_LEN flag, and -S prints
// it whenever the flag is set, "--nflog-size 0" included.

type nflogInfo struct {
	len                     uint32
	group, threshold, flags uint16
	prefix                  [nflogPrefixLen]byte
}

// nflogPrefixLen is NF_LOG_PREFIXLEN, the prefix iptables-nft keeps.
const nflogPrefixLen = 128

func (n *nflogInfo) unmarshal(b []byte) {
	n.len = hostOrder.Uint32(b[0:])
	n.group, n.threshold, n.flags = hostOrder.Uint16(b[4:]), hostOrder.Uint16(b[6:]), hostOrder.Uint16(b[8:])
	copy(n.prefix[:], b[12:12+nflogPrefixLen])
}

func (n *nflogInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], n.len)
	hostOrder.PutUint16(b[4:], n.group)
	hostOrder.PutUint16(b[6:], n.threshold)
	hostOrder.PutUint16(b[8:], n.flags)
	copy(b[12:12+nflogPrefixLen], n.prefix[:])
}

const nflogFCopyLen = 0x1

const (
	nflogOptGroup = iota
	nflogOptPrefix
	nflogOptRange
	nflogOptSize
	nflogOptThreshold
)

func init() {
	Register(&Extension{
		Name: "NFLOG", Target: true, Revision: 0, Size: 12 + nflogPrefixLen,
		Options: []Option{
			{Name: "nflog-group", ID: nflogOptGroup, Type: TypeUint16},
			{Name: "nflog-prefix", ID: nflogOptPrefix, Type: TypeString},
			{Name: "nflog-range", ID: nflogOptRange, Type: TypeUint32, Excl: 1 << nflogOptSize},
			{Name: "nflog-size", ID: nflogOptSize, Type: TypeUint32, Excl: 1 << nflogOptRange},
			{Name: "nflog-threshold", ID: nflogOptThreshold, Type: TypeUint16},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var n nflogInfo
			n.unmarshal(info)
			if err := n.parse(c); err != nil {
				return err
			}
			n.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var sw Writer
			nflogSave(info, &sw)
			w.WriteString(strings.ReplaceAll(sw.String(), " --", " "))
		},
		Save: nflogSave,
		Native: func(info []byte, _ EncodeContext, b []byte) ([]byte, bool) {
			var n nflogInfo
			n.unmarshal(info)
			l := &nftexpr.Log{Key: 1 << unix.NFTA_LOG_GROUP, Group: n.group}
			if p := cStringBytes(n.prefix[:]); len(p) > 0 {
				l.Key |= 1 << unix.NFTA_LOG_PREFIX
				l.Data = p
			}
			if n.flags&nflogFCopyLen != 0 {
				l.Key |= 1 << unix.NFTA_LOG_SNAPLEN
				l.Snaplen = n.len
			}
			if n.threshold != 0 {
				l.Key |= 1 << unix.NFTA_LOG_QTHRESHOLD
				l.QThreshold = n.threshold
			}
			return expr.AppendLog(b, l), true
		},
	})
	registerNative(nflogDecode)
}

func (n *nflogInfo) parse(c *OptionCall) error {
	switch c.Option.ID {
	case nflogOptGroup:
		n.group = uint16(c.Val.Uint)
	case nflogOptPrefix:
		a := c.Arg()
		if a == "" { // the option's .min = 1
			return badSpec(a, "Argument must have a minimum length of 1 characters")
		}
		if strings.ContainsRune(a, '\n') {
			return badSpec(a, "Newlines not allowed in --log-prefix")
		}
		putCString(n.prefix[:], a)
	case nflogOptRange, nflogOptSize:
		n.len = uint32(c.Val.Uint)
		if c.Option.ID == nflogOptSize {
			n.flags |= nflogFCopyLen
		}
	case nflogOptThreshold:
		n.threshold = uint16(c.Val.Uint)
	}
	return nil
}

func nflogDecode(d *decoder) (bool, error) {
	l, ok := d.peek(0).(*nftexpr.Log)
	if !ok || l.Key&(1<<unix.NFTA_LOG_GROUP) == 0 || l.Key&(1<<unix.NFTA_LOG_LEVEL|1<<unix.NFTA_LOG_FLAGS) != 0 ||
		d.spec.Target != nil || d.spec.Verdict != "" {
		return false, nil
	}
	ext := lookup(targets, "NFLOG", d.spec.Family)
	in := d.newInstance(ext, XTAlign(ext.Size))
	n := nflogInfo{group: l.Group}
	if l.Key&(1<<unix.NFTA_LOG_PREFIX) != 0 {
		putCString(n.prefix[:], string(bytes.TrimRight(l.Data, "\x00")))
	}
	if l.Key&(1<<unix.NFTA_LOG_SNAPLEN) != 0 {
		n.len, n.flags = l.Snaplen, nflogFCopyLen
	}
	if l.Key&(1<<unix.NFTA_LOG_QTHRESHOLD) != 0 {
		n.threshold = l.QThreshold
	}
	n.marshal(in.Info)
	d.spec.Target = in
	d.pos++
	return true, nil
}

func nflogSave(info []byte, w *Writer) {
	var n nflogInfo
	n.unmarshal(info)
	if p := cString(n.prefix[:]); p != "" {
		w.Opt(false, "nflog-prefix")
		w.Quoted(p)
	}
	if n.group != 0 {
		w.Opt(false, "nflog-group", strconv.Itoa(int(n.group)))
	}
	if n.flags&nflogFCopyLen != 0 {
		w.Opt(false, "nflog-size", strconv.FormatUint(uint64(n.len), 10))
	} else if n.len != 0 {
		w.Opt(false, "nflog-range", strconv.FormatUint(uint64(n.len), 10))
	}
	if n.threshold != 0 {
		w.Opt(false, "nflog-threshold", strconv.Itoa(int(n.threshold)))
	}
}
