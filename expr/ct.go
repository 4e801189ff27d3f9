package expr

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// NFTA_CT_* attribute types.
const (
	ctDreg      = unix.NFTA_CT_DREG
	ctKey       = unix.NFTA_CT_KEY
	ctDirection = unix.NFTA_CT_DIRECTION
	ctSreg      = unix.NFTA_CT_SREG
)

// ctKeys is libnftnl 1.2.4's table of conntrack keys. libnftnl compares
// against NFT_CT_MAX with >=, so its last key (NFT_CT_ID) and any later one
// print as "unknown"; the table leaves "id" out to match.
var ctKeys = []string{
	"state", "direction", "status", "mark", "secmark", "expiration",
	"helper", "l3protocol", "src", "dst", "protocol", "proto_src",
	"proto_dst", "label", "packets", "bytes", "avgpkt", "zone", "event",
	"src_ip", "dst_ip", "src_ip6", "dst_ip6",
}

// formatCt prints "load state => reg 1 " or "set mark with reg 1 ",
// followed by ", dir original " when a direction is given.
func formatCt(_ byte, a attrs) string {
	key := tableName(ctKeys, uint64(a.u32(ctKey)))
	out := ""
	// libnftnl writes both at the start of its buffer: a load wins.
	if a.has(ctSreg) {
		out = fmt.Sprintf("set %s with reg %d ", key, a.u32(ctSreg))
	}
	if a.has(ctDreg) {
		out = fmt.Sprintf("load %s => reg %d ", key, a.u32(ctDreg))
	}
	if a.has(ctDirection) {
		dir := "unknown"
		switch a.u8(ctDirection) {
		case 0:
			dir = "original"
		case 1:
			dir = "reply"
		}
		out += ", dir " + dir + " "
	}
	return out
}

// CtLoad returns a ct expression loading key into register reg:
// "[ ct load key => reg reg ]".
func CtLoad(key nftexpr.CtKey, reg uint32) *nftexpr.Ct {
	return &nftexpr.Ct{Key: key, Register: reg}
}

// CtSet returns a ct expression setting key from register reg:
// "[ ct set key with reg reg ]".
func CtSet(key nftexpr.CtKey, reg uint32) *nftexpr.Ct {
	return &nftexpr.Ct{Key: key, Register: reg, SourceRegister: true}
}
