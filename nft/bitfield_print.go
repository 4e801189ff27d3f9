package nft

import "math/big"

// Printing values of header bit fields and ranges (netlink_delinearize.c
// and expression.c's range printing): a bit field's register holds its
// value shifted into place, and a range prints numerically.

// bitfieldShift is how far the value of rv's field sits shifted in its
// register, when rv is a bit field loaded with its mask (frag frag-off,
// tcp option mptcp subtype); 0 otherwise.
func bitfieldShift(rv *regVal) int {
	if rv == nil || rv.mask == nil {
		return 0
	}
	f, ok := fieldSelector(rv.sel)
	if !ok {
		return 0
	}
	if _, shift, bf := f.geom(); bf {
		return shift
	}
	return 0
}

// unshiftField turns a register value of a bit field (big-endian, as
// loaded) into the field's value, as wide as the field.
func unshiftField(v []byte, shift int, sel selector) []byte {
	x := new(big.Int).Rsh(new(big.Int).SetBytes(v), uint(shift))
	return fit(x.Bytes(), (sel.bits()+7)/8)
}

// lookupSetView is the anonymous set s as its elements read for rv's
// selector: keys of a bit field unshifted, and the key type in the
// selector's byte order (an integer header field is big-endian, the
// integer type is not).
func lookupSetView(rv *regVal, s *kSet) (*kSet, *Datatype) {
	dt := rv.sel.dtype()
	if dt.Order != rv.sel.order() && dt.Base == nil && dt.Symbols == nil && dt.parse == nil && dt.format == nil {
		c := *dt
		c.Order = rv.sel.order()
		dt = &c
	}
	shift := bitfieldShift(rv)
	if shift == 0 {
		return s, dt
	}
	c := *s
	c.elems = make([]kElem, len(s.elems))
	for i, e := range s.elems {
		e.key = fit(unshiftField(e.key, shift, rv.sel), len(e.key))
		c.elems[i] = e
	}
	return &c, dt
}

// rangeOptions are o as nft prints a range's ends: numerically, without
// service or host names.
func rangeOptions(o *PrintOptions) *PrintOptions {
	c := PrintOptions{}
	if o != nil {
		c = *o
	}
	c.Numeric = true
	c.Services = false
	c.numericTime = true // times as whole seconds (NFT_CTX_OUTPUT_NUMERIC_TIME)
	return &c
}

// rangeText prints lo-hi of rv's selector as nft prints a range.
func (d *delin) rangeText(rv *regVal, lo, hi []byte, bigEndian bool) string {
	o := d.o
	d.o = rangeOptions(o)
	defer func() { d.o = o }()
	return d.valText(rv, lo, bigEndian) + "-" + d.valText(rv, hi, bigEndian)
}

// resolvePayloadMask picks the bit field a masked payload load selects
// (ip hdrlength, not ip version, for mask 0x0f): payloadAt can only
// guess the byte's first field before the mask is known.
func resolvePayloadMask(p *payloadExpr, mask []byte) *payloadExpr {
	if p.desc == nil || p.field == nil {
		return p
	}
	n, _, _ := p.geom()
	off := p.offset() / 8 // a stacked vlan tag's fields sit further
	for i := range p.desc.fields {
		f := &p.desc.fields[i]
		if f.name == "cfi" {
			continue // the old name of vlan dei
		}
		c := &payloadExpr{desc: p.desc, field: f, stackOff: p.stackOff}
		cn, shift, bf := c.geom()
		if !bf || c.offset()/8 != off || cn != n || len(mask) != n {
			continue
		}
		if string(fieldMask(f.bits, shift, n)) == string(mask) {
			return c
		}
	}
	return p
}

// maskText is " & MASK" for a register masked by other than its bit
// field's own mask (ip6 saddr & ::ffff map { ... }), "" otherwise.
func maskText(rv *regVal) string {
	if rv.mask == nil || rv.sel == nil || isFieldMask(rv) {
		return ""
	}
	n := (rv.sel.bits() + 7) / 8
	return " & " + formatValue(rv.sel.dtype(), fit(fromReg(rv.mask, rv.sel.order()), n), nil)
}

// isFieldMask says whether rv's mask is exactly the mask that isolates
// its selector's bit field (vlan pcp, ip dscp), which prints as the
// field alone.
func isFieldMask(rv *regVal) bool {
	f, ok := fieldSelector(rv.sel)
	if !ok {
		return false
	}
	n, shift, bf := f.geom()
	return bf && string(fromReg(rv.mask, f.order())) == string(fieldMask(f.bits(), shift, n))
}
