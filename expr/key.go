package expr

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// AppendKey appends to dst the comparison key of an NFTA_RULE_EXPRESSIONS
// payload: the bytes that two encodings of the same expressions have in
// common, whoever wrote them and whatever they counted since. Rules whose
// keys are equal are the same rule; the converse need not hold (two
// spellings of one match), so a caller that finds no equal key must still
// compare by meaning.
//
// What an encoder sends and what the kernel dumps back differ: encoders
// flag nested attributes NLA_F_NESTED and the kernel does not; counters
// hold what they counted; the kernel orders some expressions' attributes
// its own way (log), adds a bitwise's NFTA_BITWISE_OP where it is the
// default mask-and-xor, and keeps a packet limit's burst 0 as 5. The key
// clears the flag, zeroes the counts (keeping the counter), sorts an
// expression's attributes by type, leaves a default NFTA_BITWISE_OP out
// and writes burst 0 as 5. An ill-formed payload is appended as it is:
// its key then equals nothing well-formed.
func AppendKey(dst, b []byte) []byte {
	mark := len(dst)
	out, ok := appendKeyList(dst, b)
	if !ok {
		return append(dst[:mark], b...)
	}
	return out
}

func appendKeyList(dst, b []byte) ([]byte, bool) {
	for len(b) > 0 {
		typ, payload, rest, err := nextAttr(b)
		if err != nil {
			return dst, false
		}
		b = rest
		at := len(dst)
		dst = appendHdr(dst, typ&^unix.NLA_F_NESTED)
		if typ&^unix.NLA_F_NESTED == unix.NFTA_LIST_ELEM {
			var ok bool
			if dst, ok = appendKeyElem(dst, payload); !ok {
				return dst, false
			}
		} else {
			dst = append(dst, payload...)
		}
		dst = closeAttr(dst, at)
		dst = pad4(dst)
	}
	return dst, true
}

// appendKeyElem writes the key of one expression: its name, and its data
// normalized for what the name says it is.
func appendKeyElem(dst, b []byte) ([]byte, bool) {
	var name []byte
	for rest := b; len(rest) > 0; {
		typ, payload, r, err := nextAttr(rest)
		if err != nil {
			return dst, false
		}
		rest = r
		if typ&^unix.NLA_F_NESTED == unix.NFTA_EXPR_NAME {
			name = payload
		}
	}
	for len(b) > 0 {
		typ, payload, rest, _ := nextAttr(b)
		b = rest
		at := len(dst)
		dst = appendHdr(dst, typ&^unix.NLA_F_NESTED)
		if typ&^unix.NLA_F_NESTED == unix.NFTA_EXPR_DATA {
			var ok bool
			if dst, ok = appendKeyData(dst, cstringName(name), payload); !ok {
				return dst, false
			}
		} else {
			dst = append(dst, payload...)
		}
		dst = closeAttr(dst, at)
		dst = pad4(dst)
	}
	return dst, true
}

// keyAttr is one attribute of an expression's data, for sorting.
type keyAttr struct {
	typ     uint16
	payload []byte
}

// maxKeyAttrs bounds the attributes of one expression's data the key
// sorts (no expression has more than a dozen).
const maxKeyAttrs = 24

func appendKeyData(dst []byte, name string, b []byte) ([]byte, bool) {
	// The kernel dumps an expression's attributes in an order of its own
	// (log: prefix before group), and the order carries no meaning: the
	// key lists them by type.
	var buf [maxKeyAttrs]keyAttr
	attrs := buf[:0]
	for len(b) > 0 {
		typ, payload, rest, err := nextAttr(b)
		if err != nil || len(attrs) == maxKeyAttrs {
			return dst, false
		}
		b = rest
		attrs = append(attrs, keyAttr{typ, payload})
	}
	for i := 1; i < len(attrs); i++ {
		for j := i; j > 0 && attrs[j].typ&^unix.NLA_F_NESTED < attrs[j-1].typ&^unix.NLA_F_NESTED; j-- {
			attrs[j], attrs[j-1] = attrs[j-1], attrs[j]
		}
	}
	pktLimit := name == "limit"
	for _, a := range attrs {
		if name == "limit" && a.typ&^unix.NLA_F_NESTED == unix.NFTA_LIMIT_TYPE && (len(a.payload) != 4 || binary.BigEndian.Uint32(a.payload) != unix.NFT_LIMIT_PKTS) {
			pktLimit = false
		}
	}
	for _, a := range attrs {
		typ, payload := a.typ, a.payload
		t := typ &^ unix.NLA_F_NESTED
		switch {
		case name == "counter" && t == unix.NFTA_COUNTER_PAD:
			continue
		case name == "bitwise" && t == nftaBitwiseOp && len(payload) == 4 && binary.BigEndian.Uint32(payload) == nftBitwiseBool:
			continue
		case pktLimit && t == unix.NFTA_LIMIT_BURST && len(payload) == 4 && binary.BigEndian.Uint32(payload) == 0:
			// The kernel keeps a packet limit's burst 0 as 5
			// (NFT_LIMIT_PKT_BURST_DEFAULT), and dumps that.
			dst = appendU32(dst, t, nftLimitPktBurstDefault)
			continue
		}
		at := len(dst)
		dst = appendHdr(dst, t)
		switch {
		case name == "counter" && (t == unix.NFTA_COUNTER_BYTES || t == unix.NFTA_COUNTER_PACKETS):
			for range payload {
				dst = append(dst, 0)
			}
		case typ&unix.NLA_F_NESTED != 0:
			// Only an encoder flags a nested attribute, and its own
			// nested attributes below it too.
			var ok bool
			if dst, ok = appendKeyNested(dst, payload); !ok {
				return dst, false
			}
		default:
			dst = append(dst, payload...)
		}
		dst = closeAttr(dst, at)
		dst = pad4(dst)
	}
	return dst, true
}

// appendKeyNested copies attributes, clearing NLA_F_NESTED wherever it is
// set (and going down into what it marks).
func appendKeyNested(dst, b []byte) ([]byte, bool) {
	for len(b) > 0 {
		typ, payload, rest, err := nextAttr(b)
		if err != nil {
			return dst, false
		}
		b = rest
		at := len(dst)
		dst = appendHdr(dst, typ&^unix.NLA_F_NESTED)
		if typ&unix.NLA_F_NESTED != 0 {
			var ok bool
			if dst, ok = appendKeyNested(dst, payload); !ok {
				return dst, false
			}
		} else {
			dst = append(dst, payload...)
		}
		dst = closeAttr(dst, at)
		dst = pad4(dst)
	}
	return dst, true
}

// NFTA_BITWISE_OP and its default, NFT_BITWISE_BOOL (mask and xor), from
// the kernel's uapi nf_tables.h (not in x/sys/unix).
const (
	nftaBitwiseOp  = 6
	nftBitwiseBool = 0

	nftLimitPktBurstDefault = 5
)

// cstringName is a NUL-terminated name attribute's text, without copying
// for the comparisons above.
func cstringName(b []byte) string {
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	switch string(b) {
	case "counter":
		return "counter"
	case "bitwise":
		return "bitwise"
	case "limit":
		return "limit"
	}
	return ""
}
