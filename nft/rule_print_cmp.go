package nft

import (
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/sys/unix"
)

// The forms nft gives some compares when printing them back: a load of
// several fields split into one match per field (merge.go's expandCmp),
// flag tests and masked compares of bitmask types (flagmatch.go), a
// bitmask compared whole with its operator, and ranges in numbers.

// specialCmpText prints the compare of rv's selector with v in one of
// those forms, or returns "" when none applies.
func (d *delin) specialCmpText(sel selector, rv *regVal, v []byte, op uint32) string {
	d.killDeps(sel)
	if rv.mask != nil && rv.text != "hton" {
		if t, ok := maskedFlagText(sel, rv.mask, v, op, d.o); ok {
			return t
		}
	}
	if rv.mask == nil && (op == opEq || op == opNeq) && sel.dtype().Bitmask {
		// a bitmask compared whole prints its operator (must_print_eq_op)
		val := new(big.Int).SetBytes(fromReg(v, sel.order())).Uint64()
		return fmt.Sprintf("%s %s %s", selText(sel), map[uint32]string{opEq: "==", opNeq: "!="}[op], flagValueText(sel.dtype(), val))
	}
	return ""
}

// cmp prints a comparison, dropping dependencies that a later header
// makes implicit.
func (d *delin) cmp(a attrMap) {
	reg := a.u32(unix.NFTA_CMP_SREG)
	rv := d.regs[reg]
	v := a.value(unix.NFTA_CMP_DATA)
	op := a.u32(unix.NFTA_CMP_OP)
	if rv == nil || rv.sel == nil {
		d.stmts = append(d.stmts, "<cmp>")
		return
	}
	// gte followed by lte on the same register is a range
	if op == opGte {
		d.killDeps(rv.sel)
		d.pendingRange = &struct {
			reg uint32
			lo  []byte
			idx int
		}{reg, v, len(d.stmts)}
		d.stmts = append(d.stmts, fmt.Sprintf("%s >= %s", selText(rv.sel), d.valText(rv, v, false)))
		return
	}
	if op == opLte && d.pendingRange != nil && d.pendingRange.reg == reg && d.pendingRange.idx == len(d.stmts)-1 {
		pr := d.pendingRange
		d.pendingRange = nil
		d.killDeps(rv.sel)
		d.stmts[pr.idx] = fmt.Sprintf("%s %s", selText(rv.sel), d.rangeText(rv, pr.lo, v, false))
		return
	}
	sel := rv.sel
	// flag test: (x & m) != 0
	if rv.mask != nil && op == opNeq && isZero(v) {
		d.killDeps(sel)
		dt := sel.dtype()
		if dt.Bitmask {
			m := fromReg(rv.mask, sel.order())
			// formatValue: a bitmask type may print itself (ct label)
			d.stmts = append(d.stmts, selText(sel)+" "+strings.ReplaceAll(formatValue(dt, m, d.o), " | ", ","))
			return
		}
	}
	opText := map[uint32]string{opEq: "", opNeq: "!= ", opLt: "< ", opLte: "<= ", opGt: "> ", opGte: ">= "}[op]
	if pl, ok := sel.(*payloadExpr); ok && pl.desc == nil && len(v) > 0 {
		// A shorter load of an address field: a prefix.
		if p2, plen, ok := d.prefixField(pl, len(v)); ok {
			d.killDeps(p2)
			d.stmts = append(d.stmts, fmt.Sprintf("%s %s%s/%d", p2.text(), opText, formatValue(p2.dtype(), fit(append(append([]byte(nil), v...), make([]byte, (p2.bits()+7)/8-len(v))...), (p2.bits()+7)/8), d.o), plen))
			return
		}
	}
	if n := (sel.bits() + 7) / 8; rv.mask == nil && len(v) < n && sel.order() == orderBig && (sel.dtype() == dtIPv4 || sel.dtype() == dtIPv6) {
		// a compare of the first bytes of an address: a prefix (ct
		// original ip saddr 10.0.0.0/8)
		full := append(append([]byte(nil), v...), make([]byte, n-len(v))...)
		d.stmts = append(d.stmts, fmt.Sprintf("%s %s%s/%d", selText(sel), opText, formatValue(sel.dtype(), full, d.o), len(v)*8))
		return
	}
	if pl, ok := sel.(*payloadExpr); ok && rv.mask == nil && rv.text == "" && d.expandCmp(pl, v, op) {
		return // merge.go
	}
	if t := d.specialCmpText(sel, rv, v, op); t != "" {
		d.stmts = append(d.stmts, t)
		return
	}
	if rv.mask != nil {
		if p, ok := fieldSelector(sel); ok {
			_, shift, bf := p.geom()
			if bf {
				fm := new(big.Int).Lsh(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(p.bits())), big.NewInt(1)), uint(shift))
				if new(big.Int).SetBytes(rv.mask).Cmp(fm) == 0 {
					rv = &regVal{sel: sel}
					val := new(big.Int).Rsh(new(big.Int).SetBytes(v), uint(shift))
					d.stmts = append(d.stmts, fmt.Sprintf("%s %s%s", selText(sel), opText, formatValue(sel.dtype(), fit(val.Bytes(), (p.bits()+7)/8), d.o)))
					d.learn(sel, fit(val.Bytes(), (p.bits()+7)/8), op)
					return
				}
			}
		}
		if plen, ok := maskPrefix(fromReg(rv.mask, sel.order())); ok && allZero(rv.xor) && prefixType(sel.dtype()) {
			d.stmts = append(d.stmts, fmt.Sprintf("%s %s%s/%d", selText(sel), opText, d.valText(rv, v, false), plen))
			return
		}
		lhs := selText(sel) + " & " + d.valText(&regVal{sel: sel}, rv.mask, false)
		if strings.Contains(rv.str, " | ") || strings.Contains(rv.str, " ^ ") {
			lhs = rv.str // a bitwise with an xor: x | c
		}
		d.stmts = append(d.stmts, fmt.Sprintf("%s %s%s", lhs, map[string]string{"": "== "}[opText]+opText, d.valText(rv, v, false)))
		return
	}
	idx := len(d.stmts)
	d.stmts = append(d.stmts, fmt.Sprintf("%s %s%s", selText(sel), opText, d.valText(rv, v, false)))
	if op == opEq {
		if d.isDependency(sel, v, idx) {
			return
		}
	}
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
