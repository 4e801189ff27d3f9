package compat

import (
	"fmt"
	"strconv"
)

// SYNPROXY: -j SYNPROXY [--sack-perm] [--timestamp] [--wscale N] [--mss N]
// [--ecn] (struct xt_synproxy_info, 4 bytes → 8): u8 options (MSS 0x01,
// WSCALE 0x02, SACK_PERM 0x04, TIMESTAMP 0x08, ECN 0x10), u8 wscale, u16
// mss. --wscale and --mss are read as u32 and cut to the field ("--wscale
// 256" is 0). -S and -L print in that order. The kernel allows it only
// with -p tcp and in the INPUT and FORWARD hooks: elsewhere the rule goes
// to the kernel, which refuses it, as iptables-nft lets it.

type synproxyInfo struct {
	options, wscale uint8
	mss             uint16
}

func (s *synproxyInfo) unmarshal(b []byte) {
	s.options, s.wscale, s.mss = b[0], b[1], hostOrder.Uint16(b[2:])
}

func (s *synproxyInfo) marshal(b []byte) {
	b[0], b[1] = s.options, s.wscale
	hostOrder.PutUint16(b[2:], s.mss)
}

const (
	synproxyOptSackPerm = iota
	synproxyOptTimestamp
	synproxyOptWscale
	synproxyOptMSS
	synproxyOptECN
)

// The bits of synproxyInfo.options.
const (
	synproxyMSS       = 0x01
	synproxyWscale    = 0x02
	synproxySackPerm  = 0x04
	synproxyTimestamp = 0x08
	synproxyECN       = 0x10
)

func init() {
	Register(&Extension{
		Name: "SYNPROXY", Target: true, Revision: 0, Size: 4,
		Options: []Option{
			{Name: "sack-perm", ID: synproxyOptSackPerm},
			{Name: "timestamp", ID: synproxyOptTimestamp},
			{Name: "wscale", ID: synproxyOptWscale, Type: TypeUint32},
			{Name: "mss", ID: synproxyOptMSS, Type: TypeUint32},
			{Name: "ecn", ID: synproxyOptECN},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var s synproxyInfo
			s.unmarshal(info)
			switch c.Option.ID {
			case synproxyOptSackPerm:
				s.options |= synproxySackPerm
			case synproxyOptTimestamp:
				s.options |= synproxyTimestamp
			case synproxyOptWscale:
				s.options |= synproxyWscale
				s.wscale = uint8(c.Val.Uint)
			case synproxyOptMSS:
				s.options |= synproxyMSS
				s.mss = uint16(c.Val.Uint)
			case synproxyOptECN:
				s.options |= synproxyECN
			}
			s.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var s synproxyInfo
			s.unmarshal(info)
			if s.options&synproxySackPerm != 0 {
				w.Opt(false, "sack-perm")
			}
			if s.options&synproxyTimestamp != 0 {
				w.Opt(false, "timestamp")
			}
			if s.options&synproxyWscale != 0 {
				w.Opt(false, "wscale", strconv.Itoa(int(s.wscale)))
			}
			if s.options&synproxyMSS != 0 {
				w.Opt(false, "mss", strconv.Itoa(int(s.mss)))
			}
			if s.options&synproxyECN != 0 {
				w.Opt(false, "ecn")
			}
		},
		Print: func(info []byte, w *Writer) {
			var s synproxyInfo
			s.unmarshal(info)
			w.WriteString(" SYNPROXY ")
			if s.options&synproxySackPerm != 0 {
				w.WriteString("sack-perm ")
			}
			if s.options&synproxyTimestamp != 0 {
				w.WriteString("timestamp ")
			}
			if s.options&synproxyWscale != 0 {
				fmt.Fprintf(w, "wscale %d ", s.wscale)
			}
			if s.options&synproxyMSS != 0 {
				fmt.Fprintf(w, "mss %d ", s.mss)
			}
			if s.options&synproxyECN != 0 {
				w.WriteString("ecn ")
			}
		},
	})
}
