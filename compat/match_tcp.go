package compat

import (
	"fmt"
	"strconv"
	"strings"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
)

// tcp: -m tcp (struct xt_tcp, 16 bytes): u16 spts[2], u16 dpts[2], u8
// option, u8 flg_mask, u8 flg_cmp, u8 invflags. iptables-nft translates
// it natively unless --tcp-option is used or the match tests nothing.

type tcpInfo struct {
	portRanges
	option, flgMask, flgCmp, invflags uint8
}

const (
	tcpInvSrcPt  = 0x01
	tcpInvDstPt  = 0x02
	tcpInvFlags  = 0x04
	tcpInvOption = 0x08
)

func (t *tcpInfo) unmarshal(b []byte) {
	t.portRanges.unmarshal(b)
	t.option, t.flgMask, t.flgCmp, t.invflags = b[8], b[9], b[10], b[11]
}

func (t *tcpInfo) marshal(b []byte) {
	t.portRanges.marshal(b)
	b[8], b[9], b[10], b[11] = t.option, t.flgMask, t.flgCmp, t.invflags
}

const (
	tcpOptSport = iota
	tcpOptDport
	tcpOptFlags
	tcpOptSyn
	tcpOptOption
)

var tcpFlagNames = []struct {
	name string
	bit  byte
}{
	{"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04}, {"PSH", 0x08}, {"ACK", 0x10}, {"URG", 0x20}, {"ALL", 0x3f}, {"NONE", 0},
}

func init() {
	Register(&Extension{
		Name: "tcp", Revision: 0, Size: 12, Proto: 6, ProtoUserspace: true,
		Options: []Option{
			{Name: "source-port", Aliases: []string{"sport"}, ID: tcpOptSport, Type: TypeString, Flags: Invert},
			{Name: "destination-port", Aliases: []string{"dport"}, ID: tcpOptDport, Type: TypeString, Flags: Invert},
			{Name: "tcp-flags", ID: tcpOptFlags, Type: TypeString2, Flags: Invert},
			{Name: "syn", ID: tcpOptSyn, Flags: Invert},
			{Name: "tcp-option", ID: tcpOptOption, Type: TypeString, Flags: Invert},
		},
		Init: func(info []byte, _ *ParseContext) {
			t := tcpInfo{portRanges: fullPortRanges}
			t.marshal(info)
		},
		Parse:  tcpParse,
		Save:   tcpSave,
		Print:  tcpPrint,
		Native: tcpNative,
	})
	registerNative(tcpDecode)
}

func tcpParse(info []byte, c *OptionCall) error {
	var t tcpInfo
	t.unmarshal(info)
	switch c.Option.ID {
	case tcpOptSport, tcpOptDport:
		r, err := parsePortRange(c.Arg(), "tcp")
		if err != nil {
			return err
		}
		t.set(c.Option.ID == tcpOptDport, r, c.Invert, &t.invflags)
	case tcpOptFlags, tcpOptSyn:
		if t.flgMask != 0 || t.invflags&tcpInvFlags != 0 {
			return badSpec("--"+c.Option.Name, "Only one of `--syn' or `--tcp-flags' may be specified")
		}
		mask, cmp := byte(0x17), byte(0x02)
		if c.Option.ID == tcpOptFlags {
			var err error
			if mask, err = parseTCPFlags(c.Args[0]); err != nil {
				return err
			}
			if cmp, err = parseTCPFlags(c.Args[1]); err != nil {
				return err
			}
		}
		t.flgMask, t.flgCmp = mask, cmp
		if c.Invert {
			t.invflags |= tcpInvFlags
		}
	case tcpOptOption:
		v, ok := parseUint(c.Arg(), 1, 255)
		if !ok {
			return badSpec(c.Arg(), "Bad TCP option \"%s\"", c.Arg())
		}
		t.option = byte(v)
		if c.Invert {
			t.invflags |= tcpInvOption
		}
	}
	t.marshal(info)
	return nil
}

func parseTCPFlags(s string) (byte, error) {
	var v byte
	for _, f := range strings.Split(s, ",") {
		found := false
		for _, n := range tcpFlagNames {
			if strings.EqualFold(n.name, f) {
				v |= n.bit
				found = true
				break
			}
		}
		if !found {
			return 0, badSpec(f, "Unknown TCP flag `%s'", f)
		}
	}
	return v, nil
}

func formatTCPFlags(v byte) string {
	if v == 0 {
		return "NONE"
	}
	var parts []string
	for _, n := range tcpFlagNames[:6] {
		if v&n.bit != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, ",")
}

func tcpSave(info []byte, w *Writer) {
	var t tcpInfo
	t.unmarshal(info)
	t.save(w, t.invflags)
	if t.option != 0 || t.invflags&tcpInvOption != 0 {
		w.Opt(t.invflags&tcpInvOption != 0, "tcp-option", strconv.Itoa(int(t.option)))
	}
	if t.flgMask != 0 || t.invflags&tcpInvFlags != 0 {
		w.Opt(t.invflags&tcpInvFlags != 0, "tcp-flags", formatTCPFlags(t.flgMask), formatTCPFlags(t.flgCmp))
	}
}

func tcpNative(info []byte, ctx EncodeContext, b []byte) ([]byte, bool) {
	if ctx.Spec.Proto != 6 {
		// Only a rule read from the kernel can lack -p tcp; keep its
		// xt form, which is what it was.
		return b, false
	}
	var t tcpInfo
	t.unmarshal(info)
	inv := t.invflags
	if t.option != 0 || inv&^(tcpInvSrcPt|tcpInvDstPt|tcpInvFlags) != 0 {
		return b, false
	}
	if t.testsNoPort() && t.flgMask == 0 && t.flgCmp == 0 && inv == 0 {
		// All zero (tcp_all_zero, which compares the negations too):
		// iptables-nft sends the xt match. A negated full range ("!
		// --sport :") is not all zero: it goes native and writes nothing.
		return b, false
	}
	if t.flgMask != 0 {
		b = expr.AppendPayload(b, nftexpr.PayloadBaseTransportHeader, 13, 1, 1)
		b = expr.AppendBitwise(b, 1, 1, 1, []byte{t.flgMask}, []byte{0})
		b = expr.AppendCmp(b, cmpOp(inv&tcpInvFlags != 0), 1, []byte{t.flgCmp})
	}
	return t.appendNative(b, inv), true
}

func tcpDecode(d *decoder) (bool, error) {
	if d.spec.Proto != 6 {
		return false, nil
	}
	in := func() *Instance { return d.instance("tcp") }
	if pt, ok := decodePorts(d); ok {
		var t tcpInfo
		info := in().Info
		t.unmarshal(info)
		pt.apply(&t.portRanges, &t.invflags)
		t.marshal(info)
		return true, nil
	}
	p, ok := d.peek(0).(*nftexpr.Payload)
	if !ok || p.Base != nftexpr.PayloadBaseTransportHeader || p.OperationType != nftexpr.PayloadLoad || p.Offset != 13 || p.Len != 1 || p.DestRegister != 1 {
		return false, nil
	}
	b, ok1 := d.peek(1).(*nftexpr.Bitwise)
	c, ok2 := d.cmpAt(2)
	if !ok1 || !ok2 || b.Len != 1 || len(b.Mask) != 1 || len(c.Data) != 1 || !allZeroBytes(b.Xor) ||
		(c.Op != nftexpr.CmpOpEq && c.Op != nftexpr.CmpOpNeq) {
		return false, nil
	}
	var t tcpInfo
	info := in().Info
	t.unmarshal(info)
	t.flgMask, t.flgCmp = b.Mask[0], c.Data[0]
	if c.Op == nftexpr.CmpOpNeq {
		t.invflags |= tcpInvFlags
	}
	t.marshal(info)
	d.pos += 3
	return true, nil
}

func tcpPrint(info []byte, w *Writer) {
	var t tcpInfo
	t.unmarshal(info)
	w.WriteString(" tcp")
	w.proto = "tcp"
	inv := t.invflags
	t.print(w, inv)
	if t.option != 0 || inv&tcpInvOption != 0 {
		fmt.Fprintf(w, " option=%s%d", map[bool]string{true: "!"}[inv&tcpInvOption != 0], t.option)
	}
	if t.flgMask != 0 || inv&tcpInvFlags != 0 {
		if w.Numeric() {
			fmt.Fprintf(w, " flags:%s0x%02X/0x%02X", map[bool]string{true: "!"}[inv&tcpInvFlags != 0], t.flgMask, t.flgCmp)
		} else {
			// Names without -n: "flags:FIN,SYN,RST,ACK/SYN".
			w.WriteString(" flags:" + invMark(inv&tcpInvFlags != 0) + formatTCPFlags(t.flgMask) + "/" + formatTCPFlags(t.flgCmp))
		}
	}
}
