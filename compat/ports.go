package compat

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
)

// parsePort parses a port number or a service name of protocol proto.
func parsePort(s, proto string) (uint16, error) {
	if v, ok := parseUint(s, 0, 65535); ok {
		return uint16(v), nil
	}
	if p, ok := serviceByName(s, proto); ok {
		return p, nil
	}
	return 0, badSpec(s, "invalid port/service `%s' specified", s)
}

// parsePortRange parses "a", "a:b", "a:" and ":b" (b defaults to 65535, a
// to 0), refusing a range whose ends are the wrong way round, as tcp and
// sctp do in iptables 1.8.9.
func parsePortRange(s, proto string) ([2]uint16, error) {
	r, err := parseAnyPortRange(s, proto)
	if err == nil && r[0] > r[1] {
		return r, badSpec(s, "invalid portrange (min > max)")
	}
	return r, err
}

// parseAnyPortRange is parsePortRange taking the ends in any order, as
// udp does in iptables 1.8.9 (its options are parsed by libxtables, which
// does not check; "--dport 200:100" is then a range that matches no
// packet).
func parseAnyPortRange(s, proto string) (r [2]uint16, err error) {
	a, b, isRange := strings.Cut(s, ":")
	if !isRange {
		p, err := parsePort(s, proto)
		return [2]uint16{p, p}, err
	}
	r = [2]uint16{0, 0xffff}
	if a != "" {
		if r[0], err = parsePort(a, proto); err != nil {
			return
		}
	}
	if b != "" {
		if r[1], err = parsePort(b, proto); err != nil {
			return
		}
	}
	return r, nil
}

// portRanges are the source and destination port ranges that start the
// tcp and udp matches' structures (u16 spts[2], u16 dpts[2]); both mark
// their negation with the same two bits of their invflags.
type portRanges struct{ spts, dpts [2]uint16 }

const (
	portsInvSrc = 0x01
	portsInvDst = 0x02
)

// fullPortRanges test no port (0:65535 both ways): the structures' start.
var fullPortRanges = portRanges{spts: [2]uint16{0, 0xffff}, dpts: [2]uint16{0, 0xffff}}

func (p *portRanges) unmarshal(b []byte) {
	p.spts = [2]uint16{hostOrder.Uint16(b[0:]), hostOrder.Uint16(b[2:])}
	p.dpts = [2]uint16{hostOrder.Uint16(b[4:]), hostOrder.Uint16(b[6:])}
}

func (p *portRanges) marshal(b []byte) {
	hostOrder.PutUint16(b[0:], p.spts[0])
	hostOrder.PutUint16(b[2:], p.spts[1])
	hostOrder.PutUint16(b[4:], p.dpts[0])
	hostOrder.PutUint16(b[6:], p.dpts[1])
}

// set stores the source (or destination) range r and its negation.
func (p *portRanges) set(dst bool, r [2]uint16, invert bool, invflags *uint8) {
	bit := uint8(portsInvSrc)
	if dst {
		p.dpts, bit = r, portsInvDst
	} else {
		p.spts = r
	}
	if invert {
		*invflags |= bit
	}
}

// testsNoPort tells whether both ranges are full.
func (p *portRanges) testsNoPort() bool { return p.spts == [2]uint16{0, 0xffff} && p.dpts == p.spts }

// save writes the ranges that test something as -S does.
func (p *portRanges) save(w *Writer, invflags uint8) {
	if p.spts != fullPortRanges.spts {
		w.portRangeOpt(invflags&portsInvSrc != 0, "sport", p.spts[0], p.spts[1])
	}
	if p.dpts != fullPortRanges.dpts {
		w.portRangeOpt(invflags&portsInvDst != 0, "dport", p.dpts[0], p.dpts[1])
	}
}

// print writes them as -L does.
func (p *portRanges) print(w *Writer, invflags uint8) {
	printPorts(w, "spt", p.spts[0], p.spts[1], invflags&portsInvSrc != 0)
	printPorts(w, "dpt", p.dpts[0], p.dpts[1], invflags&portsInvDst != 0)
}

// appendNative appends their native tests.
func (p *portRanges) appendNative(b []byte, invflags uint8) []byte {
	return appendTCPUDPPorts(b, p.spts, p.dpts, invflags&portsInvSrc != 0, invflags&portsInvDst != 0)
}

// portRangeOpt writes " [!] --name LO[:HI]" as iptables-save prints a
// port range, straight into w (a line of a listing prints one or two).
func (w *Writer) portRangeOpt(invert bool, name string, lo, hi uint16) {
	w.Opt(invert, name)
	w.WriteByte(' ')
	w.buf = strconv.AppendUint(w.buf, uint64(lo), 10)
	if lo != hi {
		w.WriteByte(':')
		w.buf = strconv.AppendUint(w.buf, uint64(hi), 10)
	}
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

// appendPorts appends the native test of one port range at transport
// header offset off, as iptables-nft writes it: nothing for the full
// range, cmp for a single port, "cmp lte" for 0:hi, a range otherwise.
func appendPorts(b []byte, off uint32, lo, hi uint16, invert bool) []byte {
	if lo == 0 && hi == 0xffff {
		return b
	}
	b = expr.AppendPayload(b, nftexpr.PayloadBaseTransportHeader, off, 2, 1)
	var l, h [2]byte
	binary.BigEndian.PutUint16(l[:], lo)
	binary.BigEndian.PutUint16(h[:], hi)
	switch {
	case lo == hi:
		return expr.AppendCmp(b, cmpOp(invert), 1, l[:])
	case lo == 0:
		op := nftexpr.CmpOpLte
		if invert {
			op = nftexpr.CmpOpGt
		}
		return expr.AppendCmp(b, op, 1, h[:])
	default:
		return expr.AppendRange(b, cmpOp(invert), 1, l[:], h[:])
	}
}

// appendTCPUDPPorts writes source and destination port tests; two single,
// non-zero ports with the same negation share one 4-byte load.
func appendTCPUDPPorts(b []byte, spts, dpts [2]uint16, invS, invD bool) []byte {
	if spts[0] == spts[1] && dpts[0] == dpts[1] && spts[0] != 0 && dpts[0] != 0 && invS == invD {
		var both [4]byte
		binary.BigEndian.PutUint16(both[:], spts[0])
		binary.BigEndian.PutUint16(both[2:], dpts[0])
		b = expr.AppendPayload(b, nftexpr.PayloadBaseTransportHeader, 0, 4, 1)
		return expr.AppendCmp(b, cmpOp(invS), 1, both[:])
	}
	b = appendPorts(b, 0, spts[0], spts[1], invS)
	return appendPorts(b, 2, dpts[0], dpts[1], invD)
}

// portTest is a native port test read back (decodePorts): the ranges it
// tests, and whether each is negated.
type portTest struct {
	src, dst       bool
	spts, dpts     [2]uint16
	invSrc, invDst bool
}

// apply stores the ranges the test sets, and their negation, into a tcp or
// udp structure's ports and invflags.
func (pt portTest) apply(p *portRanges, invflags *uint8) {
	if pt.src {
		p.set(false, pt.spts, pt.invSrc, invflags)
	}
	if pt.dst {
		p.set(true, pt.dpts, pt.invDst, invflags)
	}
}

// decodePorts recognizes a native port test at d.pos and consumes it: the
// test of one range, or of a source and destination port sharing one
// 4-byte load. It returns false when the expressions there are not a
// port test.
func decodePorts(d *decoder) (portTest, bool) {
	var pt portTest
	p, ok := d.peek(0).(*nftexpr.Payload)
	if !ok || p.Base != nftexpr.PayloadBaseTransportHeader || p.OperationType != nftexpr.PayloadLoad || p.DestRegister != 1 {
		return pt, false
	}
	switch {
	case p.Offset == 0 && p.Len == 4:
		c, ok := d.cmpAt(1)
		if !ok || len(c.Data) != 4 || (c.Op != nftexpr.CmpOpEq && c.Op != nftexpr.CmpOpNeq) {
			return pt, false
		}
		sp, dp := binary.BigEndian.Uint16(c.Data), binary.BigEndian.Uint16(c.Data[2:])
		inv := c.Op == nftexpr.CmpOpNeq
		pt = portTest{src: true, dst: true, spts: [2]uint16{sp, sp}, dpts: [2]uint16{dp, dp}, invSrc: inv, invDst: inv}
	case (p.Offset == 0 || p.Offset == 2) && p.Len == 2:
		lo, hi, inv, ok := decodeRange16(d.peek(1))
		if !ok {
			return pt, false
		}
		if p.Offset == 2 {
			pt.dst, pt.dpts, pt.invDst = true, [2]uint16{lo, hi}, inv
		} else {
			pt.src, pt.spts, pt.invSrc = true, [2]uint16{lo, hi}, inv
		}
	default:
		return pt, false
	}
	d.pos += 2
	return pt, true
}

// decodeRange16 reads a 16-bit comparison back as lo:hi with negation.
func decodeRange16(e Expr) (lo, hi uint16, invert, ok bool) {
	switch c := e.(type) {
	case *nftexpr.Cmp:
		if c.Register != 1 || len(c.Data) != 2 {
			return
		}
		v := binary.BigEndian.Uint16(c.Data)
		switch c.Op {
		case nftexpr.CmpOpEq:
			return v, v, false, true
		case nftexpr.CmpOpNeq:
			return v, v, true, true
		case nftexpr.CmpOpLte:
			return 0, v, false, true
		case nftexpr.CmpOpLt:
			if v > 0 {
				return 0, v - 1, false, true
			}
		case nftexpr.CmpOpGte:
			return v, 0xffff, false, true
		case nftexpr.CmpOpGt:
			if v < 0xffff {
				return v + 1, 0xffff, false, true
			}
		}
	case *nftexpr.Range:
		if c.Register != 1 || len(c.FromData) != 2 || len(c.ToData) != 2 {
			return
		}
		lo, hi = binary.BigEndian.Uint16(c.FromData), binary.BigEndian.Uint16(c.ToData)
		switch c.Op {
		case nftexpr.CmpOpEq:
			return lo, hi, false, true
		case nftexpr.CmpOpNeq:
			return lo, hi, true, true
		}
	}
	return
}
