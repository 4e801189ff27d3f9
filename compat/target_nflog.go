package compat

import (
	"bytes"
	"strconv"
	"strings"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
	"golang.org/x/sys/unix"
)

// NFLOG: -j NFLOG (struct xt_nflog_info, 76 bytes): u32 len @0, u16 group
// @4, u16 threshold @6, u16 flags @8, u16 pad, char prefix[64] @12.
// Always native: an nftables log expression.

const (
	nflogFCopyLen = 0x1
	nflogPrefix   = 12
	nflogPrefixSz = 64
)

const (
	nflogOptGroup = iota
	nflogOptPrefix
	nflogOptRange
	nflogOptSize
	nflogOptThreshold
)

func init() {
	Register(&Extension{
		Name: "NFLOG", Target: true, Revision: 0, Size: 76,
		Options: []Option{
			{Name: "nflog-group", Args: 1, ID: nflogOptGroup},
			{Name: "nflog-prefix", Args: 1, ID: nflogOptPrefix},
			{Name: "nflog-range", Args: 1, ID: nflogOptRange},
			{Name: "nflog-size", Args: 1, ID: nflogOptSize},
			{Name: "nflog-threshold", Args: 1, ID: nflogOptThreshold},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, _ bool, _ *ParseContext) error {
			a := args[0]
			switch opt.ID {
			case nflogOptGroup:
				v, ok := parseUint(a, 0, 0xffff)
				if !ok {
					return badSpec(a, "NFLOG: Bad value for option \"--nflog-group\"")
				}
				putLe16(info[4:], uint16(v))
			case nflogOptPrefix:
				if strings.ContainsRune(a, '\n') {
					return badSpec(a, "Newlines are not allowed in --nflog-prefix")
				}
				putCString(info[nflogPrefix:nflogPrefix+nflogPrefixSz], a)
			case nflogOptRange, nflogOptSize:
				v, ok := parseUint(a, 0, 0xffffffff)
				if !ok {
					return badSpec(a, "NFLOG: Bad value for option \"--%s\"", opt.Name)
				}
				putLe32(info[0:], uint32(v))
				if opt.ID == nflogOptSize {
					putLe16(info[8:], le16(info[8:])|nflogFCopyLen)
				}
			case nflogOptThreshold:
				v, ok := parseUint(a, 0, 0xffff)
				if !ok {
					return badSpec(a, "NFLOG: Bad value for option \"--nflog-threshold\"")
				}
				putLe16(info[6:], uint16(v))
			}
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var sw Writer
			nflogSave(info, &sw)
			w.WriteString(strings.ReplaceAll(sw.String(), " --", " "))
		},
		Save: nflogSave,
		Native: func(info []byte, _ EncodeContext, b []byte) ([]byte, bool) {
			l := &nftexpr.Log{Key: 1 << unix.NFTA_LOG_GROUP, Group: le16(info[4:])}
			if p := cStringBytes(info[nflogPrefix : nflogPrefix+nflogPrefixSz]); len(p) > 0 {
				l.Key |= 1 << unix.NFTA_LOG_PREFIX
				l.Data = p
			}
			if le16(info[8:])&nflogFCopyLen != 0 {
				l.Key |= 1 << unix.NFTA_LOG_SNAPLEN
				l.Snaplen = le32(info[0:])
			}
			if t := le16(info[6:]); t != 0 {
				l.Key |= 1 << unix.NFTA_LOG_QTHRESHOLD
				l.QThreshold = t
			}
			return expr.AppendLog(b, l), true
		},
	})
	registerNative(nflogDecode)
}

func nflogDecode(d *decoder) (bool, error) {
	l, ok := d.peek(0).(*nftexpr.Log)
	if !ok || l.Key&(1<<unix.NFTA_LOG_GROUP) == 0 || l.Key&(1<<unix.NFTA_LOG_LEVEL|1<<unix.NFTA_LOG_FLAGS) != 0 ||
		d.spec.Target != nil || d.spec.Verdict != "" {
		return false, nil
	}
	ext := lookup(targets, "NFLOG", d.spec.Family)
	in := d.newInstance(ext, XTAlign(ext.Size))
	putLe16(in.Info[4:], l.Group)
	if l.Key&(1<<unix.NFTA_LOG_PREFIX) != 0 {
		putCString(in.Info[nflogPrefix:nflogPrefix+nflogPrefixSz], string(bytes.TrimRight(l.Data, "\x00")))
	}
	if l.Key&(1<<unix.NFTA_LOG_SNAPLEN) != 0 {
		putLe32(in.Info[0:], l.Snaplen)
		putLe16(in.Info[8:], nflogFCopyLen)
	}
	if l.Key&(1<<unix.NFTA_LOG_QTHRESHOLD) != 0 {
		putLe16(in.Info[6:], l.QThreshold)
	}
	d.spec.Target = in
	d.pos++
	return true, nil
}

func nflogSave(info []byte, w *Writer) {
	if p := cString(info[nflogPrefix : nflogPrefix+nflogPrefixSz]); p != "" {
		w.Opt(false, "nflog-prefix")
		w.Quoted(p)
	}
	if g := le16(info[4:]); g != 0 {
		w.Opt(false, "nflog-group", strconv.Itoa(int(g)))
	}
	if l := le32(info[0:]); l != 0 {
		if le16(info[8:])&nflogFCopyLen != 0 {
			w.Opt(false, "nflog-size", strconv.FormatUint(uint64(l), 10))
		} else {
			w.Opt(false, "nflog-range", strconv.FormatUint(uint64(l), 10))
		}
	}
	if t := le16(info[6:]); t != 0 {
		w.Opt(false, "nflog-threshold", strconv.Itoa(int(t)))
	}
}
