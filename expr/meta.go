package expr

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
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
	key := tableName(metaKeys, uint64(uint8(a.u32(unix.NFTA_META_KEY))))
	switch {
	case a.has(unix.NFTA_META_SREG):
		return fmt.Sprintf("set %s with reg %d ", key, a.u32(unix.NFTA_META_SREG))
	case a.has(unix.NFTA_META_DREG):
		return fmt.Sprintf("load %s => reg %d ", key, a.u32(unix.NFTA_META_DREG))
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

// metaLoad and metaSet are templates (see template in fast.go).
var (
	metaLoad = template(36, appendMetaAttrs(nil, 0, 0, false))
	metaSet  = template(36, appendMetaAttrs(nil, 0, 0, true))
)

// AppendMeta appends a meta load: [ meta load KEY => reg DREG ].
func AppendMeta(b []byte, key nftexpr.MetaKey, dreg uint32) []byte {
	return appendMeta(b, key, dreg, false)
}

func appendMeta(b []byte, key nftexpr.MetaKey, reg uint32, set bool) []byte {
	t := metaLoad
	if set {
		t = metaSet
	}
	return patch2(b, t, 24, uint32(key), 32, reg)
}

func appendMetaAttrs(b []byte, key nftexpr.MetaKey, reg uint32, set bool) []byte {
	b, d := beginElem(b, "meta")
	b = nlattr.AppendUint32(b, unix.NFTA_META_KEY, uint32(key))
	if set {
		b = nlattr.AppendUint32(b, unix.NFTA_META_SREG, reg)
	} else {
		b = nlattr.AppendUint32(b, unix.NFTA_META_DREG, reg)
	}
	return endElem(b, d)
}

// decodeMeta is decodeFast for a meta load or set.
func decodeMeta(at []fastAttr, dec *Decoder) (nftexpr.Any, bool) {
	key, ok1 := u32Of(at, unix.NFTA_META_KEY)
	if dreg, ok2 := u32Of(at, unix.NFTA_META_DREG); ok1 && ok2 && len(at) == 2 {
		m := dec.meta()
		*m = nftexpr.Meta{Key: nftexpr.MetaKey(key), Register: dreg}
		return m, true
	}
	if sreg, ok2 := u32Of(at, unix.NFTA_META_SREG); ok1 && ok2 && len(at) == 2 {
		m := dec.meta()
		*m = nftexpr.Meta{Key: nftexpr.MetaKey(key), SourceRegister: true, Register: sreg}
		return m, true
	}

	return nil, false
}

// meta is a Decoder allocator (decoder.go) for decodeFast.
func (d *Decoder) meta() *nftexpr.Meta {
	if d == nil {
		return new(nftexpr.Meta)
	}
	return slot(&d.metas)
}
