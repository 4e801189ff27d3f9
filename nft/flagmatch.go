package nft

import (
	"fmt"
	"math/big"
	"math/bits"
	"strings"
)

// Flag comparisons on bitmask types (tcp flags, ct state): "x ! a,b"
// (none of them set), "x v / m" (the bits of m are v, nft's flagcmp
// expression), and how nft prints a masked compare of a bitmask back
// (netlink_delinearize.c's relational_binop_postprocess).

// flagCmp parses "/ MASK" after a relational's value: x [op] v / m is
// (x & m) op v, m and v lists of flags.
func (p *parser) flagCmp(lhs Expr, op string, val Expr) Stmt {
	p.i++ // "/"
	mask := p.rhsExpr()
	if _, ok := mask.(*listExpr); !ok {
		// nft's grammar wants a list of flags here
		t := p.peek()
		p.fail(t, "syntax error, unexpected "+tokDesc(t)+", expecting comma")
	}
	if op == "" {
		op = "=="
	}
	if lv, ok := val.(*listExpr); ok {
		val = orChain(lv)
	}
	l := &binopExpr{srcSpan: spanOf(lhs.span(), mask.span()), op: "&", l: lhs, r: mask}
	rel := &relExpr{srcSpan: spanOf(lhs.span(), mask.span()), op: op, l: l, r: val}
	return &matchStmt{srcSpan: rel.srcSpan, rel: rel}
}

// orChain turns a list of flags into the binary or of them.
func orChain(l *listExpr) Expr {
	e := l.items[0]
	for _, it := range l.items[1:] {
		e = &binopExpr{srcSpan: spanOf(e.span(), it.span()), op: "|", l: e, r: it}
	}
	return e
}

// flagUnion ors a list of flags into one value.
func (r *ruleCtx) flagUnion(l *listExpr, li *lhsInfo) ([]byte, error) {
	var v []byte
	for _, it := range l.items {
		b, err := r.constValue(it, li)
		if err != nil {
			return nil, err
		}
		if v == nil {
			v = b
		} else {
			v = orBytes(v, b)
		}
	}
	return v, nil
}

// negatedFlagTest is "x ! flags": (x & flags) == 0.
func (r *ruleCtx) negatedFlagTest(rel *relExpr, li *lhsInfo) error {
	if li.mask != nil {
		return r.cc.errAt(rel.srcSpan, "cannot combine negation with binary expression")
	}
	if !li.dt.Bitmask {
		return r.cc.errAt(rel.srcSpan, "negation can only be used with singleton bitmask values")
	}
	v, err := r.constValue(rel.r, li)
	if err != nil {
		return err
	}
	reg := r.getReg(li.lenBytes)
	li.sels[0].load(r, reg)
	m := li.regValue(v)
	r.emitBitwise(reg, reg, m, make([]byte, len(m)))
	r.emitCmp(reg, opEq, make([]byte, len(m)))
	r.putReg(li.lenBytes)
	return nil
}

// flagNames lists the flags of v as nft's binop_tree_to_list does,
// lowest bit first, a bit without a name in hex.
func flagNames(dt *Datatype, v uint64) []string {
	var out []string
	for v != 0 {
		b := v & -v
		v &^= b
		name := fmt.Sprintf("0x%x", b)
		for _, s := range dt.Symbols {
			if s.val == b {
				name = s.name
				break
			}
		}
		out = append(out, name)
	}
	return out
}

// maskedFlagText prints "x & mask OP v" on a bitmask type as nft does:
// "x flags" and "x ! flags" for tests against zero, "x v / mask" when the
// value differs from the mask or has several flags, and the binary
// operation itself otherwise. ok is false for types that are not
// bitmasks.
func maskedFlagText(sel selector, mask, v []byte, op uint32, o *PrintOptions) (string, bool) {
	dt := sel.dtype()
	if !dt.Bitmask {
		return "", false
	}
	if o != nil && o.Numeric {
		// -n: every flag in hex
		numeric := *dt
		numeric.Symbols = nil
		dt = &numeric
	}
	m := new(big.Int).SetBytes(fromReg(mask, sel.order())).Uint64()
	val := new(big.Int).SetBytes(fromReg(v, sel.order())).Uint64()
	name := selText(sel)
	if op == opEq || op == opNeq {
		switch {
		case val == 0 && op == opNeq:
			return name + " " + strings.Join(flagNames(dt, m), ","), true
		case val == 0:
			return name + " ! " + strings.Join(flagNames(dt, m), ","), true
		case val != m || bits.OnesCount64(val) > 1:
			neg := " "
			if op == opNeq {
				neg = " != "
			}
			return name + neg + strings.Join(flagNames(dt, val), ",") + " / " + strings.Join(flagNames(dt, m), ","), true
		}
	}
	opText := map[uint32]string{opEq: "==", opNeq: "!=", opLt: "<", opLte: "<=", opGt: ">", opGte: ">="}[op]
	return fmt.Sprintf("%s & %s %s %s", name, flagBinop(dt, m), opText, flagValueText(dt, val)), true
}

// flagBinop prints a mask as the flags it ors, in parentheses when
// several.
func flagBinop(dt *Datatype, m uint64) string {
	names := flagNames(dt, m)
	if len(names) == 1 {
		return names[0]
	}
	return "(" + strings.Join(names, " | ") + ")"
}

// flagValueText prints one bitmask value as nft prints a constant: its
// flag's name, or hex when it is not a single flag.
func flagValueText(dt *Datatype, v uint64) string {
	if bits.OnesCount64(v) == 1 {
		return flagNames(dt, v)[0]
	}
	return fmt.Sprintf("0x%x", v)
}

// allZero reports whether every byte of b is zero (true for none).
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func allOnes(b []byte) bool {
	for _, c := range b {
		if c != 0xff {
			return false
		}
	}
	return len(b) > 0
}
