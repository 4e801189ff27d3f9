package compat

import (
	"fmt"
	"strconv"
)

// ECN (IPv4 only): -j ECN (struct ipt_ECN_info, 3 bytes → 8): u8
// operation (SET_IP 0x01, SET_ECE 0x10, SET_CWR 0x20), u8 ip_ect, u8 the
// TCP bits (ece bit 0, cwr bit 1). --ecn-tcp-remove sets ECE and CWR to 0
// and excludes --ecn-tcp-cwr and --ecn-tcp-ece (0 or 1); --ecn-ip-ect
// takes 0-3; one option is required. An operation of exactly ECE|CWR with
// both 0 prints as --ecn-tcp-remove (-L "TCP remove"). The kernel allows
// it only in the mangle table, and the TCP operations only with -p tcp:
// elsewhere the rule goes to the kernel, which refuses it, as
// iptables-nft lets it.

type ecnTgInfo struct {
	operation, ipECT uint8
	ece, cwr         bool
}

func (e *ecnTgInfo) unmarshal(b []byte) {
	e.operation, e.ipECT = b[0], b[1]
	e.ece, e.cwr = b[2]&1 != 0, b[2]&2 != 0
}

func (e *ecnTgInfo) marshal(b []byte) {
	b[0], b[1] = e.operation, e.ipECT
	b[2] = oneIf[uint8](e.ece) | oneIf[uint8](e.cwr)<<1
}

const (
	ecnOptTCPRemove = iota
	ecnOptTCPCWR
	ecnOptTCPECE
	ecnOptIPECT
)

// The bits of ecnTgInfo.operation.
const (
	ecnOpSetIP  = 0x01
	ecnOpSetECE = 0x10
	ecnOpSetCWR = 0x20
)

// removes reports whether the payload is --ecn-tcp-remove.
func (e *ecnTgInfo) removes() bool {
	return e.operation == ecnOpSetECE|ecnOpSetCWR && !e.ece && !e.cwr
}

func init() {
	Register(&Extension{
		Name: "ECN", Target: true, Family: IPv4, Revision: 0, Size: 3,
		Options: []Option{
			{Name: "ecn-tcp-remove", ID: ecnOptTCPRemove, Excl: 1<<ecnOptTCPCWR | 1<<ecnOptTCPECE},
			{Name: "ecn-tcp-cwr", ID: ecnOptTCPCWR, Type: TypeUint8, Max: 1, Excl: 1 << ecnOptTCPRemove},
			{Name: "ecn-tcp-ece", ID: ecnOptTCPECE, Type: TypeUint8, Max: 1, Excl: 1 << ecnOptTCPRemove},
			{Name: "ecn-ip-ect", ID: ecnOptIPECT, Type: TypeUint8, Max: 3},
		},
		OneOf: &OneOf{IDs: 0xf, Token: "ECN", Msg: "ECN target: An operation is required"},
		Parse: func(info []byte, c *OptionCall) error {
			var e ecnTgInfo
			e.unmarshal(info)
			switch c.Option.ID {
			case ecnOptTCPRemove:
				e.operation = ecnOpSetECE | ecnOpSetCWR
				e.ece, e.cwr = false, false
			case ecnOptTCPCWR:
				e.operation |= ecnOpSetCWR
				e.cwr = c.Val.Uint != 0
			case ecnOptTCPECE:
				e.operation |= ecnOpSetECE
				e.ece = c.Val.Uint != 0
			case ecnOptIPECT:
				e.operation |= ecnOpSetIP
				e.ipECT = uint8(c.Val.Uint)
			}
			e.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var e ecnTgInfo
			e.unmarshal(info)
			if e.removes() {
				w.Opt(false, "ecn-tcp-remove")
				return
			}
			if e.operation&ecnOpSetECE != 0 {
				w.Opt(false, "ecn-tcp-ece", strconv.Itoa(int(oneIf[uint8](e.ece))))
			}
			if e.operation&ecnOpSetCWR != 0 {
				w.Opt(false, "ecn-tcp-cwr", strconv.Itoa(int(oneIf[uint8](e.cwr))))
			}
			if e.operation&ecnOpSetIP != 0 {
				w.Opt(false, "ecn-ip-ect", strconv.Itoa(int(e.ipECT)))
			}
		},
		Print: func(info []byte, w *Writer) {
			var e ecnTgInfo
			e.unmarshal(info)
			w.WriteString(" ECN")
			if e.removes() {
				w.WriteString(" TCP remove")
				return
			}
			if e.operation&ecnOpSetECE != 0 {
				fmt.Fprintf(w, " ECE=%d", oneIf[uint8](e.ece))
			}
			if e.operation&ecnOpSetCWR != 0 {
				fmt.Fprintf(w, " CWR=%d", oneIf[uint8](e.cwr))
			}
			if e.operation&ecnOpSetIP != 0 {
				fmt.Fprintf(w, " ECT codepoint=%d", e.ipECT)
			}
		},
	})
}
