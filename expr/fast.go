package expr

import (
	"encoding/binary"

	nftexpr "github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// The fast paths: the expressions iptables-nft rules are made of are
// encoded and decoded straight between their fields and their bytes. Each
// expression's own encoder (Append*) and decoder (decode*) lives in its
// file; this file dispatches to them and holds what they share.
//
// An Append* function writes one expression, as the NFTA_LIST_ELEM
// attribute of a rule's NFTA_RULE_EXPRESSIONS, straight from its fields:
// the very bytes AppendList writes for the corresponding google/nftables
// value, without building that value. Package compat encodes every
// iptables rule through them, so they build a rule with no allocation
// beyond the growth of b.

// appendFast encodes the expressions iptables-nft rules are made of
// straight into b through the Append* functions, without the intermediate
// allocations of the general path. The bytes are exactly those
// google/nftables' Marshal produces (fast_test.go checks it); ok is false
// for anything else, which then takes the general path.
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

// decodeFast decodes the expressions iptables-nft rules are made of
// straight from their attributes, without the decode-and-re-encode check
// of the general path: re-reading a large chain spends its time here. It
// accepts only attribute sets it represents completely, so what it returns
// re-encodes to what the kernel said; anything else (an attribute more, a
// flag) returns ok false and takes the general path. With dec nil, the
// values are new and own their bytes; otherwise they are dec's (Decoder).
func decodeFast(name string, data []byte, dec *Decoder) (e nftexpr.Any, ok bool) {
	var a [8]fastAttr
	n, ok := splitAttrs(data, a[:])
	if !ok {
		return nil, false
	}
	at := a[:n]
	switch name {
	case "meta":
		return decodeMeta(at, dec)
	case "cmp":
		return decodeCmp(at, dec)
	case "payload":
		return decodePayload(at, dec)
	case "bitwise":
		return decodeBitwise(at, dec)
	case "counter":
		return decodeCounter(at, dec)
	case "immediate":
		return decodeVerdict(at, dec)
	case "match", "target":
		return decodeXTFast(at, name, dec)
	}
	return nil, false
}

// fastAttr is one attribute of an expression's data, NLA_F_NESTED
// cleared from its type.
type fastAttr struct {
	typ  uint16
	data []byte
}

// splitAttrs splits one level of attributes into a, refusing repeats and
// more attributes than a holds.
func splitAttrs(b []byte, a []fastAttr) (int, bool) {
	n := 0
	for len(b) > 0 {
		if n == len(a) {
			return 0, false
		}
		typ, payload, size, ok := nlattr.Split(b)
		if !ok {
			return 0, false
		}
		t := typ &^ unix.NLA_F_NESTED
		for i := 0; i < n; i++ {
			if a[i].typ == t {
				return 0, false
			}
		}
		a[n] = fastAttr{typ: t, data: payload}
		n++
		b = b[size:]
	}
	return n, true
}

func find(a []fastAttr, typ uint16) ([]byte, bool) {
	for _, x := range a {
		if x.typ == typ {
			return x.data, true
		}
	}
	return nil, false
}

func u32Of(a []fastAttr, typ uint16) (uint32, bool) {
	d, ok := find(a, typ)
	if !ok || len(d) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(d), true
}

func u64Of(a []fastAttr, typ uint16) (uint64, bool) {
	d, ok := find(a, typ)
	if !ok || len(d) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(d), true
}

// dataValueOf reads a nested attribute holding exactly one
// NFTA_DATA_VALUE (its bytes, not a copy).
func dataValueOf(a []fastAttr, typ uint16) ([]byte, bool) {
	d, ok := find(a, typ)
	if !ok {
		return nil, false
	}
	var in [2]fastAttr
	n, ok := splitAttrs(d, in[:])
	if !ok || n != 1 || in[0].typ != unix.NFTA_DATA_VALUE {
		return nil, false
	}
	return in[0].data, true
}

// beginElem opens an NFTA_LIST_ELEM holding the expression's name and
// opens its NFTA_EXPR_DATA; it returns the offsets endElem closes.
func beginElem(b []byte, name string) ([]byte, [2]int) {
	b, elem := nlattr.Begin(b, unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM)
	b = nlattr.AppendString(b, unix.NFTA_EXPR_NAME, name)
	b, data := nlattr.Begin(b, unix.NLA_F_NESTED|unix.NFTA_EXPR_DATA)
	return b, [2]int{elem, data}
}

func endElem(b []byte, at [2]int) []byte {
	b = nlattr.End(b, at[1])
	return nlattr.End(b, at[0])
}

// appendDataValue writes a nested attribute holding NFTA_DATA_VALUE.
func appendDataValue(b []byte, typ uint16, v []byte) []byte {
	b, start := nlattr.Begin(b, unix.NLA_F_NESTED|typ)
	b = nlattr.AppendBytes(b, unix.NFTA_DATA_VALUE, v)
	return nlattr.End(b, start)
}

// template checks that an encoding has the size its patching assumes.
// The fixed-size expressions of every iptables rule (meta, payload,
// counter, the head of a cmp) are copied from templates, written once by
// their general appenders (the *Attrs functions), and their values patched
// in at their offsets: one copy instead of a dozen small appends.
// TestFastEncodingMatchesGeneral holds them to google/nftables' bytes.
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
