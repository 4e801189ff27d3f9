package nft

import (
	"fmt"
	"math/big"
)

// The forms nft gives some compares when printing them back: a load of
// several fields split into one match per field (merge.go), flag tests
// and masked compares of bitmask types (flagmatch.go), a bitmask
// compared whole with its operator, and ranges in numbers.

// specialCmpText prints the compare of rv's selector with v in one of
// those forms, or returns "" when none applies.
func (d *delin) specialCmpText(sel selector, rv *regVal, v []byte, op uint32) string {
	if pl, ok := sel.(*payloadExpr); ok && rv.mask == nil && rv.text == "" {
		if t := d.expandedCmpText(pl, v, op); t != "" {
			return t
		}
	}
	d.killDeps(sel)
	if rv.mask != nil && rv.text != "hton" {
		if t, ok := maskedFlagText(sel, rv.mask, v, op); ok {
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
