package nft

import (
	"math/big"

	"golang.org/x/sys/unix"
)

// The payload statement, "ip ttl set 23" (evaluate.c's
// stmt_evaluate_payload, netlink_linearize.c's netlink_gen_payload_stmt):
// a header field rewritten in place, with the checksums that cover it
// fixed up by the kernel (none for a raw payload). A field that is no
// whole number of bytes, or an odd number of bytes under a 16-bit
// checksum, is rewritten through a load of the bytes around it, a mask
// and an xor.

// payloadCsum is where a header's own checksum sits (bytes) and of what
// kind, for the headers nft updates.
func payloadCsum(d *protoDesc) (typ, off uint32) {
	switch d {
	case protoIP:
		return unix.NFT_PAYLOAD_CSUM_INET, 10
	case protoTCP:
		return unix.NFT_PAYLOAD_CSUM_INET, 16
	case protoUDP, protoUDPLite:
		return unix.NFT_PAYLOAD_CSUM_INET, 6
	case protoICMP, protoICMP6, protoIGMP:
		return unix.NFT_PAYLOAD_CSUM_INET, 2
	case protoSCTP:
		return unix.NFT_PAYLOAD_CSUM_SCTP, 8
	}
	return 0, 0
}

// inPseudoHeader reports fields the transport checksum covers through
// its pseudo-header: the addresses and the protocol.
func inPseudoHeader(e *payloadExpr) bool {
	if e.field == nil {
		return false // raw
	}
	switch e.field.name {
	case "saddr", "daddr", "protocol", "nexthdr":
		return e.desc == protoIP || e.desc == protoIP6
	}
	return false
}

// compileSet linearizes "field set value" for a header field.
func (e *payloadExpr) compileSet(r *ruleCtx, val Expr) error {
	// A raw payload (@nh,144,48 set ...) has no dependency and no
	// checksum: nft writes its bytes as they are.
	if err := e.deps(r); err != nil {
		return err
	}
	csumType, csumOff := payloadCsum(e.desc)
	off, bits := e.offset(), e.bits()
	byteOff := off / 8
	n, shift, bf := e.geom()
	adjust := bf || csumType == unix.NFT_PAYLOAD_CSUM_INET && n%2 == 1
	if adjust && csumType == unix.NFT_PAYLOAD_CSUM_INET && n%2 == 1 {
		// a 16-bit checksum is updated a 16-bit word at a time
		n++
		if byteOff%2 == 1 {
			byteOff--
		} else {
			shift += 8
		}
	}
	li := &lhsInfo{dt: e.dtype(), bits: bits, order: e.order(), lenBytes: (bits + 7) / 8}
	var reg uint32
	if !adjust {
		var err error
		if reg, err = r.loadValue(val, li); err != nil {
			return err
		}
	} else {
		v, err := r.constValue(val, li)
		if err != nil {
			return err
		}
		all := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(n*8)), big.NewInt(1))
		field := new(big.Int).Lsh(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(bits)), big.NewInt(1)), uint(shift))
		mask := fit(new(big.Int).Xor(all, field).Bytes(), n)
		xor := fit(new(big.Int).Lsh(new(big.Int).SetBytes(v), uint(shift)).Bytes(), n)
		reg = r.getReg(n)
		emitPayloadLoad(r, e.base(), byteOff, n, reg)
		r.emitBitwise(reg, reg, mask, xor)
		li.lenBytes = n
	}
	var a attrBuf
	a.u32(unix.NFTA_PAYLOAD_SREG, kernelReg(reg))
	a.u32(unix.NFTA_PAYLOAD_BASE, uint32(e.base()))
	a.u32(unix.NFTA_PAYLOAD_OFFSET, uint32(byteOff))
	a.u32(unix.NFTA_PAYLOAD_LEN, uint32(n))
	if csumType != 0 {
		a.u32(unix.NFTA_PAYLOAD_CSUM_TYPE, csumType)
		a.u32(unix.NFTA_PAYLOAD_CSUM_OFFSET, csumOff)
	}
	if inPseudoHeader(e) {
		a.u32(unix.NFTA_PAYLOAD_CSUM_FLAGS, unix.NFT_PAYLOAD_L4CSUM_PSEUDOHDR)
	}
	r.emit("payload", &a)
	r.putReg(li.lenBytes)
	return nil
}

// delinPayloadWrite prints a payload write: the field and the value an
// immediate put in the register, or that a load, mask and xor of the
// bytes around the field put there.
func (d *delin) delinPayloadWrite(a attrMap) string {
	base := int(a.u32(unix.NFTA_PAYLOAD_BASE))
	off := int(a.u32(unix.NFTA_PAYLOAD_OFFSET))
	n := int(a.u32(unix.NFTA_PAYLOAD_LEN))
	rv := d.regs[a.u32(unix.NFTA_PAYLOAD_SREG)]
	if rv == nil {
		return "<payload set>"
	}
	if rv.text == "imm" {
		sel := d.payloadAt(base, off*8, n*8)
		d.killDeps(sel)
		return d.setText(selText(sel), sel, a.u32(unix.NFTA_PAYLOAD_SREG))
	}
	if rv.mask == nil || rv.xor == nil || len(rv.mask) != n {
		return "<payload set>"
	}
	// the field is where the mask clears bits
	inv := new(big.Int).Xor(new(big.Int).SetBytes(rv.mask), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(n*8)), big.NewInt(1)))
	if inv.Sign() == 0 {
		return "<payload set>"
	}
	shift := int(inv.TrailingZeroBits())
	bits := inv.BitLen() - shift
	fieldOff := off*8 + n*8 - shift - bits
	if base == baseLink {
		// a vlan tag's field (vlan id set 2), once a match put it there
		if sel, ok := d.vlanFieldAt(fieldOff, bits).(*payloadExpr); ok && sel.bits() == bits {
			d.killDeps(sel)
			v := new(big.Int).Rsh(new(big.Int).SetBytes(rv.xor), uint(shift))
			return selText(sel) + " set " + formatValue(sel.dtype(), fit(v.Bytes(), (bits+7)/8), d.o)
		}
	}
	desc := d.proto[base]
	if desc == nil {
		return "<payload set>"
	}
	for i := range desc.fields {
		f := &desc.fields[i]
		if desc.offset+f.offset != fieldOff || f.bits != bits {
			continue
		}
		sel := &payloadExpr{desc: desc, field: f}
		d.killDeps(sel)
		v := new(big.Int).Rsh(new(big.Int).SetBytes(rv.xor), uint(shift))
		return selText(sel) + " set " + formatValue(f.dt, fit(v.Bytes(), (bits+7)/8), d.o)
	}
	return "<payload set>"
}
