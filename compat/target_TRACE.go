package compat

import (
	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
)

// TRACE: -j TRACE, no options. iptables-nft writes it natively, in any
// table and chain: "[ immediate reg 9 0x00000001 ] [ meta set nftrace with
// reg 9 ]" (register 9 is NFT_REG32_01, the value one byte). -S prints
// "-j TRACE", -L nothing beside the target's name.

// traceReg is the register iptables-nft loads the 1 into.
const traceReg = 9

// traceExprs are the expressions of -j TRACE.
var traceExprs = func() []byte {
	b, err := expr.AppendList(nil, byte(IPv4.xtnlFamily()), []Expr{
		&nftexpr.Immediate{Register: traceReg, Data: []byte{1}},
		&nftexpr.Meta{Key: nftexpr.MetaKeyNFTRACE, SourceRegister: true, Register: traceReg},
	})
	if err != nil {
		panic("compat: TRACE expressions: " + err.Error())
	}
	return b
}()

func init() {
	Register(&Extension{
		Name: "TRACE", Target: true, Revision: 0, Size: 0,
		Native: func(_ []byte, _ EncodeContext, b []byte) ([]byte, bool) {
			return append(b, traceExprs...), true
		},
		Save:  func([]byte, *Writer) {},
		Print: func([]byte, *Writer) {},
	})
	registerNative(traceDecode)
}

// traceDecode reads the two expressions of -j TRACE at the end of a rule.
func traceDecode(d *decoder) (bool, error) {
	s := d.spec
	imm, ok1 := d.peek(0).(*nftexpr.Immediate)
	m, ok2 := d.peek(1).(*nftexpr.Meta)
	if !ok1 || !ok2 || d.pos+2 != len(d.exprs) || s.Target != nil || s.Verdict != "" ||
		imm.Register != traceReg || len(imm.Data) != 1 || imm.Data[0] != 1 ||
		m.Key != nftexpr.MetaKeyNFTRACE || !m.SourceRegister || m.Register != traceReg {
		return false, nil
	}
	s.Target = d.newInstance(lookup(targets, "TRACE", s.Family), 0)
	d.pos += 2
	return true, nil
}
