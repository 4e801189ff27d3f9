// Package expr builds, encodes, decodes and prints nftables expressions.
//
// An expression is held as one of google/nftables' expression types
// (github.com/google/nftables/expr) or, for anything those types cannot
// represent exactly, as a *Raw that keeps the kernel's attributes verbatim.
// Decoding never drops an expression: a rule read back always has as many
// expressions as the kernel holds, so a foreign rule is never mistaken for a
// broader one.
//
// Format renders an expression exactly as `nft --debug=netlink` prints it, so
// a rule built here can be diffed line by line against what nft shows.
package expr

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	nftexpr "github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// Expr is one nftables expression: a value of one of google/nftables'
// expression types (nftexpr.Any), or a *Raw.
type Expr = any

// Raw is an expression kept exactly as the kernel encoded it: Name is the
// expression's name ("byteorder", "tproxy", ...) and Data the content of its
// NFTA_EXPR_DATA attribute. Rules read back hold a Raw wherever the typed
// form would not re-encode to the same bytes.
type Raw struct {
	Name string
	Data []byte
}

// ErrUnsupported is returned when an expression value is of a type this
// package cannot encode.
var ErrUnsupported = errors.New("unsupported expression type")

// Marshal encodes e as the content of one NFTA_LIST_ELEM attribute
// (NFTA_EXPR_NAME and NFTA_EXPR_DATA) for a rule of family fam.
func Marshal(fam byte, e Expr) ([]byte, error) {
	switch v := e.(type) {
	case *Raw:
		attrs := []netlink.Attribute{{Type: unix.NFTA_EXPR_NAME, Data: cstring(v.Name)}}
		if len(v.Data) > 0 {
			attrs = append(attrs, netlink.Attribute{Type: unix.NLA_F_NESTED | unix.NFTA_EXPR_DATA, Data: v.Data})
		}
		return netlink.MarshalAttributes(attrs)
	case nftexpr.Any:
		return nftexpr.Marshal(fam, v)
	default:
		return nil, fmt.Errorf("expr: %T: %w", e, ErrUnsupported)
	}
}

// AppendList appends the NFTA_RULE_EXPRESSIONS payload for exprs (a list of
// NFTA_LIST_ELEM attributes) to b.
func AppendList(b []byte, fam byte, exprs []Expr) ([]byte, error) {
	for i, e := range exprs {
		if out, ok := appendFast(b, e); ok {
			b = out
			continue
		}
		data, err := Marshal(fam, e)
		if err != nil {
			return b, fmt.Errorf("expression %d: %w", i, err)
		}
		b = nlattr.AppendBytes(b, unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, data)
	}
	return b, nil
}

// UnmarshalList decodes an NFTA_RULE_EXPRESSIONS payload. Every list element
// yields exactly one expression: a typed one when it re-encodes to the very
// same bytes, a *Raw otherwise.
func UnmarshalList(fam byte, b []byte) ([]Expr, error) {
	return unmarshalList(fam, b, nil, nil)
}

// unmarshalList appends the expressions of b to out (nil: a list made to
// their number), made by dec (see decodeFast).
func unmarshalList(fam byte, b []byte, out []Expr, dec *Decoder) ([]Expr, error) {
	if out == nil {
		out = make([]Expr, 0, countElems(b))
	}
	for len(b) > 0 {
		typ, payload, size, ok := nlattr.Split(b)
		if !ok {
			return nil, fmt.Errorf("expr: expression %d: %w", len(out), nlattr.SplitError(b))
		}
		b = b[size:]
		if typ&^unix.NLA_F_NESTED != unix.NFTA_LIST_ELEM {
			continue
		}
		e, err := unmarshalElem(fam, payload, dec)
		if err != nil {
			return nil, fmt.Errorf("expr: expression %d: %w", len(out), err)
		}
		out = append(out, e)
	}
	return out, nil
}

// countElems counts the list elements of an encoded expression list, so
// that decoding it allocates the list once (a malformed tail is left to
// the decoding to report).
func countElems(b []byte) int {
	n := 0
	for len(b) > 0 {
		typ, _, size, ok := nlattr.Split(b)
		if !ok {
			break
		}
		if typ&^unix.NLA_F_NESTED == unix.NFTA_LIST_ELEM {
			n++
		}
		b = b[size:]
	}
	return n
}

// knownExprNames are the expression names of the kernel: decoding one
// takes the string from here rather than allocating it for every
// expression of every rule read.
var knownExprNames = func() map[string]string {
	m := map[string]string{}
	for _, name := range []string{
		"bitwise", "byteorder", "cmp", "connlimit", "counter", "ct", "dup",
		"dynset", "exthdr", "fib", "flow_offload", "fwd", "hash", "immediate",
		"inner", "last", "limit", "log", "lookup", "masq", "match", "meta",
		"nat", "notrack", "numgen", "objref", "osf", "payload", "queue",
		"quota", "range", "redir", "reject", "rt", "socket", "synproxy",
		"target", "tproxy", "tunnel", "xfrm",
	} {
		m[name] = name
	}
	return m
}()

// internExprName returns b as a string, shared for a known name.
func internExprName(b []byte) string {
	if name, ok := knownExprNames[string(b)]; ok {
		return name
	}
	return string(b)
}

func unmarshalElem(fam byte, b []byte, dec *Decoder) (Expr, error) {
	var name string
	var data []byte
	for len(b) > 0 {
		typ, payload, size, ok := nlattr.Split(b)
		if !ok {
			return nil, nlattr.SplitError(b)
		}
		b = b[size:]
		switch typ &^ unix.NLA_F_NESTED {
		case unix.NFTA_EXPR_NAME:
			name = internExprName(bytes.TrimRight(payload, "\x00"))
		case unix.NFTA_EXPR_DATA:
			data = payload
		}
	}
	if name == "" {
		return nil, errors.New("expression without a name")
	}
	if e, ok := decodeFast(name, data, dec); ok {
		return e, nil
	}
	raw := &Raw{Name: name, Data: bytes.Clone(data)}
	typed := decodeTyped(fam, name, data)
	if typed == nil {
		return raw, nil
	}
	// Keep the typed form only when it says exactly what the kernel said.
	enc, err := Marshal(fam, typed)
	if err != nil {
		return raw, nil
	}
	want, _ := Marshal(fam, raw)
	if !sameAttrs(name, enc, want) {
		return raw, nil
	}
	return typed, nil
}

// sameAttrs reports whether typed, the re-encoding of a decoded
// expression, says the same as kernel, what the kernel sent. The kernel
// dumps nested attributes without NLA_F_NESTED and in its own order, and
// spells out some defaults encoders leave out; none of that changes meaning.
// Anything else (an attribute the typed form lost, a different value) does,
// and the expression is then kept raw.
func sameAttrs(name string, typed, kernel []byte) bool {
	if bytes.Equal(typed, kernel) {
		return true
	}
	ta, ok1 := attrMap(typed)
	ka, ok2 := attrMap(kernel)
	if !ok1 || !ok2 {
		return false
	}
	for typ, kp := range ka {
		tp, ok := ta[typ]
		if !ok {
			if zeroDefault[name+"/"+strconv.Itoa(int(typ))] && allZero(kp.data) {
				continue
			}
			return false
		}
		if tp.nested || kp.nested {
			if !sameAttrs(name, tp.data, kp.data) {
				return false
			}
		} else if !bytes.Equal(tp.data, kp.data) {
			return false
		}
		delete(ta, typ)
	}
	return len(ta) == 0
}

// zeroDefault lists attributes the kernel dumps with value zero where an
// absent attribute means the same. Keys are "expression/attribute type".
var zeroDefault = map[string]bool{
	"bitwise/6": true, // NFTA_BITWISE_OP: NFT_BITWISE_BOOL (mask and xor)
	"payload/6": true, // NFTA_PAYLOAD_CSUM_TYPE: none
	"payload/7": true, // NFTA_PAYLOAD_CSUM_OFFSET
	"payload/8": true, // NFTA_PAYLOAD_CSUM_FLAGS
}

type attrVal struct {
	nested bool
	data   []byte
}

// attrMap indexes one level of attributes by type; ok is false when the
// stream is malformed or repeats a type (lists are compared in order).
func attrMap(b []byte) (map[uint16]attrVal, bool) {
	m := make(map[uint16]attrVal)
	d := nlattr.NewDecoder(b)
	for d.Next() {
		t := d.RawType() &^ unix.NLA_F_NESTED
		if _, dup := m[t]; dup {
			return nil, false
		}
		m[t] = attrVal{nested: d.Nested(), data: d.Bytes()}
	}
	return m, d.Err() == nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// decodeTyped returns the google/nftables form of one expression, or nil when
// there is none or it fails to decode.
func decodeTyped(fam byte, name string, data []byte) (e nftexpr.Any) {
	defer func() {
		// A hostile or newer kernel must not crash us through a decoder we do
		// not own; the Raw form is kept instead.
		if recover() != nil {
			e = nil
		}
	}()
	switch name {
	case "match", "target":
		return decodeXT(name, data)
	}
	e = newTyped(name)
	if e == nil {
		return nil
	}
	if err := nftexpr.Unmarshal(fam, data, e); err != nil {
		return nil
	}
	if imm, ok := e.(*nftexpr.Immediate); ok && imm.Register == unix.NFT_REG_VERDICT && len(imm.Data) == 0 {
		v := &nftexpr.Verdict{}
		if err := nftexpr.Unmarshal(fam, data, v); err != nil {
			return nil
		}
		return v
	}
	return e
}

func newTyped(name string) nftexpr.Any {
	switch name {
	case "bitwise":
		return &nftexpr.Bitwise{}
	case "byteorder":
		return &nftexpr.Byteorder{}
	case "cmp":
		return &nftexpr.Cmp{}
	case "connlimit":
		return &nftexpr.Connlimit{}
	case "counter":
		return &nftexpr.Counter{}
	case "ct":
		return &nftexpr.Ct{}
	case "dup":
		return &nftexpr.Dup{}
	case "dynset":
		return &nftexpr.Dynset{}
	case "exthdr":
		return &nftexpr.Exthdr{}
	case "fib":
		return &nftexpr.Fib{}
	case "hash":
		return &nftexpr.Hash{}
	case "immediate":
		return &nftexpr.Immediate{}
	case "limit":
		return &nftexpr.Limit{}
	case "log":
		return &nftexpr.Log{}
	case "lookup":
		return &nftexpr.Lookup{}
	case "masq":
		return &nftexpr.Masq{}
	case "meta":
		return &nftexpr.Meta{}
	case "nat":
		return &nftexpr.NAT{}
	case "notrack":
		return &nftexpr.Notrack{}
	case "numgen":
		return &nftexpr.Numgen{}
	case "objref":
		return &nftexpr.Objref{}
	case "payload":
		return &nftexpr.Payload{}
	case "queue":
		return &nftexpr.Queue{}
	case "quota":
		return &nftexpr.Quota{}
	case "range":
		return &nftexpr.Range{}
	case "redir":
		return &nftexpr.Redir{}
	case "reject":
		return &nftexpr.Reject{}
	case "rt":
		return &nftexpr.Rt{}
	case "socket":
		return &nftexpr.Socket{}
	case "tproxy":
		return &nftexpr.TProxy{}
	}
	return nil
}

func cstring(s string) []byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b
}
