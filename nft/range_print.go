package nft

// Ranges print their ends as numbers (arp operation 1-2, not
// request-reply): nft prints a range with all output numeric.

// numericOpts is o with numeric output, for a range's ends.
func numericOpts(o *PrintOptions) *PrintOptions {
	c := PrintOptions{}
	if o != nil {
		c = *o
	}
	c.Numeric = true
	c.Services = false
	return &c
}

// rangeText prints lo-hi of rv's selector, numerically.
func (d *delin) rangeText(rv *regVal, lo, hi []byte, bigEndian bool) string {
	dn := *d
	dn.o = numericOpts(d.o)
	return dn.valText(rv, lo, bigEndian) + "-" + dn.valText(rv, hi, bigEndian)
}
