package expr

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NFTA_NAT_* attribute types.
const (
	natType          = unix.NFTA_NAT_TYPE
	natFamily        = unix.NFTA_NAT_FAMILY
	natRegAddrMin    = unix.NFTA_NAT_REG_ADDR_MIN
	natRegAddrMax    = unix.NFTA_NAT_REG_ADDR_MAX
	natRegProtoMin   = unix.NFTA_NAT_REG_PROTO_MIN
	natRegProtoMax   = unix.NFTA_NAT_REG_PROTO_MAX
	natFlags         = unix.NFTA_NAT_FLAGS
	masqFlags        = 1 // NFTA_MASQ_FLAGS
	masqRegProtoMin  = 2 // NFTA_MASQ_REG_PROTO_MIN
	masqRegProtoMax  = 3 // NFTA_MASQ_REG_PROTO_MAX
	redirRegProtoMin = 1 // NFTA_REDIR_REG_PROTO_MIN
	redirRegProtoMax = 2 // NFTA_REDIR_REG_PROTO_MAX
	redirFlags       = 3 // NFTA_REDIR_FLAGS
)

// formatNat prints "snat ip addr_min reg 1 proto_min reg 2 flags 0x2 ",
// each register and the flags only when present.
func formatNat(_ byte, a attrs) string {
	typ := "unknown"
	switch uint16(a.u32(natType)) { // libnftnl passes the type as uint16_t
	case 0:
		typ = "snat"
	case 1:
		typ = "dnat"
	}
	out := typ + " " + familyName(a.u32(natFamily)) + " "
	out += optReg(a, natRegAddrMin, "addr_min reg")
	out += optReg(a, natRegAddrMax, "addr_max reg")
	out += optReg(a, natRegProtoMin, "proto_min reg")
	out += optReg(a, natRegProtoMax, "proto_max reg")
	if a.has(natFlags) {
		out += fmt.Sprintf("flags 0x%x ", a.u32(natFlags))
	}
	return out
}

// formatMasq prints "proto_min reg 1 proto_max reg 2 flags 0x4 ", each part
// only when present (so a plain masquerade prints nothing).
func formatMasq(_ byte, a attrs) string {
	out := optReg(a, masqRegProtoMin, "proto_min reg") + optReg(a, masqRegProtoMax, "proto_max reg")
	if a.has(masqFlags) {
		out += fmt.Sprintf("flags 0x%x ", a.u32(masqFlags))
	}
	return out
}

// formatRedir prints like formatMasq.
func formatRedir(_ byte, a attrs) string {
	out := optReg(a, redirRegProtoMin, "proto_min reg") + optReg(a, redirRegProtoMax, "proto_max reg")
	if a.has(redirFlags) {
		out += fmt.Sprintf("flags 0x%x ", a.u32(redirFlags))
	}
	return out
}

// optReg prints "label N " for a present 32-bit attribute, else nothing.
func optReg(a attrs, t uint16, label string) string {
	if !a.has(t) {
		return ""
	}
	return fmt.Sprintf("%s %d ", label, a.u32(t))
}
