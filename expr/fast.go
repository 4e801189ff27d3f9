package expr

import (
	"encoding/binary"

	nftexpr "github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
	"golang.org/x/sys/unix"
)

// appendFast encodes the expressions iptables-nft rules are made of
// straight into b, without the intermediate allocations of the general
// path: a 100k-rule restore spends its time here. The bytes are exactly
// those google/nftables' Marshal produces (fast_test.go checks it); ok is
// false for anything else, which then takes the general path.
func appendFast(b []byte, e Expr) (out []byte, ok bool) {
	switch v := e.(type) {
	case *nftexpr.Meta:
		b, d := beginElem(b, "meta")
		b = appendU32(b, unix.NFTA_META_KEY, uint32(v.Key))
		if v.SourceRegister {
			b = appendU32(b, unix.NFTA_META_SREG, v.Register)
		} else {
			b = appendU32(b, unix.NFTA_META_DREG, v.Register)
		}
		return endElem(b, d), true
	case *nftexpr.Cmp:
		b, d := beginElem(b, "cmp")
		b = appendU32(b, unix.NFTA_CMP_SREG, v.Register)
		b = appendU32(b, unix.NFTA_CMP_OP, uint32(v.Op))
		b = appendDataValue(b, unix.NFTA_CMP_DATA, v.Data)
		return endElem(b, d), true
	case *nftexpr.Payload:
		if v.OperationType != nftexpr.PayloadLoad || v.CsumType != 0 {
			return b, false
		}
		b, d := beginElem(b, "payload")
		b = appendU32(b, unix.NFTA_PAYLOAD_DREG, v.DestRegister)
		b = appendU32(b, unix.NFTA_PAYLOAD_BASE, uint32(v.Base))
		b = appendU32(b, unix.NFTA_PAYLOAD_OFFSET, v.Offset)
		b = appendU32(b, unix.NFTA_PAYLOAD_LEN, v.Len)
		return endElem(b, d), true
	case *nftexpr.Bitwise:
		b, d := beginElem(b, "bitwise")
		b = appendU32(b, unix.NFTA_BITWISE_SREG, v.SourceRegister)
		b = appendU32(b, unix.NFTA_BITWISE_DREG, v.DestRegister)
		b = appendU32(b, unix.NFTA_BITWISE_LEN, v.Len)
		b = appendDataValue(b, unix.NFTA_BITWISE_MASK, v.Mask)
		b = appendDataValue(b, unix.NFTA_BITWISE_XOR, v.Xor)
		return endElem(b, d), true
	case *nftexpr.Counter:
		b, d := beginElem(b, "counter")
		b = appendU64(b, unix.NFTA_COUNTER_BYTES, v.Bytes)
		b = appendU64(b, unix.NFTA_COUNTER_PACKETS, v.Packets)
		return endElem(b, d), true
	case *nftexpr.Verdict:
		b, d := beginElem(b, "immediate")
		b = appendU32(b, unix.NFTA_IMMEDIATE_DREG, unix.NFT_REG_VERDICT)
		imm := len(b)
		b = appendHdr(b, unix.NLA_F_NESTED|unix.NFTA_IMMEDIATE_DATA)
		vd := len(b)
		b = appendHdr(b, unix.NLA_F_NESTED|unix.NFTA_DATA_VERDICT)
		b = appendU32(b, unix.NFTA_VERDICT_CODE, uint32(v.Kind))
		if v.Chain != "" {
			b = appendString(b, unix.NFTA_VERDICT_CHAIN, v.Chain)
		}
		b = closeAttr(b, vd)
		b = closeAttr(b, imm)
		return endElem(b, d), true
	case *nftexpr.Match:
		info, ok := v.Info.(*xt.Unknown)
		if !ok || len(v.Name) >= nftexpr.XTablesExtensionNameMaxLen {
			return b, false
		}
		b, d := beginElem(b, "match")
		b = appendString(b, unix.NFTA_MATCH_NAME, v.Name)
		b = appendU32(b, unix.NFTA_MATCH_REV, v.Rev)
		b = appendRaw(b, unix.NFTA_MATCH_INFO, *info)
		return endElem(b, d), true
	case *nftexpr.Target:
		info, ok := v.Info.(*xt.Unknown)
		if !ok || len(v.Name) >= nftexpr.XTablesExtensionNameMaxLen {
			return b, false
		}
		b, d := beginElem(b, "target")
		b = appendString(b, unix.NFTA_TARGET_NAME, v.Name)
		b = appendU32(b, unix.NFTA_TARGET_REV, v.Rev)
		b = appendRaw(b, unix.NFTA_TARGET_INFO, *info)
		return endElem(b, d), true
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
