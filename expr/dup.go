package expr

import "golang.org/x/sys/unix"

// NFTA_DUP_* and NFTA_FWD_* attribute types.
const (
	dupSregAddr = unix.NFTA_DUP_SREG_ADDR
	dupSregDev  = unix.NFTA_DUP_SREG_DEV
	fwdSregDev  = 1
	fwdSregAddr = 2
	fwdNfproto  = 3
)

// formatDup prints "sreg_addr 1 sreg_dev 2 ", each only when present.
func formatDup(_ byte, a attrs) string {
	return optReg(a, dupSregAddr, "sreg_addr") + optReg(a, dupSregDev, "sreg_dev")
}

// formatFwd prints "sreg_dev 1 sreg_addr 2 nfproto 2 ", each only when
// present.
func formatFwd(_ byte, a attrs) string {
	return optReg(a, fwdSregDev, "sreg_dev") + optReg(a, fwdSregAddr, "sreg_addr") + optReg(a, fwdNfproto, "nfproto")
}
