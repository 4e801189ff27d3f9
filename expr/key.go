package expr

import (
	"github.com/xtnl/xtnl/internal/nlattr"
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
	// nlattr.Split rather than a Decoder: keying a dumped chain is this
	// loop and elemParts, for every expression of every rule.
	for rest := b; len(rest) > 0; {
		typ, elem, size, ok := nlattr.Split(rest)
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
	dst, at := nlattr.Begin(dst, typ&^unix.NLA_F_NESTED)
	if typ&^unix.NLA_F_NESTED == unix.NFTA_LIST_ELEM {
		name, _, _, _ := elemParts(payload)
		d := nlattr.NewDecoder(payload)
		for d.Next() {
			t := d.RawType() &^ unix.NLA_F_NESTED
			var a int
			dst, a = nlattr.Begin(dst, t)
			if t == unix.NFTA_EXPR_DATA {
				var ok bool
				if dst, ok = appendKeyData(dst, name, d.Bytes()); !ok {
					return dst, false
				}
			} else {
				dst = append(dst, d.Bytes()...)
			}
			dst = nlattr.End(dst, a)
		}
		if d.Err() != nil {
			return dst, false
		}
	} else {
		dst = append(dst, payload...)
	}
	return nlattr.End(dst, at), true
}

// elemParts returns a list element's expression name (as exprName gives
// it) and where in elem its data's payload lies.
func elemParts(elem []byte) (name string, dataAt, dataLen int, ok bool) {
	for off := 0; off < len(elem); {
		t, p, size, ok := nlattr.Split(elem[off:])
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

// appendKeyData writes an expression's data as the kernel dumps it. The
// quirks of each expression are in its file: a log's order (log.go), a
// bitwise's default operation (bitwise.go), a packet limit's burst
// (limit.go), a counter's counts (counter.go).
func appendKeyData(dst []byte, name string, b []byte) ([]byte, bool) {
	if name == "log" {
		return appendLogKey(dst, b)
	}
	d := nlattr.NewDecoder(b)
	for d.Next() {
		t, payload := d.RawType()&^unix.NLA_F_NESTED, d.Bytes()
		var done bool
		switch name {
		case "counter":
			dst, done = appendCounterKeyAttr(dst, t, payload)
		case "bitwise":
			done = bitwiseKeyOmits(t, payload)
		case "limit":
			dst, done = appendLimitKeyAttr(dst, b, t, payload)
		}
		if done {
			continue
		}
		var fail bool
		dst = appendKeyValue(dst, d.RawType(), payload, &fail)
		if fail {
			return dst, false
		}
	}
	return dst, d.Err() == nil
}

// appendKeyValue writes one attribute of an expression's data, flags
// cleared (and below, where an encoder flagged nested attributes).
func appendKeyValue(dst []byte, typ uint16, payload []byte, fail *bool) []byte {
	dst, at := nlattr.Begin(dst, typ&^unix.NLA_F_NESTED)
	if typ&unix.NLA_F_NESTED != 0 {
		var ok bool
		if dst, ok = appendKeyNested(dst, payload); !ok && fail != nil {
			*fail = true
		}
	} else {
		dst = append(dst, payload...)
	}
	return nlattr.End(dst, at)
}

// appendKeyNested copies attributes, clearing NLA_F_NESTED wherever it is
// set (and going down into what it marks).
func appendKeyNested(dst, b []byte) ([]byte, bool) {
	d := nlattr.NewDecoder(b)
	for d.Next() {
		var at int
		dst, at = nlattr.Begin(dst, d.RawType()&^unix.NLA_F_NESTED)
		if d.Nested() {
			var ok bool
			if dst, ok = appendKeyNested(dst, d.Bytes()); !ok {
				return dst, false
			}
		} else {
			dst = append(dst, d.Bytes()...)
		}
		dst = nlattr.End(dst, at)
	}
	return dst, d.Err() == nil
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
	list := nlattr.NewDecoder(b)
	for list.Next() {
		if list.RawType()&^unix.NLA_F_NESTED != unix.NFTA_LIST_ELEM {
			continue
		}
		var name, data []byte
		elem := nlattr.NewDecoder(list.Bytes())
		for elem.Next() {
			switch elem.RawType() &^ unix.NLA_F_NESTED {
			case unix.NFTA_EXPR_NAME:
				name = elem.Bytes()
			case unix.NFTA_EXPR_DATA:
				data = elem.Bytes()
			}
		}
		if elem.Err() != nil {
			return 0, 0, false
		}
		if exprName(name) != "counter" {
			continue
		}
		var pk, by uint64
		d := nlattr.NewDecoder(data)
		for d.Next() {
			if len(d.Bytes()) != 8 {
				continue
			}
			switch d.RawType() &^ unix.NLA_F_NESTED {
			case unix.NFTA_COUNTER_PACKETS:
				pk = d.Uint64()
			case unix.NFTA_COUNTER_BYTES:
				by = d.Uint64()
			}
		}
		if d.Err() != nil {
			return 0, 0, false
		}
		packets, bytes, ok = pk, by, true
	}
	if list.Err() != nil {
		return 0, 0, false
	}
	return packets, bytes, ok
}
