package expr

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// NFTA_CMP_* attribute types.
const (
	cmpSreg = unix.NFTA_CMP_SREG
	cmpOp   = unix.NFTA_CMP_OP
	cmpData = unix.NFTA_CMP_DATA
)

var cmpOps = []string{"eq", "neq", "lt", "lte", "gt", "gte"}

// formatCmp prints "eq reg 1 0x0000000a ".
func formatCmp(_ byte, a attrs) string {
	return fmt.Sprintf("%s reg %d ", tableName(cmpOps, uint64(a.u32(cmpOp))), a.u32(cmpSreg)) +
		formatData(a, cmpData)
}

// Cmp returns a cmp expression comparing register reg with data:
// "[ cmp op reg reg data ]".
func Cmp(op nftexpr.CmpOp, reg uint32, data []byte) *nftexpr.Cmp {
	return &nftexpr.Cmp{Op: op, Register: reg, Data: data}
}

// AppendCmp appends [ cmp OP reg SREG DATA ].
func AppendCmp(b []byte, op nftexpr.CmpOp, sreg uint32, data []byte) []byte {
	start := len(b)
	b = patch2(b, cmpHead, 20, sreg, 28, uint32(op))
	b = appendDataValue(b, unix.NFTA_CMP_DATA, data)
	return endElem(b, [2]int{start, start + 12})
}

func appendCmpAttrs(b []byte, op nftexpr.CmpOp, sreg uint32, data []byte) []byte {
	b, d := beginElem(b, "cmp")
	b = nlattr.AppendUint32(b, unix.NFTA_CMP_SREG, sreg)
	b = nlattr.AppendUint32(b, unix.NFTA_CMP_OP, uint32(op))
	b = appendDataValue(b, unix.NFTA_CMP_DATA, data)
	return endElem(b, d)
}

// cmpHead is a cmp up to its data, which varies in length (a template:
// see meta.go).
var cmpHead = template(32, appendCmpAttrs(nil, 0, 0, nil)[:32])

// decodeCmp is decodeFast for a cmp.
func decodeCmp(at []fastAttr, dec *Decoder) (nftexpr.Any, bool) {
	sreg, ok1 := u32Of(at, unix.NFTA_CMP_SREG)
	op, ok2 := u32Of(at, unix.NFTA_CMP_OP)
	v, ok3 := dataValueOf(at, unix.NFTA_CMP_DATA)
	if ok1 && ok2 && ok3 && len(at) == 3 {
		c := dec.cmp()
		*c = nftexpr.Cmp{Op: nftexpr.CmpOp(op), Register: sreg, Data: dec.bytes(v)}
		return c, true
	}

	return nil, false
}

// cmp is a Decoder allocator (decoder.go) for decodeFast.
func (d *Decoder) cmp() *nftexpr.Cmp {
	if d == nil {
		return new(nftexpr.Cmp)
	}
	return slot(&d.cmps)
}
