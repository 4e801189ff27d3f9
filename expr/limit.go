package expr

import (
	"encoding/binary"
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// NFTA_LIMIT_* attribute types.
const (
	limitRate  = unix.NFTA_LIMIT_RATE
	limitUnit  = unix.NFTA_LIMIT_UNIT
	limitBurst = unix.NFTA_LIMIT_BURST
	limitType  = unix.NFTA_LIMIT_TYPE
	limitFlags = unix.NFTA_LIMIT_FLAGS
)

// limitUnitName names a limit's unit in seconds as libnftnl 1.2.4 does;
// any other unit prints as "error".
func limitUnitName(u uint64) string {
	switch u {
	case 1:
		return "second"
	case 60:
		return "minute"
	case 60 * 60:
		return "hour"
	case 60 * 60 * 24:
		return "day"
	case 60 * 60 * 24 * 7:
		return "week"
	}
	return "error"
}

// formatLimit prints "rate 10/second burst 5 type packets flags 0x0 ".
func formatLimit(_ byte, a attrs) string {
	typ := "packets"
	if a.u32(limitType) == 1 { // NFT_LIMIT_PKT_BYTES
		typ = "bytes"
	}
	return fmt.Sprintf("rate %d/%s burst %d type %s flags 0x%x ",
		a.u64(limitRate), limitUnitName(a.u64(limitUnit)), a.u32(limitBurst), typ, a.u32(limitFlags))
}

// AppendLimit appends [ limit rate RATE/UNIT burst BURST type TYPE
// flags ... ].
func AppendLimit(b []byte, l *nftexpr.Limit) []byte {
	var flags uint32
	if l.Over {
		flags = unix.NFT_LIMIT_F_INV
	}
	b, d := beginElem(b, "limit")
	b = nlattr.AppendUint64(b, unix.NFTA_LIMIT_RATE, l.Rate)
	b = nlattr.AppendUint64(b, unix.NFTA_LIMIT_UNIT, uint64(l.Unit))
	b = nlattr.AppendUint32(b, unix.NFTA_LIMIT_BURST, l.Burst)
	b = nlattr.AppendUint32(b, unix.NFTA_LIMIT_TYPE, uint32(l.Type))
	b = nlattr.AppendUint32(b, unix.NFTA_LIMIT_FLAGS, flags)
	return endElem(b, d)
}

// limitPktBurstDefault is NFT_LIMIT_PKT_BURST_DEFAULT: the burst the
// kernel keeps for a packet limit given burst 0.
const limitPktBurstDefault = 5

// appendLimitKeyAttr is a limit's part of the comparison key (key.go): a
// packet limit's burst 0 is written as the 5 the kernel keeps and dumps.
// data is the limit's whole data, for its type.
func appendLimitKeyAttr(dst, data []byte, t uint16, payload []byte) ([]byte, bool) {
	if t != unix.NFTA_LIMIT_BURST || len(payload) != 4 || binary.BigEndian.Uint32(payload) != 0 || !isPacketLimit(data) {
		return dst, false
	}
	return nlattr.AppendUint32(dst, t, limitPktBurstDefault), true
}

// isPacketLimit reports whether a limit's data has no type other than
// NFT_LIMIT_PKTS (which is also what no type means).
func isPacketLimit(data []byte) bool {
	d := nlattr.NewDecoder(data)
	for d.Next() {
		if d.RawType()&^unix.NLA_F_NESTED == unix.NFTA_LIMIT_TYPE {
			if p := d.Bytes(); len(p) != 4 || binary.BigEndian.Uint32(p) != unix.NFT_LIMIT_PKTS {
				return false
			}
		}
	}
	return true
}
