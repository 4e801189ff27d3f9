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
// The key is the kernel's dump of the expressions, counts zeroed: what an
// encoder sends is rewritten the way the kernel writes it back. Encoders
// flag nested attributes NLA_F_NESTED and the kernel does not; the kernel
// dumps a log's attributes in an order of its own (prefix first), adds a
// bitwise's NFTA_BITWISE_OP where it is the default mask-and-xor (the key
// leaves it out either way), and keeps a packet limit's burst 0 as 5. An
// expression as the kernel dumped it (no flag on its list element) is
// taken as it is but for its counts, so keying a dumped chain costs
// little more than copying it. An ill-formed payload is appended as it
// is: its key then equals nothing well-formed.
func AppendKey(dst, b []byte) []byte {
	mark := len(dst)
	for rest := b; len(rest) > 0; {
		typ, elem, size, ok := attrAt(rest)
		if !ok {
			return append(dst[:mark], b...)
		}
		if typ == unix.NFTA_LIST_ELEM {
			if name, dataAt, dataLen, ok := elemParts(elem); ok && !keySpecial(name) {
				at := len(dst)
				dst = append(dst, rest[:size]...)
				if name == "counter" {
					data := at + 4 + dataAt // past the element's header
					zeroCounts(dst[data : data+dataLen])
				}
				rest = rest[size:]
				continue
			}
		}
		if dst, ok = appendKeyAttr(dst, typ, elem); !ok {
			return append(dst[:mark], b...)
		}
		rest = rest[size:]
	}
	return dst
}

// appendKeyAttr writes one list element in the kernel's form.
func appendKeyAttr(dst []byte, typ uint16, payload []byte) ([]byte, bool) {
	at := len(dst)
	dst = appendHdr(dst, typ&^unix.NLA_F_NESTED)
	if typ&^unix.NLA_F_NESTED == unix.NFTA_LIST_ELEM {
		name, _, _, _ := elemParts(payload)
		for b := payload; len(b) > 0; {
			t, p, size, ok := attrAt(b)
			if !ok {
				return dst, false
			}
			b = b[size:]
			a := len(dst)
			dst = appendHdr(dst, t&^unix.NLA_F_NESTED)
			if t&^unix.NLA_F_NESTED == unix.NFTA_EXPR_DATA {
				if dst, ok = appendKeyData(dst, name, p); !ok {
					return dst, false
				}
			} else {
				dst = append(dst, p...)
			}
			dst = pad4(closeAttr(dst, a))
		}
	} else {
		dst = append(dst, payload...)
	}
	return pad4(closeAttr(dst, at)), true
}

// elemParts returns a list element's expression name (as exprName gives
// it) and where in elem its data's payload lies.
func elemParts(elem []byte) (name string, dataAt, dataLen int, ok bool) {
	for off := 0; off < len(elem); {
		t, p, size, ok := attrAt(elem[off:])
		if !ok {
			return "", 0, 0, false
		}
		switch t &^ unix.NLA_F_NESTED {
		case unix.NFTA_EXPR_NAME:
			name = exprName(p)
		case unix.NFTA_EXPR_DATA:
			dataAt, dataLen = off+4, len(p)
		}
		off += size
	}
	return name, dataAt, dataLen, true
}

// keySpecial names the expressions whose key is not their dump as it is.
func keySpecial(name string) bool { return name == "bitwise" || name == "log" || name == "limit" }

// logDumpOrder is the order the kernel dumps a log's attributes in
// (nft_log_dump).
var logDumpOrder = [...]uint16{unix.NFTA_LOG_PREFIX, unix.NFTA_LOG_LEVEL, unix.NFTA_LOG_FLAGS, unix.NFTA_LOG_GROUP, unix.NFTA_LOG_SNAPLEN, unix.NFTA_LOG_QTHRESHOLD}

func appendKeyData(dst []byte, name string, b []byte) ([]byte, bool) {
	if name == "log" {
		// In the kernel's order; anything else after, as it came.
		for _, want := range logDumpOrder {
			for rest := b; len(rest) > 0; {
				t, p, size, ok := attrAt(rest)
				if !ok {
					return dst, false
				}
				rest = rest[size:]
				if t&^unix.NLA_F_NESTED == want {
					dst = appendKeyValue(dst, name, t, p, nil)
				}
			}
		}
		for rest := b; len(rest) > 0; {
			t, p, size, _ := attrAt(rest)
			rest = rest[size:]
			known := false
			for _, k := range logDumpOrder {
				known = known || t&^unix.NLA_F_NESTED == k
			}
			if !known {
				dst = appendKeyValue(dst, name, t, p, nil)
			}
		}
		return dst, true
	}
	pktLimit := false
	if name == "limit" {
		pktLimit = true
		for rest := b; len(rest) > 0; {
			t, p, size, ok := attrAt(rest)
			if !ok {
				return dst, false
			}
			rest = rest[size:]
			if t&^unix.NLA_F_NESTED == unix.NFTA_LIMIT_TYPE && (len(p) != 4 || binary.BigEndian.Uint32(p) != unix.NFT_LIMIT_PKTS) {
				pktLimit = false
			}
		}
	}
	for len(b) > 0 {
		typ, payload, size, ok := attrAt(b)
		if !ok {
			return dst, false
		}
		b = b[size:]
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
		var fail bool
		dst = appendKeyValue(dst, name, typ, payload, &fail)
		if fail {
			return dst, false
		}
	}
	return dst, true
}

// appendKeyValue writes one attribute of an expression's data: flags
// cleared (and below, where an encoder flagged nested attributes), a
// counter's counts zeroed.
func appendKeyValue(dst []byte, name string, typ uint16, payload []byte, fail *bool) []byte {
	t := typ &^ unix.NLA_F_NESTED
	at := len(dst)
	dst = appendHdr(dst, t)
	switch {
	case name == "counter" && (t == unix.NFTA_COUNTER_BYTES || t == unix.NFTA_COUNTER_PACKETS):
		for range payload {
			dst = append(dst, 0)
		}
	case typ&unix.NLA_F_NESTED != 0:
		var ok bool
		if dst, ok = appendKeyNested(dst, payload); !ok && fail != nil {
			*fail = true
		}
	default:
		dst = append(dst, payload...)
	}
	return pad4(closeAttr(dst, at))
}

// zeroCounts zeroes the counts of a counter's data, in place.
func zeroCounts(b []byte) {
	for len(b) > 0 {
		typ, payload, size, ok := attrAt(b)
		if !ok {
			return
		}
		if typ == unix.NFTA_COUNTER_BYTES || typ == unix.NFTA_COUNTER_PACKETS {
			clear(payload)
		}
		b = b[size:]
	}
}

// appendKeyNested copies attributes, clearing NLA_F_NESTED wherever it is
// set (and going down into what it marks).
func appendKeyNested(dst, b []byte) ([]byte, bool) {
	for len(b) > 0 {
		typ, payload, size, ok := attrAt(b)
		if !ok {
			return dst, false
		}
		b = b[size:]
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
		dst = pad4(closeAttr(dst, at))
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

// attrAt reads the attribute at the start of b: its type, its payload,
// and how much of b it takes with its padding; ok is false if it is
// ill-formed.
func attrAt(b []byte) (typ uint16, payload []byte, size int, ok bool) {
	if len(b) < 4 {
		return 0, nil, 0, false
	}
	l := int(binary.NativeEndian.Uint16(b))
	if l < 4 || l > len(b) {
		return 0, nil, 0, false
	}
	return binary.NativeEndian.Uint16(b[2:]), b[4:l], min((l+3)&^3, len(b)), true
}

// exprName is a NUL-terminated expression name, as one of the names the
// key treats apart ("" for any other), without allocating.
func exprName(b []byte) string {
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
	case "log":
		return "log"
	case "limit":
		return "limit"
	}
	return ""
}

// CounterOf returns the counts of the last counter in an
// NFTA_RULE_EXPRESSIONS payload, without decoding the rest; ok is false
// when there is none (or the payload is ill-formed).
func CounterOf(b []byte) (packets, bytes uint64, ok bool) {
	for len(b) > 0 {
		typ, elem, rest, err := nextAttr(b)
		if err != nil {
			return 0, 0, false
		}
		b = rest
		if typ&^unix.NLA_F_NESTED != unix.NFTA_LIST_ELEM {
			continue
		}
		var name, data []byte
		for len(elem) > 0 {
			t, p, r, err := nextAttr(elem)
			if err != nil {
				return 0, 0, false
			}
			elem = r
			switch t &^ unix.NLA_F_NESTED {
			case unix.NFTA_EXPR_NAME:
				name = p
			case unix.NFTA_EXPR_DATA:
				data = p
			}
		}
		if exprName(name) != "counter" {
			continue
		}
		var pk, by uint64
		for len(data) > 0 {
			t, p, r, err := nextAttr(data)
			if err != nil {
				return 0, 0, false
			}
			data = r
			if len(p) != 8 {
				continue
			}
			switch t &^ unix.NLA_F_NESTED {
			case unix.NFTA_COUNTER_PACKETS:
				pk = binary.BigEndian.Uint64(p)
			case unix.NFTA_COUNTER_BYTES:
				by = binary.BigEndian.Uint64(p)
			}
		}
		packets, bytes, ok = pk, by, true
	}
	return packets, bytes, ok
}
