package compat

import (
	"fmt"
	"strconv"
	"strings"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
)

// tcp: -m tcp (struct xt_tcp, 16 bytes): u16 spts[2] @0, u16 dpts[2] @4,
// u8 option @8, u8 flg_mask @9, u8 flg_cmp @10, u8 invflags @11. Ports are
// host-endian. iptables-nft translates it natively unless --tcp-option is
// used or the match tests nothing.

const (
	tcpInvSrcPt  = 0x01
	tcpInvDstPt  = 0x02
	tcpInvFlags  = 0x04
	tcpInvOption = 0x08
)

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
		Name: "tcp", Revision: 0, Size: 12,
		Options: []Option{
			{Name: "source-port", Aliases: []string{"sport"}, Args: 1, Invert: true, ID: tcpOptSport},
			{Name: "destination-port", Aliases: []string{"dport"}, Args: 1, Invert: true, ID: tcpOptDport},
			{Name: "tcp-flags", Args: 2, Invert: true, ID: tcpOptFlags},
			{Name: "syn", Invert: true, ID: tcpOptSyn},
			{Name: "tcp-option", Args: 1, Invert: true, ID: tcpOptOption},
		},
		Init:        func(info []byte, _ *ParseContext) { putLe16(info[2:], 0xffff); putLe16(info[6:], 0xffff) },
		LegacyParse: tcpParse,
		Final:       tcpFinal,
		Save:        tcpSave,
		Print:       tcpPrint,
		Native:      tcpNative,
	})
	registerNative(tcpDecode)
}

func tcpParse(info []byte, opt *Option, args []string, invert bool, ctx *ParseContext) error {
	switch opt.ID {
	case tcpOptSport, tcpOptDport:
		lo, hi, err := parsePortRange(args[0], "tcp")
		if err != nil {
			return err
		}
		at, bit := 0, byte(tcpInvSrcPt)
		if opt.ID == tcpOptDport {
			at, bit = 4, tcpInvDstPt
		}
		putLe16(info[at:], lo)
		putLe16(info[at+2:], hi)
		if invert {
			info[11] |= bit
		}
	case tcpOptFlags, tcpOptSyn:
		if info[9] != 0 || info[11]&tcpInvFlags != 0 {
			return badSpec("--"+opt.Name, "Only one of `--syn' or `--tcp-flags' may be specified")
		}
		mask, cmp := byte(0x17), byte(0x02)
		if opt.ID == tcpOptFlags {
			var err error
			if mask, err = parseTCPFlags(args[0]); err != nil {
				return err
			}
			if cmp, err = parseTCPFlags(args[1]); err != nil {
				return err
			}
		}
		info[9], info[10] = mask, cmp
		if invert {
			info[11] |= tcpInvFlags
		}
	case tcpOptOption:
		v, ok := parseUint(args[0], 1, 255)
		if !ok {
			return badSpec(args[0], "Bad TCP option \"%s\"", args[0])
		}
		info[8] = byte(v)
		if invert {
			info[11] |= tcpInvOption
		}
	}
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

// protoCheck refuses protocol matches without the matching -p, as the
// kernel (and iptables-nft) would.
func protoCheck(ctx *ParseContext, want uint8, name, what string) error {
	if ctx.Spec.Proto != want {
		return badSpec("-m "+name, "%s match requires '-p %s'", what, name)
	}
	return nil
}

func tcpFinal(info []byte, ctx *ParseContext) error { return protoCheck(ctx, 6, "tcp", "TCP") }

func tcpSave(info []byte, w *Writer) {
	ports := func(name string, at int, bit byte) {
		lo, hi := le16(info[at:]), le16(info[at+2:])
		if lo != 0 || hi != 0xffff {
			w.portRangeOpt(info[11]&bit != 0, name, lo, hi)
		}
	}
	ports("sport", 0, tcpInvSrcPt)
	ports("dport", 4, tcpInvDstPt)
	if info[8] != 0 || info[11]&tcpInvOption != 0 {
		w.Opt(info[11]&tcpInvOption != 0, "tcp-option", strconv.Itoa(int(info[8])))
	}
	if info[9] != 0 || info[11]&tcpInvFlags != 0 {
		w.Opt(info[11]&tcpInvFlags != 0, "tcp-flags", formatTCPFlags(info[9]), formatTCPFlags(info[10]))
	}
}

func portsOf(info []byte) (spts, dpts [2]uint16) {
	return [2]uint16{le16(info[0:]), le16(info[2:])}, [2]uint16{le16(info[4:]), le16(info[6:])}
}

func isFullRange(p [2]uint16) bool { return p[0] == 0 && p[1] == 0xffff }

func tcpNative(info []byte, ctx EncodeContext, b []byte) ([]byte, bool) {
	if ctx.Spec.Proto != 6 {
		// Only a rule read from the kernel can lack -p tcp; keep its
		// xt form, which is what it was.
		return b, false
	}
	spts, dpts := portsOf(info)
	inv := info[11]
	if info[8] != 0 || inv&^(tcpInvSrcPt|tcpInvDstPt|tcpInvFlags) != 0 {
		return b, false
	}
	if isFullRange(spts) && isFullRange(dpts) && info[9] == 0 && inv&tcpInvFlags == 0 {
		return b, false // tests nothing: iptables-nft sends the xt match
	}
	if info[9] != 0 || inv&tcpInvFlags != 0 {
		b = expr.AppendPayload(b, nftexpr.PayloadBaseTransportHeader, 13, 1, 1)
		b = expr.AppendBitwise(b, 1, 1, 1, info[9:10], []byte{0})
		b = expr.AppendCmp(b, cmpOp(inv&tcpInvFlags != 0), 1, info[10:11])
	}
	return appendTCPUDPPorts(b, spts, dpts, inv&tcpInvSrcPt != 0, inv&tcpInvDstPt != 0), true
}

func tcpDecode(d *decoder) (bool, error) {
	if d.spec.Proto != 6 {
		return false, nil
	}
	in := func() *Instance { return d.instance("tcp") }
	if decodePorts(d, in, 11, tcpInvSrcPt, tcpInvDstPt) {
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
	info := in().Info
	info[9], info[10] = b.Mask[0], c.Data[0]
	if c.Op == nftexpr.CmpOpNeq {
		info[11] |= tcpInvFlags
	}
	d.pos += 3
	return true, nil
}

// printPorts writes " spt:22", " dpts:1:2" or nothing, as -L shows ports.
func printPorts(w *Writer, name string, lo, hi uint16, invert bool) {
	if lo == 0 && hi == 0xffff && !invert {
		return
	}
	inv := ""
	if invert {
		inv = "!"
	}
	port := func(p uint16) string {
		if !w.Numeric() {
			if s, ok := serviceName(p, w.proto); ok {
				return s
			}
		}
		return strconv.Itoa(int(p))
	}
	if lo == hi {
		fmt.Fprintf(w, " %s:%s%s", name, inv, port(lo))
		return
	}
	fmt.Fprintf(w, " %ss:%s%s:%s", name, inv, port(lo), port(hi))
}

func tcpPrint(info []byte, w *Writer) {
	w.WriteString(" tcp")
	w.proto = "tcp"
	spts, dpts := portsOf(info)
	inv := info[11]
	printPorts(w, "spt", spts[0], spts[1], inv&tcpInvSrcPt != 0)
	printPorts(w, "dpt", dpts[0], dpts[1], inv&tcpInvDstPt != 0)
	if info[8] != 0 || inv&tcpInvOption != 0 {
		fmt.Fprintf(w, " option=%s%d", map[bool]string{true: "!"}[inv&tcpInvOption != 0], info[8])
	}
	if info[9] != 0 || inv&tcpInvFlags != 0 {
		fmt.Fprintf(w, " flags:%s0x%02X/0x%02X", map[bool]string{true: "!"}[inv&tcpInvFlags != 0], info[9], info[10])
	}
}
