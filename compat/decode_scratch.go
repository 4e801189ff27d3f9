package compat

import (
	"unsafe"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/internal/chunk"
)

// decodeScratch is the memory a reader of many rules decodes them in, one
// after the other, when it keeps only what it prints of each (a chain's
// -S lines): the expressions, the Spec, its instances and their payloads,
// and the line's writer are the previous rule's memory, made again.
//
// Reading a chain of 10k rules touches megabytes of memory for the first
// time otherwise, and on a virtual machine every fresh page is a fault
// that can cost 10 µs: most of a first List of 10k rules went there
// (bench/README.md, "Fresh memory").
type decodeScratch struct {
	exprs    expr.Decoder
	rule     xtnl.Rule
	spec     Spec
	dec      decoder
	insts    []Instance
	matches  []*Instance
	info     []byte
	counters Counters
	ctx      ParseContext
	w        Writer
	// What the decodings keep (lines, memo entries) is carved from
	// chunks, each a few allocations for hundreds of rules.
	text    chunk.Bytes
	entries chunk.Of[decoded]
}

// decode decodes r (whose bytes must stay as they are until the next
// call) into sc's memory: what it returns is valid until the next call;
// with keep, the Spec (not the expressions) is new and the caller's, as
// the memo keeps it (memoForm).
func (sc *decodeScratch) decode(nsFd int, fam Family, r *xtnl.RawRule, keep bool) (*Spec, error) {
	exprs, err := sc.exprs.UnmarshalList(byte(r.Family), r.Exprs)
	if err != nil {
		return nil, err
	}
	sc.rule = xtnl.Rule{Family: r.Family, Table: r.Table, Chain: r.Chain, Handle: r.Handle, Exprs: exprs}
	if keep {
		return memoForm(DecodeIn(nsFd, fam, &sc.rule))
	}
	clear(sc.matches)
	sc.insts, sc.info = sc.insts[:0], sc.info[:0]
	sc.spec = Spec{Matches: sc.matches[:0]}
	sc.dec = decoder{sc: sc}
	s, err := decodeInto(&sc.spec, &sc.dec, nsFd, fam, &sc.rule)
	if err == nil {
		sc.matches = s.Matches
	}
	return s, err
}

// writer returns a Writer for one line of s, in the memory of the last.
func (sc *decodeScratch) writer(s *Spec) *Writer {
	sc.w.reuse()
	sc.w.nsFd, sc.w.hasNS = s.nsFd, true
	return &sc.w
}

// keep returns a lasting copy of text (a line in sc.w).
func (sc *decodeScratch) keep(text string) string {
	b := chunk.Copy(&sc.text, text)
	// A chunk's bytes are never written again.
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// newInstance returns a match or target of ext with a zero payload of n
// bytes: in the scratch's memory when it has one, new otherwise.
func (d *decoder) newInstance(ext *Extension, n int) *Instance {
	sc := d.sc
	if sc == nil {
		return &Instance{Ext: ext, Info: make([]byte, n)}
	}
	sc.insts = append(sc.insts, Instance{})
	in := &sc.insts[len(sc.insts)-1]
	if cap(sc.info)-len(sc.info) < n {
		// A new slab: the payloads handed out keep the old one.
		sc.info = make([]byte, 0, max(2*cap(sc.info), n, 1024))
	}
	at := len(sc.info)
	sc.info = sc.info[:at+n]
	info := sc.info[at : at+n : at+n]
	clear(info)
	*in = Instance{Ext: ext, Info: info}
	return in
}

// newCounters returns counters for the rule being decoded.
func (d *decoder) newCounters(packets, bytes uint64) *Counters {
	if d.sc == nil {
		return &Counters{Packets: packets, Bytes: bytes}
	}
	d.sc.counters = Counters{Packets: packets, Bytes: bytes}
	return &d.sc.counters
}

// parseContext returns the context extensions' Init see for the rule
// being decoded.
func (d *decoder) parseContext() *ParseContext {
	s := d.spec
	if d.sc == nil {
		return &ParseContext{Family: s.Family, Table: s.Table, Chain: s.Chain, Spec: s, NetNSFd: s.nsFd}
	}
	d.sc.ctx = ParseContext{Family: s.Family, Table: s.Table, Chain: s.Chain, Spec: s, NetNSFd: s.nsFd}
	return &d.sc.ctx
}
