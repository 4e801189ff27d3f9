package nft

import (
	"encoding/binary"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// Linearization: statements become kernel expressions
// (netlink_linearize.c), with registers allocated as nft does.

// ruleCtx is the state of one rule being compiled: its family and hook,
// the expressions so far, the next free register, and the protocols
// known to be present (nft's protocol context), which decide the
// dependencies inserted before a payload match.
type ruleCtx struct {
	cc    *compileCtx
	fam   xtnl.Family
	table string
	chain string
	hook  string
	out   []nexpr
	reg   uint32 // the lowest free 32-bit register, counting NFT_REG_1 as 1
	// proto holds the protocol known at each base (link, network,
	// transport) once a match or dependency settled it.
	proto [4]*protoDesc
	// vlanOff is where the vlan tag the link layer's fields now refer to
	// starts, in bits (0: no vlan tag known); see vlan.go.
	vlanOff int
	// etherTyped says a match settled ether type (vlan fields then need
	// it to be a vlan type).
	etherTyped bool
	// etherDep is the last ether type inserted as a dependency
	// (etherdep.go).
	etherDep uint64
	// sets are the anonymous sets the rule uses, written before it.
	sets []*anonSet
	// icmpType is the ICMP(v6) type the rule matched (icmp.go).
	icmpType uint8
	// inRule says ruleCmd compiles the rule, whose expressions are
	// copied into its message once it is done (see attrs).
	inRule bool
}

const (
	baseLink      = 0
	baseNetwork   = 1
	baseTransport = 2
	baseInner     = 3
)

// regSpace is how many 32-bit registers a value of n bytes takes.
func regSpace(n int) uint32 { return uint32((n + 3) / 4) }

func (r *ruleCtx) getReg(n int) uint32 {
	reg := r.reg
	r.reg += regSpace(n)
	return reg
}

func (r *ruleCtx) putReg(n int) { r.reg -= regSpace(n) }

// kernelReg converts a register as counted here to its number on the
// wire: 128-bit register numbers where the register starts one, 32-bit
// ones otherwise (netlink_put_register).
func kernelReg(reg uint32) uint32 {
	if reg == 0 {
		return 0
	}
	r := reg - 1
	if r%4 == 0 {
		return 1 + r/4
	}
	return r + unix.NFT_REG32_00
}

// attrs is the buffer for one expression's attributes, to pass to emit
// before another is begun: in a rule of ruleCmd one buffer kept from
// expression to expression, whose bytes emit copies into the rule's
// expression data (cc.exprData); elsewhere a new one.
func (r *ruleCtx) attrs() attrBuf {
	if !r.inRule {
		return attrBuf{}
	}
	return attrBuf{b: r.cc.exprTmp[:0]}
}

func (r *ruleCtx) emit(name string, a *attrBuf) {
	data := a.b
	if cc := r.cc; r.inRule {
		off := len(cc.exprData)
		cc.exprData = append(cc.exprData, a.b...)
		data = cc.exprData[off:len(cc.exprData):len(cc.exprData)]
	}
	r.out = append(r.out, nexpr{name: name, data: data})
}

func (r *ruleCtx) emitCmp(reg uint32, op uint32, v []byte) {
	a := r.attrs()
	a.u32(unix.NFTA_CMP_SREG, kernelReg(reg))
	a.u32(unix.NFTA_CMP_OP, op)
	a.data(unix.NFTA_CMP_DATA, v)
	r.emit("cmp", &a)
}

func (r *ruleCtx) emitRange(reg uint32, op uint32, lo, hi []byte) {
	a := r.attrs()
	a.u32(unix.NFTA_RANGE_SREG, kernelReg(reg))
	a.u32(unix.NFTA_RANGE_OP, op)
	a.data(unix.NFTA_RANGE_FROM_DATA, lo)
	a.data(unix.NFTA_RANGE_TO_DATA, hi)
	r.emit("range", &a)
}

func (r *ruleCtx) emitBitwise(sreg, dreg uint32, mask, xor []byte) {
	a := r.attrs()
	a.u32(unix.NFTA_BITWISE_SREG, kernelReg(sreg))
	a.u32(unix.NFTA_BITWISE_DREG, kernelReg(dreg))
	a.u32(unix.NFTA_BITWISE_LEN, uint32(len(mask)))
	a.data(unix.NFTA_BITWISE_MASK, mask)
	a.data(unix.NFTA_BITWISE_XOR, xor)
	r.emit("bitwise", &a)
}

func (r *ruleCtx) emitShift(sreg, dreg uint32, n int, op uint32, by uint32) {
	a := r.attrs()
	a.u32(unix.NFTA_BITWISE_SREG, kernelReg(sreg))
	a.u32(unix.NFTA_BITWISE_DREG, kernelReg(dreg))
	a.u32(nftaBitwiseOp, op)
	a.u32(unix.NFTA_BITWISE_LEN, uint32(n))
	a.data(nftaBitwiseData, binary.NativeEndian.AppendUint32(nil, by))
	r.emit("bitwise", &a)
}

func (r *ruleCtx) emitByteorder(sreg, dreg uint32, op uint32, n, size int) {
	a := r.attrs()
	a.u32(unix.NFTA_BYTEORDER_SREG, kernelReg(sreg))
	a.u32(unix.NFTA_BYTEORDER_DREG, kernelReg(dreg))
	a.u32(unix.NFTA_BYTEORDER_OP, op)
	a.u32(unix.NFTA_BYTEORDER_LEN, uint32(n))
	a.u32(unix.NFTA_BYTEORDER_SIZE, uint32(size))
	r.emit("byteorder", &a)
}

func (r *ruleCtx) emitImmediateData(dreg uint32, v []byte) {
	a := r.attrs()
	a.u32(unix.NFTA_IMMEDIATE_DREG, kernelReg(dreg))
	a.data(unix.NFTA_IMMEDIATE_DATA, v)
	r.emit("immediate", &a)
}

func (r *ruleCtx) emitVerdict(code int32, chain string) {
	a := r.attrs()
	a.u32(unix.NFTA_IMMEDIATE_DREG, 0)
	a.verdictData(unix.NFTA_IMMEDIATE_DATA, code, chain)
	r.emit("immediate", &a)
}

func (r *ruleCtx) emitLookup(sreg, dreg uint32, hasDreg bool, set string, id uint32, inv bool) {
	a := r.attrs()
	a.u32(unix.NFTA_LOOKUP_SREG, kernelReg(sreg))
	if hasDreg {
		a.u32(unix.NFTA_LOOKUP_DREG, kernelReg(dreg))
	}
	a.str(unix.NFTA_LOOKUP_SET, set)
	a.u32(unix.NFTA_LOOKUP_SET_ID, id)
	if inv {
		a.u32(unix.NFTA_LOOKUP_FLAGS, unix.NFT_LOOKUP_F_INV)
	}
	r.emit("lookup", &a)
}

// regBytes converts a big-endian value to register order for order.
func regBytes(b []byte, o byteOrder) []byte {
	if o != orderHost || len(b) <= 1 {
		return b
	}
	out := make([]byte, len(b))
	for i := range b {
		out[i] = b[len(b)-1-i]
	}
	return out
}

// Comparison operators.
const (
	opEq  = unix.NFT_CMP_EQ
	opNeq = unix.NFT_CMP_NEQ
	opLt  = unix.NFT_CMP_LT
	opLte = unix.NFT_CMP_LTE
	opGt  = unix.NFT_CMP_GT
	opGte = unix.NFT_CMP_GTE
)

func cmpOp(op string) uint32 {
	switch op {
	case "!=":
		return opNeq
	case "<":
		return opLt
	case "<=":
		return opLte
	case ">":
		return opGt
	case ">=":
		return opGte
	}
	return opEq
}
