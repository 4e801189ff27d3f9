package nft

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// SCTP: the common header's fields (a payload, proto.c's proto_sctp) and
// its chunks, matched by the exthdr expression's SCTP operation
// (sctp_chunk.c): "sctp chunk data flags 2", "sctp chunk init exists".
// A chunk match has no dependency: the kernel finds the chunk itself.

var protoSCTP = &protoDesc{name: "sctp", base: baseTransport, number: 132, fields: []protoField{
	{"sport", dtInetService, 0, 16}, {"dport", dtInetService, 16, 16}, intField("vtag", 32, 32), intField("checksum", 64, 32)}}

// nftExthdrOpSCTP is NFT_EXTHDR_OP_SCTP (x/sys lacks it).
const nftExthdrOpSCTP = 3

// sctpChunk is one chunk kind: its type number and its fields, the
// common ones (type, flags, length) first.
type sctpChunk struct {
	name   string
	typ    uint8
	fields []protoField
}

func sctpCommon(extra ...protoField) []protoField {
	return append([]protoField{intField("type", 0, 8), intField("flags", 8, 8), intField("length", 16, 16)}, extra...)
}

var sctpChunks = []*sctpChunk{
	{"data", 0, sctpCommon(intField("tsn", 32, 32), intField("stream", 64, 16), intField("ssn", 80, 16), intField("ppid", 96, 32))},
	{"init", 1, sctpCommon(sctpInitFields()...)},
	{"init-ack", 2, sctpCommon(sctpInitFields()...)},
	{"sack", 3, sctpCommon(intField("cum-tsn-ack", 32, 32), intField("a-rwnd", 64, 32), intField("num-gap-ack-blocks", 96, 16),
		intField("num-dup-tsns", 112, 16))},
	{"heartbeat", 4, sctpCommon()},
	{"heartbeat-ack", 5, sctpCommon()},
	{"abort", 6, sctpCommon()},
	{"shutdown", 7, sctpCommon(intField("cum-tsn-ack", 32, 32))},
	{"shutdown-ack", 8, sctpCommon()},
	{"error", 9, sctpCommon()},
	{"cookie-echo", 10, sctpCommon()},
	{"cookie-ack", 11, sctpCommon()},
	{"ecne", 12, sctpCommon(intField("lowest-tsn", 32, 32))},
	{"cwr", 13, sctpCommon(intField("lowest-tsn", 32, 32))},
	{"shutdown-complete", 14, sctpCommon()},
	{"asconf-ack", 128, sctpCommon(intField("seqno", 32, 32))},
	{"forward-tsn", 192, sctpCommon(intField("new-cum-tsn", 32, 32))},
	{"asconf", 193, sctpCommon(intField("seqno", 32, 32))},
}

func sctpInitFields() []protoField {
	return []protoField{intField("init-tag", 32, 32), intField("a-rwnd", 64, 32), intField("num-outbound-streams", 96, 16),
		intField("num-inbound-streams", 112, 16), intField("initial-tsn", 128, 32)}
}

func sctpChunkByName(name string) *sctpChunk {
	for _, c := range sctpChunks {
		if c.name == name {
			return c
		}
	}
	return nil
}

func sctpChunkByType(t uint8) *sctpChunk {
	for _, c := range sctpChunks {
		if c.typ == t {
			return c
		}
	}
	return nil
}

func (c *sctpChunk) field(name string) *protoField {
	for i := range c.fields {
		if c.fields[i].name == name {
			return &c.fields[i]
		}
	}
	return nil
}

// sctpChunkExpr is "sctp chunk NAME [FIELD]". present is set when it is
// compared with exists/missing: then the kernel tells whether the chunk
// is there (NFT_EXTHDR_F_PRESENT) instead of loading the field.
type sctpChunkExpr struct {
	srcSpan
	chunk   *sctpChunk
	field   *protoField
	present bool
}

func init() {
	prev := selectorParsers["sctp"]
	selectorParsers["sctp"] = func(p *parser, t token) Expr {
		if n := p.peekN(1); n.kind == tWord && n.text == "chunk" {
			return p.sctpChunkSelector(t)
		}
		if prev != nil {
			return prev(p, t)
		}
		return p.payloadSelector(t, protoSCTP)
	}
	exthdrOpPrinters[nftExthdrOpSCTP] = func(d *delin, a attrMap) {
		if !delinSCTPChunk(d, a) {
			d.stmts = append(d.stmts, "<exthdr>")
		}
	}
}

// sctpChunkSelector parses "sctp chunk NAME [FIELD]"; a chunk named
// alone stands for its type field.
func (p *parser) sctpChunkSelector(t token) Expr {
	p.i += 2
	n := p.next()
	c := sctpChunkByName(n.text)
	if n.kind != tWord || c == nil {
		p.unexpected(n)
	}
	e := &sctpChunkExpr{srcSpan: srcSpan{t.pos, n.end}, chunk: c, field: &c.fields[0]}
	if f := p.peek(); f.kind == tWord {
		if pf := c.field(f.text); pf != nil {
			p.i++
			e.field = pf
			e.end = f.end
		}
	}
	if f := p.peek(); f.kind == tWord && (f.text == "exists" || f.text == "missing") {
		e.present = true
	}
	return e
}

func (e *sctpChunkExpr) dtype() *Datatype {
	if e.present {
		return dtBoolean
	}
	return e.field.dt
}

func (e *sctpChunkExpr) bits() int {
	if e.present {
		return 8
	}
	return e.field.bits
}

func (e *sctpChunkExpr) order() byteOrder { return orderBig }

func (e *sctpChunkExpr) deps(r *ruleCtx) error { return nil }

func (e *sctpChunkExpr) geom() (int, int, bool) {
	return (e.bits() + 7) / 8, 0, false
}

func (e *sctpChunkExpr) load(r *ruleCtx, dreg uint32) {
	var flags uint32
	off := e.field.offset / 8
	if e.present {
		flags, off = unix.NFT_EXTHDR_F_PRESENT, 0
	}
	var a attrBuf
	a.u32(unix.NFTA_EXTHDR_DREG, kernelReg(dreg))
	a.raw(unix.NFTA_EXTHDR_TYPE, []byte{e.chunk.typ})
	a.u32(unix.NFTA_EXTHDR_OFFSET, uint32(off))
	a.u32(unix.NFTA_EXTHDR_LEN, uint32((e.bits()+7)/8))
	a.u32(unix.NFTA_EXTHDR_OP, nftExthdrOpSCTP)
	a.u32(unix.NFTA_EXTHDR_FLAGS, flags)
	r.emit("exthdr", &a)
}

func (e *sctpChunkExpr) text() string {
	s := "sctp chunk " + e.chunk.name
	if e.present {
		return s
	}
	return s + " " + e.field.name
}

// delinSCTPChunk reads an SCTP exthdr load back (sctp_chunk_init_raw):
// the field at its offset and length, or the chunk's presence.
func delinSCTPChunk(d *delin, a attrMap) bool {
	if a.u32(unix.NFTA_EXTHDR_OP) != nftExthdrOpSCTP || !a.has(unix.NFTA_EXTHDR_DREG) {
		return false
	}
	var typ uint8
	if b := a[unix.NFTA_EXTHDR_TYPE]; len(b) > 0 {
		typ = b[0]
	}
	c := sctpChunkByType(typ)
	if c == nil {
		d.stmts = append(d.stmts, fmt.Sprintf("<sctp chunk %d>", typ))
		return true
	}
	off, n := int(a.u32(unix.NFTA_EXTHDR_OFFSET))*8, int(a.u32(unix.NFTA_EXTHDR_LEN))*8
	e := &sctpChunkExpr{chunk: c, field: &c.fields[0]}
	if a.u32(unix.NFTA_EXTHDR_FLAGS)&unix.NFT_EXTHDR_F_PRESENT != 0 {
		e.present = true
	} else {
		for i := range c.fields {
			if c.fields[i].offset == off && c.fields[i].bits == n {
				e.field = &c.fields[i]
			}
		}
	}
	d.regs[a.u32(unix.NFTA_EXTHDR_DREG)] = &regVal{sel: e, lenB: n / 8}
	return true
}
