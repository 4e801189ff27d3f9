package compat

import (
	"encoding/binary"
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
func parsePortRange(s, proto string) (lo, hi uint16, err error) {
	lo, hi, err = parseAnyPortRange(s, proto)
	if err == nil && lo > hi {
		return 0, 0, badSpec(s, "invalid portrange (min > max)")
	}
	return lo, hi, err
}

// parseAnyPortRange is parsePortRange taking the ends in any order, as
// udp does in iptables 1.8.9 (its options are parsed by libxtables, which
// does not check; "--dport 200:100" is then a range that matches no
// packet).
func parseAnyPortRange(s, proto string) (lo, hi uint16, err error) {
	a, b, isRange := strings.Cut(s, ":")
	if !isRange {
		p, err := parsePort(s, proto)
		return p, p, err
	}
	lo, hi = 0, 0xffff
	if a != "" {
		if lo, err = parsePort(a, proto); err != nil {
			return
		}
	}
	if b != "" {
		if hi, err = parsePort(b, proto); err != nil {
			return
		}
	}
	return lo, hi, nil
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

// decodePorts recognizes native port tests at d.pos for a match whose
// ports sit at the start of its payload (tcp, udp): spts at 0, dpts at 4,
// with invert bits invSrc / invDst at byte invOff. It returns false when
// the expressions there are not a port test.
func decodePorts(d *decoder, in func() *Instance, invOff int, invSrc, invDst byte) bool {
	p, ok := d.peek(0).(*nftexpr.Payload)
	if !ok || p.Base != nftexpr.PayloadBaseTransportHeader || p.OperationType != nftexpr.PayloadLoad || p.DestRegister != 1 {
		return false
	}
	switch {
	case p.Offset == 0 && p.Len == 4:
		c, ok := d.cmpAt(1)
		if !ok || len(c.Data) != 4 || (c.Op != nftexpr.CmpOpEq && c.Op != nftexpr.CmpOpNeq) {
			return false
		}
		info := in().Info
		sp, dp := binary.BigEndian.Uint16(c.Data), binary.BigEndian.Uint16(c.Data[2:])
		putLe16(info[0:], sp)
		putLe16(info[2:], sp)
		putLe16(info[4:], dp)
		putLe16(info[6:], dp)
		if c.Op == nftexpr.CmpOpNeq {
			info[invOff] |= invSrc | invDst
		}
		d.pos += 2
		return true
	case (p.Offset == 0 || p.Offset == 2) && p.Len == 2:
		lo, hi, inv, ok := decodeRange16(d.peek(1))
		if !ok {
			return false
		}
		info := in().Info
		at, bit := 0, invSrc
		if p.Offset == 2 {
			at, bit = 4, invDst
		}
		putLe16(info[at:], lo)
		putLe16(info[at+2:], hi)
		if inv {
			info[invOff] |= bit
		}
		d.pos += 2
		return true
	}
	return false
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
