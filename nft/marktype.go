package nft

import "fmt"

// Marks (meta mark, ct mark, map values of type mark) print as nft's
// mark type does, in zero-padded hexadecimal (basefmt "0x%.8Zx").
func init() { dtMark.format = formatMarkHex }

func formatMarkHex(_ *Datatype, b []byte, _ *PrintOptions) string {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return fmt.Sprintf("0x%08x", v)
}
