package expr

import (
	"bytes"

	nftexpr "github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
)

// A Decoder decodes expression lists into memory it keeps for the next
// list: what UnmarshalList returns (the list and the expressions in it) is
// valid until its next call, and its byte fields share the bytes it was
// decoded from, which must not change meanwhile.
//
// It is for readers that take what they need from each rule and keep no
// expression: decoding a chain of 10k rules through UnmarshalList makes
// ~15 values per rule, megabytes of memory the process touches for the
// first time, and on a virtual machine a first touch is a page fault that
// can cost 10 µs. A Decoder makes the next rule's expressions in the
// previous rule's memory.
//
// The zero Decoder is ready to use. It is not safe for concurrent use.
type Decoder struct {
	list     []Expr
	metas    []nftexpr.Meta
	cmps     []nftexpr.Cmp
	payloads []nftexpr.Payload
	bitwises []nftexpr.Bitwise
	counters []nftexpr.Counter
	verdicts []nftexpr.Verdict
	matches  []nftexpr.Match
	targets  []nftexpr.Target
	infos    []xt.Unknown
	// names interns xt extension and chain names: a chain's rules name
	// the same few again and again.
	names map[string]string
}

// UnmarshalList is the package's UnmarshalList, into d's memory.
func (d *Decoder) UnmarshalList(fam byte, b []byte) ([]Expr, error) {
	d.metas, d.cmps, d.payloads, d.bitwises = d.metas[:0], d.cmps[:0], d.payloads[:0], d.bitwises[:0]
	d.counters, d.verdicts, d.matches, d.targets, d.infos = d.counters[:0], d.verdicts[:0], d.matches[:0], d.targets[:0], d.infos[:0]
	clear(d.list) // keep no expression of the last list (a *Raw) alive
	list, err := unmarshalList(fam, b, d.list[:0], d)
	d.list = list
	return list, err
}

// slot returns the next element of a slab, growing it when full: what
// earlier calls returned stays where it is (a grown slab moves to a new
// array; the values already handed out keep the old one alive).
func slot[T any](slab *[]T) *T {
	var zero T
	*slab = append(*slab, zero)
	return &(*slab)[len(*slab)-1]
}

// The allocators of decodeFast are in the file of the expression each
// makes (meta.go: meta, ...): from d's slabs, or (d nil) new values that
// own their bytes. The ones below serve every expression.

// bytes returns b itself for d, a copy otherwise.
func (d *Decoder) bytes(b []byte) []byte {
	if d == nil {
		return bytes.Clone(b)
	}
	return b
}

// name returns b as a string, interned by d.
func (d *Decoder) name(b []byte) string {
	if d == nil {
		return string(b)
	}
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	if d.names == nil || len(d.names) >= maxInterned {
		d.names = map[string]string{}
	}
	s := string(b)
	d.names[s] = s
	return s
}

// maxInterned bounds a Decoder's interned names.
const maxInterned = 1024
