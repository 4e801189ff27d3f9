package nft

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// The printer's reading of what registers go through besides a plain
// load: shifts and masks with an xor, ranges, concatenations, and the
// loads of expression kinds that register themselves (rt, fib).

// shift records a bitwise shift (ct mark >> 8) on a register holding a
// selector; false when a is no shift.
func (d *delin) shift(a attrMap) bool {
	rv := d.regs[a.u32(unix.NFTA_BITWISE_SREG)]
	if rv == nil || !a.has(nftaBitwiseOp) || a.u32(nftaBitwiseOp) == bitwiseBool {
		return false
	}
	nv := *rv
	by := a.value(nftaBitwiseData)
	n := uint32(0)
	if len(by) == 4 {
		n = binary.NativeEndian.Uint32(by)
	}
	nv.shift = fmt.Sprintf(" %s %d", map[uint32]string{bitwiseLshift: "<<", bitwiseRshift: ">>"}[a.u32(nftaBitwiseOp)], n)
	d.regs[a.u32(unix.NFTA_BITWISE_DREG)] = &nv
	return true
}

// selectorLoads read back a load into a register of the expression kinds
// that register themselves here (rt, fib, ...): the selector and the
// register.
var selectorLoads = map[string]func(a attrMap) (selector, uint32, bool){}

// maskedSelText prints a selector's value under a bitwise mask and xor.
func (d *delin) maskedSelText(rv *regVal) string {
	plain := &regVal{sel: rv.sel}
	xor := rv.xor
	if xor == nil {
		xor = make([]byte, len(rv.mask))
	}
	switch {
	case isZero(xor):
		return selText(rv.sel) + " & " + d.valText(plain, rv.mask, false)
	case isZero(andBytes(rv.mask, xor)) && isAllOnes(orBytes(rv.mask, xor)):
		return selText(rv.sel) + " | " + d.valText(plain, xor, false)
	case isAllOnes(rv.mask):
		return selText(rv.sel) + " ^ " + d.valText(plain, xor, false)
	}
	return "(" + selText(rv.sel) + " & " + d.valText(plain, rv.mask, false) + ") ^ " + d.valText(plain, xor, false)
}

// prefixType reports the types nft prints a prefix mask of as /N
// (DTYPE_F_PREFIX).
func prefixType(dt *Datatype) bool {
	switch dt {
	case dtIPv4, dtIPv6, dtMark, dtDevGroup, dtRealm:
		return true
	}
	return false
}

// maskXorText prints a match on (x & mask) ^ xor: "x | v" when the mask
// clears exactly the bits the xor sets, as nft writes an or.
func (d *delin) maskXorText(rv *regVal, opText string, v []byte) string {
	sel := rv.sel
	plain := &regVal{sel: sel}
	eq := map[string]string{"": "== "}[opText] + opText
	if len(rv.mask) == len(rv.xor) && isZero(andBytes(rv.mask, rv.xor)) && isAllOnes(orBytes(rv.mask, rv.xor)) {
		return fmt.Sprintf("%s | %s %s%s", selText(sel), d.valText(plain, rv.xor, false), eq, d.valText(rv, v, false))
	}
	if isAllOnes(rv.mask) {
		return fmt.Sprintf("%s ^ %s %s%s", selText(sel), d.valText(plain, rv.xor, false), eq, d.valText(rv, v, false))
	}
	return fmt.Sprintf("(%s & %s) ^ %s %s%s", selText(sel), d.valText(plain, rv.mask, false), d.valText(plain, rv.xor, false), eq, d.valText(rv, v, false))
}

func isAllOnes(b []byte) bool {
	for _, c := range b {
		if c != 0xff {
			return false
		}
	}
	return true
}

// rangeText prints lo-hi numerically, as nft prints ranges.
func (d *delin) rangeText(rv *regVal, lo, hi []byte, bigEndian bool) string {
	saved := d.o
	d.o = numericOptions(saved)
	defer func() { d.o = saved }()
	return d.valText(rv, lo, bigEndian) + "-" + d.valText(rv, hi, bigEndian)
}

// concatAt gathers the parts of a concatenation loaded from kernel
// register sreg on, each in the registers after the one before, up to
// keyLen bytes; nil when a register holds no selector.
func (d *delin) concatAt(sreg uint32, keyLen int) []selector {
	r := sreg - unix.NFT_REG32_00 + 1 // as counted by getReg
	if sreg >= 1 && sreg <= 4 {
		r = (sreg-1)*4 + 1
	}
	var sels []selector
	for n := 0; n < keyLen; {
		rv := d.regs[kernelReg(r)]
		if rv == nil || rv.sel == nil || rv.mask != nil {
			return nil
		}
		sels = append(sels, rv.sel)
		space := regSpace((rv.sel.bits() + 7) / 8)
		n += int(space) * 4
		r += space
	}
	return sels
}
