package expr

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NFTA_QUEUE_* attribute types.
const (
	queueNum      = unix.NFTA_QUEUE_NUM
	queueTotal    = unix.NFTA_QUEUE_TOTAL
	queueFlags    = unix.NFTA_QUEUE_FLAGS
	queueSregQnum = unix.NFTA_QUEUE_SREG_QNUM
)

// formatQueue prints "num 3 " or "num 1-3 ", "sreg_qnum 1 " and the flags
// "bypass " and "fanout ".
func formatQueue(_ byte, a attrs) string {
	out := ""
	if a.has(queueNum) {
		num, total := a.u16(queueNum), a.u16(queueTotal)
		out = fmt.Sprintf("num %d", num)
		if last := num + total - 1; total != 0 && last != num {
			out += fmt.Sprintf("-%d", last)
		}
		out += " "
	}
	if a.has(queueSregQnum) {
		out += fmt.Sprintf("sreg_qnum %d ", a.u32(queueSregQnum))
	}
	if a.has(queueFlags) {
		flags := a.u16(queueFlags)
		if flags&0x1 != 0 {
			out += "bypass "
		}
		if flags&0x2 != 0 {
			out += "fanout "
		}
	}
	return out
}
