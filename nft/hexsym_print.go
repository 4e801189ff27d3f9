package nft

import "fmt"

// Printing quirk of a type nft prints through a hexadecimal symbol table
// (IPv6 addresses as inet_ntop prints them: ip6addr.go).

// formatDSCP prints a DSCP value by name, else in hexadecimal as nft's
// symbol table for it (BASE_HEXADECIMAL) does: 0x04.
var formatDSCP = formatHexSym(2)

// formatHexSym prints a value by name, else (or with -n) in the
// type's basefmt: ether types as 0x0806, ECN as 0x1.
func formatHexSym(digits int) func(*Datatype, []byte, *PrintOptions) string {
	return func(dt *Datatype, b []byte, o *PrintOptions) string {
		var v uint64
		for _, c := range b {
			v = v<<8 | uint64(c)
		}
		if o == nil || !o.Numeric {
			for _, s := range dt.Symbols {
				if s.val == v {
					return s.name
				}
			}
		}
		return fmt.Sprintf("0x%0*x", digits, v)
	}
}

func init() {
	dtDSCP.format = formatDSCP
	dtEtherType.format = formatHexSym(4)
	dtECN.format = formatHexSym(1)
}
