package expr

import (
	"encoding/binary"
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// NFTA_BITWISE_* attribute types and NFT_BITWISE_* operations (OP and
// DATA, and the operations, are not in x/sys/unix).
const (
	bitwiseSreg = unix.NFTA_BITWISE_SREG
	bitwiseDreg = unix.NFTA_BITWISE_DREG
	bitwiseLen  = unix.NFTA_BITWISE_LEN
	bitwiseMask = unix.NFTA_BITWISE_MASK
	bitwiseXor  = unix.NFTA_BITWISE_XOR
	bitwiseOp   = 6
	bitwiseData = 7

	bitwiseBool   = 0
	bitwiseLshift = 1
	bitwiseRshift = 2
)

// formatBitwise prints "reg 1 = ( reg 1 & 0x0000ffff ) ^ 0x00000000 " for
// a mask-and-xor, "reg 1 = ( reg 1 << 0x00000001 ) " for a shift, and
// nothing for an operation libnftnl does not know.
func formatBitwise(_ byte, a attrs) string {
	dreg, sreg := a.u32(bitwiseDreg), a.u32(bitwiseSreg)
	switch a.u32(bitwiseOp) {
	case bitwiseBool:
		return fmt.Sprintf("reg %d = ( reg %d & ", dreg, sreg) + formatData(a, bitwiseMask) +
			") ^ " + formatData(a, bitwiseXor)
	case bitwiseLshift:
		return fmt.Sprintf("reg %d = ( reg %d << ", dreg, sreg) + formatData(a, bitwiseData) + ") "
	case bitwiseRshift:
		return fmt.Sprintf("reg %d = ( reg %d >> ", dreg, sreg) + formatData(a, bitwiseData) + ") "
	}
	return ""
}

// Mask returns a bitwise expression computing reg = (reg & mask) ^ 0 over
// len(mask) bytes: "[ bitwise reg reg = ( reg reg & mask ) ^ 0x00000000 ]".
func Mask(reg uint32, mask []byte) *nftexpr.Bitwise {
	return &nftexpr.Bitwise{
		SourceRegister: reg,
		DestRegister:   reg,
		Len:            uint32(len(mask)),
		Mask:           mask,
		Xor:            make([]byte, len(mask)),
	}
}

// AppendBitwise appends [ bitwise reg DREG = ( reg SREG & MASK ) ^ XOR ].
func AppendBitwise(b []byte, sreg, dreg, length uint32, mask, xor []byte) []byte {
	b, d := beginElem(b, "bitwise")
	b = nlattr.AppendUint32(b, unix.NFTA_BITWISE_SREG, sreg)
	b = nlattr.AppendUint32(b, unix.NFTA_BITWISE_DREG, dreg)
	b = nlattr.AppendUint32(b, unix.NFTA_BITWISE_LEN, length)
	b = appendDataValue(b, unix.NFTA_BITWISE_MASK, mask)
	b = appendDataValue(b, unix.NFTA_BITWISE_XOR, xor)
	return endElem(b, d)
}

// decodeBitwise is decodeFast for a mask-and-xor bitwise.
func decodeBitwise(at []fastAttr, dec *Decoder) (nftexpr.Any, bool) {
	sreg, ok1 := u32Of(at, unix.NFTA_BITWISE_SREG)
	dreg, ok2 := u32Of(at, unix.NFTA_BITWISE_DREG)
	l, ok3 := u32Of(at, unix.NFTA_BITWISE_LEN)
	mask, ok4 := dataValueOf(at, unix.NFTA_BITWISE_MASK)
	xor, ok5 := dataValueOf(at, unix.NFTA_BITWISE_XOR)
	want := 5
	if op, has := u32Of(at, bitwiseOp); has {
		if op != bitwiseBool { // only the mask-and-xor form
			return nil, false
		}
		want = 6
	}
	if ok1 && ok2 && ok3 && ok4 && ok5 && len(at) == want {
		b := dec.bitwise()
		*b = nftexpr.Bitwise{SourceRegister: sreg, DestRegister: dreg, Len: l, Mask: dec.bytes(mask), Xor: dec.bytes(xor)}
		return b, true
	}

	return nil, false
}

// bitwise is a Decoder allocator (decoder.go) for decodeFast.
func (d *Decoder) bitwise() *nftexpr.Bitwise {
	if d == nil {
		return new(nftexpr.Bitwise)
	}
	return slot(&d.bitwises)
}

// bitwiseKeyOmits reports whether the comparison key (key.go) leaves an
// attribute of a bitwise out: the kernel dumps NFTA_BITWISE_OP even for
// the default mask-and-xor, which encoders leave out.
func bitwiseKeyOmits(t uint16, payload []byte) bool {
	return t == bitwiseOp && len(payload) == 4 && binary.BigEndian.Uint32(payload) == bitwiseBool
}
