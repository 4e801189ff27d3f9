package expr

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
)

// NFTA_META_* attribute types.
const (
	metaDreg = 1
	metaKey  = 2
	metaSreg = 3
)

// metaKeys is libnftnl 1.2.4's table of meta keys (NFT_META_LEN up to
// NFT_META_SDIFNAME); later keys print as "unknown".
var metaKeys = []string{
	"len", "protocol", "priority", "mark", "iif", "oif", "iifname",
	"oifname", "iiftype", "oiftype", "skuid", "skgid", "nftrace",
	"rtclassid", "secmark", "nfproto", "l4proto", "bri_iifname",
	"bri_oifname", "pkttype", "cpu", "iifgroup", "oifgroup", "cgroup",
	"prandom", "secpath", "iifkind", "oifkind", "bri_iifpvid",
	"bri_iifvproto", "time", "day", "hour", "sdif", "sdifname",
}

// formatMeta prints "load l4proto => reg 1 " or "set mark with reg 1 ".
func formatMeta(_ byte, a attrs) string {
	// libnftnl passes the key as uint8_t.
	key := tableName(metaKeys, uint64(uint8(a.u32(metaKey))))
	switch {
	case a.has(metaSreg):
		return fmt.Sprintf("set %s with reg %d ", key, a.u32(metaSreg))
	case a.has(metaDreg):
		return fmt.Sprintf("load %s => reg %d ", key, a.u32(metaDreg))
	}
	return ""
}

// MetaLoad returns a meta expression loading key into register reg:
// "[ meta load key => reg reg ]".
func MetaLoad(key nftexpr.MetaKey, reg uint32) *nftexpr.Meta {
	return &nftexpr.Meta{Key: key, Register: reg}
}

// MetaSet returns a meta expression setting key from register reg:
// "[ meta set key with reg reg ]".
func MetaSet(key nftexpr.MetaKey, reg uint32) *nftexpr.Meta {
	return &nftexpr.Meta{Key: key, Register: reg, SourceRegister: true}
}
