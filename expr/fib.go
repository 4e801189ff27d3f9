package expr

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NFTA_FIB_* attribute types.
const (
	fibDreg   = unix.NFTA_FIB_DREG
	fibResult = unix.NFTA_FIB_RESULT
	fibFlags  = unix.NFTA_FIB_FLAGS
)

var fibResults = []string{"", "oif", "oifname", "type"}

// formatFib prints "saddr . iif oif => reg 1 " (the flags joined by " . ",
// then the result, " present" for an existence check, the register).
func formatFib(_ byte, a attrs) string {
	flags := a.u32(fibFlags)
	present := flags & 0x20 // NFTA_FIB_F_PRESENT
	flags &^= 0x20
	out := ""
	for _, f := range []struct {
		bit  uint32
		name string
	}{{0x1, "saddr"}, {0x2, "daddr"}, {0x4, "mark"}, {0x8, "iif"}, {0x10, "oif"}} {
		if flags&f.bit == 0 {
			continue
		}
		out += f.name + " "
		flags &^= f.bit
		if flags != 0 {
			out += ". "
		}
	}
	if flags != 0 {
		out += fmt.Sprintf("unknown 0x%x", flags)
	}
	p := ""
	if present != 0 {
		p = " present"
	}
	return out + fmt.Sprintf("%s%s => reg %d ", tableName(fibResults, uint64(a.u32(fibResult))), p, int32(a.u32(fibDreg)))
}
