package expr

import (
	"encoding/binary"

	nftexpr "github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
	"golang.org/x/sys/unix"
)

// appendFast encodes the expressions iptables-nft rules are made of
// straight into b through the appenders of wire.go, without the
// intermediate allocations of the general path. The bytes are exactly
// those google/nftables' Marshal produces (fast_test.go checks it); ok is
// false for anything else, which then takes the general path.
func appendFast(b []byte, e Expr) (out []byte, ok bool) {
	switch v := e.(type) {
	case *nftexpr.Meta:
		return appendMeta(b, v.Key, v.Register, v.SourceRegister), true
	case *nftexpr.Cmp:
		return AppendCmp(b, v.Op, v.Register, v.Data), true
	case *nftexpr.Payload:
		if v.OperationType != nftexpr.PayloadLoad || v.CsumType != 0 {
			return b, false
		}
		return AppendPayload(b, v.Base, v.Offset, v.Len, v.DestRegister), true
	case *nftexpr.Range:
		return AppendRange(b, v.Op, v.Register, v.FromData, v.ToData), true
	case *nftexpr.Bitwise:
		return AppendBitwise(b, v.SourceRegister, v.DestRegister, v.Len, v.Mask, v.Xor), true
	case *nftexpr.Counter:
		return AppendCounter(b, v.Bytes, v.Packets), true
	case *nftexpr.Verdict:
		return AppendVerdict(b, v.Kind, v.Chain), true
	case *nftexpr.Limit:
		return AppendLimit(b, v), true
	case *nftexpr.Log:
		if v.Key&^(1<<unix.NFTA_LOG_GROUP|1<<unix.NFTA_LOG_PREFIX|1<<unix.NFTA_LOG_SNAPLEN|1<<unix.NFTA_LOG_QTHRESHOLD) != 0 {
			return b, false
		}
		return AppendLog(b, v), true
	case *nftexpr.Match:
		info, ok := v.Info.(*xt.Unknown)
		if !ok || len(v.Name) >= nftexpr.XTablesExtensionNameMaxLen {
			return b, false
		}
		return AppendMatch(b, v.Name, v.Rev, *info), true
	case *nftexpr.Target:
		info, ok := v.Info.(*xt.Unknown)
		if !ok || len(v.Name) >= nftexpr.XTablesExtensionNameMaxLen {
			return b, false
		}
		return AppendTarget(b, v.Name, v.Rev, *info), true
	}
	return b, false
}

// beginElem opens an NFTA_LIST_ELEM holding the expression's name and
// opens its NFTA_EXPR_DATA; it returns the offsets endElem closes.
func beginElem(b []byte, name string) ([]byte, [2]int) {
	elem := len(b)
	b = appendHdr(b, unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM)
	b = appendString(b, unix.NFTA_EXPR_NAME, name)
	data := len(b)
	b = appendHdr(b, unix.NLA_F_NESTED|unix.NFTA_EXPR_DATA)
	return b, [2]int{elem, data}
}

func endElem(b []byte, at [2]int) []byte {
	b = closeAttr(b, at[1])
	return closeAttr(b, at[0])
}

func appendHdr(b []byte, typ uint16) []byte {
	b = binary.NativeEndian.AppendUint16(b, 0)
	return binary.NativeEndian.AppendUint16(b, typ)
}

// closeAttr patches the length of the attribute opened at start.
func closeAttr(b []byte, start int) []byte {
	binary.NativeEndian.PutUint16(b[start:], uint16(len(b)-start))
	return b
}

func appendU16(b []byte, typ uint16, v uint16) []byte {
	b = binary.NativeEndian.AppendUint16(b, 6)
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, v)
	return append(b, 0, 0)
}

func appendU32(b []byte, typ uint16, v uint32) []byte {
	b = binary.NativeEndian.AppendUint16(b, 8)
	b = binary.NativeEndian.AppendUint16(b, typ)
	return binary.BigEndian.AppendUint32(b, v)
}

func appendU64(b []byte, typ uint16, v uint64) []byte {
	b = binary.NativeEndian.AppendUint16(b, 12)
	b = binary.NativeEndian.AppendUint16(b, typ)
	return binary.BigEndian.AppendUint64(b, v)
}

func appendString(b []byte, typ uint16, s string) []byte {
	l := 4 + len(s) + 1
	b = binary.NativeEndian.AppendUint16(b, uint16(l))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, s...)
	b = append(b, 0)
	return pad4(b)
}

func appendRaw(b []byte, typ uint16, data []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(4+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	return pad4(b)
}

// appendDataValue writes a nested attribute holding NFTA_DATA_VALUE.
func appendDataValue(b []byte, typ uint16, v []byte) []byte {
	start := len(b)
	b = appendHdr(b, unix.NLA_F_NESTED|typ)
	b = appendRaw(b, unix.NFTA_DATA_VALUE, v)
	return closeAttr(b, start)
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
