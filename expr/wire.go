package expr

import (
	"encoding/binary"

	nftexpr "github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// The appenders below write one expression each, as the NFTA_LIST_ELEM
// attribute of a rule's NFTA_RULE_EXPRESSIONS, straight from its fields:
// the very bytes AppendList writes for the corresponding google/nftables
// value, without building that value. Hot paths (package compat encodes
// every iptables rule through them) so build a rule with no allocation
// beyond the growth of b.

// The fixed-size expressions of every iptables rule are copied from
// templates, written once by the general appenders (the *Attrs functions),
// and their values patched in at their offsets: one copy instead of a
// dozen small appends. TestFastEncodingMatchesGeneral holds them to
// google/nftables' bytes.
var (
	metaLoad    = template(36, appendMetaAttrs(nil, 0, 0, false))
	metaSet     = template(36, appendMetaAttrs(nil, 0, 0, true))
	payloadLoad = template(52, appendPayloadAttrs(nil, 0, 0, 0, 0))
	counter     = template(44, appendCounterAttrs(nil, 0, 0))
	// cmpHead is a cmp up to its data, which varies in length.
	cmpHead = template(32, appendCmpAttrs(nil, 0, 0, nil)[:32])
)

// template checks that an encoding has the size its patching assumes.
func template(size int, b []byte) []byte {
	if len(b) != size {
		panic("expr: template of unexpected size")
	}
	return b
}

// patch2 appends t with two big-endian 32-bit values written at offsets
// i and j.
func patch2(b, t []byte, i int, v uint32, j int, w uint32) []byte {
	n := len(b)
	b = append(b, t...)
	binary.BigEndian.PutUint32(b[n+i:], v)
	binary.BigEndian.PutUint32(b[n+j:], w)
	return b
}

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
	b = appendU32(b, unix.NFTA_META_KEY, uint32(key))
	if set {
		b = appendU32(b, unix.NFTA_META_SREG, reg)
	} else {
		b = appendU32(b, unix.NFTA_META_DREG, reg)
	}
	return endElem(b, d)
}

// AppendCmp appends [ cmp OP reg SREG DATA ].
func AppendCmp(b []byte, op nftexpr.CmpOp, sreg uint32, data []byte) []byte {
	start := len(b)
	b = patch2(b, cmpHead, 20, sreg, 28, uint32(op))
	b = appendDataValue(b, unix.NFTA_CMP_DATA, data)
	return endElem(b, [2]int{start, start + 12})
}

func appendCmpAttrs(b []byte, op nftexpr.CmpOp, sreg uint32, data []byte) []byte {
	b, d := beginElem(b, "cmp")
	b = appendU32(b, unix.NFTA_CMP_SREG, sreg)
	b = appendU32(b, unix.NFTA_CMP_OP, uint32(op))
	b = appendDataValue(b, unix.NFTA_CMP_DATA, data)
	return endElem(b, d)
}

// AppendPayload appends a payload load: [ payload load LEN b @ BASE
// header + OFFSET => reg DREG ].
func AppendPayload(b []byte, base nftexpr.PayloadBase, offset, length, dreg uint32) []byte {
	n := len(b)
	b = append(b, payloadLoad...)
	p := b[n:]
	binary.BigEndian.PutUint32(p[24:], dreg)
	binary.BigEndian.PutUint32(p[32:], uint32(base))
	binary.BigEndian.PutUint32(p[40:], offset)
	binary.BigEndian.PutUint32(p[48:], length)
	return b
}

func appendPayloadAttrs(b []byte, base nftexpr.PayloadBase, offset, length, dreg uint32) []byte {
	b, d := beginElem(b, "payload")
	b = appendU32(b, unix.NFTA_PAYLOAD_DREG, dreg)
	b = appendU32(b, unix.NFTA_PAYLOAD_BASE, uint32(base))
	b = appendU32(b, unix.NFTA_PAYLOAD_OFFSET, offset)
	b = appendU32(b, unix.NFTA_PAYLOAD_LEN, length)
	return endElem(b, d)
}

// AppendBitwise appends [ bitwise reg DREG = ( reg SREG & MASK ) ^ XOR ].
func AppendBitwise(b []byte, sreg, dreg, length uint32, mask, xor []byte) []byte {
	b, d := beginElem(b, "bitwise")
	b = appendU32(b, unix.NFTA_BITWISE_SREG, sreg)
	b = appendU32(b, unix.NFTA_BITWISE_DREG, dreg)
	b = appendU32(b, unix.NFTA_BITWISE_LEN, length)
	b = appendDataValue(b, unix.NFTA_BITWISE_MASK, mask)
	b = appendDataValue(b, unix.NFTA_BITWISE_XOR, xor)
	return endElem(b, d)
}

// AppendCounter appends [ counter pkts PACKETS bytes BYTES ].
func AppendCounter(b []byte, bytes, packets uint64) []byte {
	n := len(b)
	b = append(b, counter...)
	p := b[n:]
	binary.BigEndian.PutUint64(p[24:], bytes)
	binary.BigEndian.PutUint64(p[36:], packets)
	return b
}

func appendCounterAttrs(b []byte, bytes, packets uint64) []byte {
	b, d := beginElem(b, "counter")
	b = appendU64(b, unix.NFTA_COUNTER_BYTES, bytes)
	b = appendU64(b, unix.NFTA_COUNTER_PACKETS, packets)
	return endElem(b, d)
}

// AppendVerdict appends [ immediate reg 0 KIND [CHAIN] ]; chain is the
// target of a jump or goto, "" otherwise.
func AppendVerdict(b []byte, kind nftexpr.VerdictKind, chain string) []byte {
	b, d := beginElem(b, "immediate")
	b = appendU32(b, unix.NFTA_IMMEDIATE_DREG, unix.NFT_REG_VERDICT)
	imm := len(b)
	b = appendHdr(b, unix.NLA_F_NESTED|unix.NFTA_IMMEDIATE_DATA)
	vd := len(b)
	b = appendHdr(b, unix.NLA_F_NESTED|unix.NFTA_DATA_VERDICT)
	b = appendU32(b, unix.NFTA_VERDICT_CODE, uint32(kind))
	if chain != "" {
		b = appendString(b, unix.NFTA_VERDICT_CHAIN, chain)
	}
	b = closeAttr(b, vd)
	b = closeAttr(b, imm)
	return endElem(b, d)
}

// AppendLimit appends [ limit rate RATE/UNIT burst BURST type TYPE
// flags ... ].
func AppendLimit(b []byte, l *nftexpr.Limit) []byte {
	var flags uint32
	if l.Over {
		flags = unix.NFT_LIMIT_F_INV
	}
	b, d := beginElem(b, "limit")
	b = appendU64(b, unix.NFTA_LIMIT_RATE, l.Rate)
	b = appendU64(b, unix.NFTA_LIMIT_UNIT, uint64(l.Unit))
	b = appendU32(b, unix.NFTA_LIMIT_BURST, l.Burst)
	b = appendU32(b, unix.NFTA_LIMIT_TYPE, uint32(l.Type))
	b = appendU32(b, unix.NFTA_LIMIT_FLAGS, flags)
	return endElem(b, d)
}

// AppendLog appends [ log ... ] with the group, prefix, snaplen and
// queue threshold its Key selects (level and flags are not written:
// appendFast leaves a Log that has them to the general path).
func AppendLog(b []byte, l *nftexpr.Log) []byte {
	b, d := beginElem(b, "log")
	if l.Key&(1<<unix.NFTA_LOG_GROUP) != 0 {
		b = appendU16(b, unix.NFTA_LOG_GROUP, l.Group)
	}
	if l.Key&(1<<unix.NFTA_LOG_PREFIX) != 0 {
		start := len(b)
		b = appendHdr(b, unix.NFTA_LOG_PREFIX)
		b = append(b, l.Data...)
		b = append(b, 0)
		b = closeAttr(b, start)
		b = pad4(b)
	}
	if l.Key&(1<<unix.NFTA_LOG_SNAPLEN) != 0 {
		b = appendU32(b, unix.NFTA_LOG_SNAPLEN, l.Snaplen)
	}
	if l.Key&(1<<unix.NFTA_LOG_QTHRESHOLD) != 0 {
		b = appendU16(b, unix.NFTA_LOG_QTHRESHOLD, l.QThreshold)
	}
	return endElem(b, d)
}

// AppendMatch appends an xt match: [ match name NAME rev REV ] carrying
// info, the extension's kernel structure.
func AppendMatch(b []byte, name string, rev uint32, info []byte) []byte {
	return appendXT(b, "match", name, rev, info)
}

// AppendTarget appends an xt target: [ target name NAME rev REV ]
// carrying info.
func AppendTarget(b []byte, name string, rev uint32, info []byte) []byte {
	return appendXT(b, "target", name, rev, info)
}

// appendXT writes an xt match or target: their attributes have the same
// numbers (NFTA_MATCH_NAME = NFTA_TARGET_NAME, and so on).
func appendXT(b []byte, kind, name string, rev uint32, info []byte) []byte {
	b, d := beginElem(b, kind)
	b = appendString(b, unix.NFTA_MATCH_NAME, name)
	b = appendU32(b, unix.NFTA_MATCH_REV, rev)
	b = appendRaw(b, unix.NFTA_MATCH_INFO, info)
	return endElem(b, d)
}

// AppendRange appends [ range OP reg SREG FROM TO ] (from and to as
// NFTA_DATA_VALUE; an empty one is left out, as google/nftables does).
func AppendRange(b []byte, op nftexpr.CmpOp, sreg uint32, from, to []byte) []byte {
	b, d := beginElem(b, "range")
	if sreg > 0 {
		b = appendU32(b, unix.NFTA_RANGE_SREG, sreg)
	}
	b = appendU32(b, unix.NFTA_RANGE_OP, uint32(op))
	if len(from) > 0 {
		b = appendDataValue(b, unix.NFTA_RANGE_FROM_DATA, from)
	}
	if len(to) > 0 {
		b = appendDataValue(b, unix.NFTA_RANGE_TO_DATA, to)
	}
	return endElem(b, d)
}
