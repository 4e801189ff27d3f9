package nft

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Binary operations on a statement's value (ct mark set meta mark | 0x10,
// (meta mark | 0x10) << 8): the bitwise expression (netlink_linearize.c's
// netlink_gen_binop), and its reading back.

// Bitwise operations (NFT_BITWISE_*).
const (
	bitwiseBool   = 0
	bitwiseLshift = 1
	bitwiseRshift = 2
)

func xorBytes(a, b []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] ^ b[i]
	}
	return out
}

// hasSelector reports whether e loads something from the packet.
func hasSelector(e Expr) bool {
	switch x := e.(type) {
	case selector:
		return true
	case *binopExpr:
		return hasSelector(x.l) || hasSelector(x.r)
	}
	return false
}

// valueInto computes e, of li's type, into reg: a selector is loaded, &
// | ^ with constants fold into one mask and xor as nft's combine_binop
// does, << and >> shift.
func (r *ruleCtx) valueInto(e Expr, li *lhsInfo, reg uint32) error {
	switch x := e.(type) {
	case selector:
		if err := x.deps(r); err != nil {
			return err
		}
		x.load(r, reg)
		return nil
	case *binopExpr:
		if x.op == "<<" || x.op == ">>" {
			if err := r.valueInto(x.l, li, reg); err != nil {
				return err
			}
			n, err := r.constValue(x.r, &lhsInfo{dt: dtInteger, bits: 32, order: orderHost, lenBytes: 4})
			if err != nil {
				return err
			}
			op := uint32(bitwiseLshift)
			if x.op == ">>" {
				op = bitwiseRshift
			}
			r.emitShift(reg, reg, li.lenBytes, op, binary.BigEndian.Uint32(n))
			return nil
		}
		base, mask, xor, err := r.boolChain(x, li)
		if err != nil {
			return err
		}
		if err := r.valueInto(base, li, reg); err != nil {
			return err
		}
		r.emitBitwise(reg, reg, li.regValue(mask), li.regValue(xor))
		return nil
	}
	return r.cc.errAt(e.span(), "unsupported expression in a statement's value")
}

// boolChain folds x = base op c op c ... (op & | ^, c constant) into
// (base & mask) ^ xor.
func (r *ruleCtx) boolChain(x *binopExpr, li *lhsInfo) (Expr, []byte, []byte, error) {
	var base Expr
	var mask, xor []byte
	if l, ok := x.l.(*binopExpr); ok && l.op != "<<" && l.op != ">>" && hasSelector(l) {
		var err error
		if base, mask, xor, err = r.boolChain(l, li); err != nil {
			return nil, nil, nil, err
		}
	} else {
		base = x.l
		mask = make([]byte, li.lenBytes)
		for i := range mask {
			mask[i] = 0xff
		}
		xor = make([]byte, li.lenBytes)
	}
	if hasSelector(x.r) {
		return nil, nil, nil, r.cc.errAt(x.r.span(), "Binary operation on two selectors is not supported")
	}
	v, err := r.constValue(x.r, li)
	if err != nil {
		return nil, nil, nil, err
	}
	v = fit(v, li.lenBytes)
	var m, c []byte
	switch x.op {
	case "&":
		m, c = v, make([]byte, len(v))
	case "|":
		m = make([]byte, len(v))
		for i := range v {
			m[i] = ^v[i]
		}
		c = v
	case "^":
		m = make([]byte, len(v))
		for i := range m {
			m[i] = 0xff
		}
		c = v
	default:
		return nil, nil, nil, r.cc.errAt(x.srcSpan, "unsupported binary operation")
	}
	// xor = c ^ (xor & m); mask &= m
	return base, andBytes(mask, m), xorBytes(c, andBytes(xor, m)), nil
}

// bitwiseValue reads back a bitwise expression on a register holding a
// value, as the text a statement prints (ct mark | 0x00000001).
func (d *delin) bitwiseValue(a attrMap, rv *regVal) string {
	inner := rv.str
	if inner == "" {
		inner = rv.expr
	}
	if inner == "" {
		if rv.sel == nil {
			return ""
		}
		inner = selText(rv.sel)
	}
	if op := a.u32(nftaBitwiseOp); op == bitwiseLshift || op == bitwiseRshift {
		data := attrsOf(a[nftaBitwiseData])[unix.NFTA_DATA_VALUE]
		var n uint32
		if len(data) >= 4 {
			n = binary.NativeEndian.Uint32(data)
		}
		if strings.ContainsAny(inner, "|&^") {
			inner = "(" + inner + ")"
		}
		return fmt.Sprintf("%s %s %d", inner, map[uint32]string{bitwiseLshift: "<<", bitwiseRshift: ">>"}[op], n)
	}
	if rv.sel == nil {
		return ""
	}
	dt, order := rv.sel.dtype(), rv.sel.order()
	n := (rv.sel.bits() + 7) / 8
	mask := fromReg(fit(a.value(unix.NFTA_BITWISE_MASK), n), order)
	xor := fromReg(fit(a.value(unix.NFTA_BITWISE_XOR), n), order)
	notMask := make([]byte, len(mask))
	allOnes := true
	for i := range mask {
		notMask[i] = ^mask[i]
		allOnes = allOnes && mask[i] == 0xff
	}
	switch {
	case isZero(xor):
		return inner + " & " + formatValue(dt, mask, d.o)
	case string(notMask) == string(xor):
		return inner + " | " + formatValue(dt, xor, d.o)
	case allOnes:
		return inner + " ^ " + formatValue(dt, xor, d.o)
	}
	return inner + " & " + formatValue(dt, mask, d.o) + " ^ " + formatValue(dt, xor, d.o)
}
