package nft

import (
	"fmt"
	"strings"
)

// fibExpr is fib TUPLE RESULT (fib.c): a route lookup on the packet's
// addresses, answering the output interface, its name, or the address
// type; "exists"/"missing" ask only whether there is a route.
type fibExpr struct {
	srcSpan
	flags  uint32 // NFTA_FIB_F_*
	result uint32 // NFT_FIB_RESULT_*
}

// fib tuple flags (NFTA_FIB_F_*) and results (NFT_FIB_RESULT_*).
const (
	fibSaddr   = 1 << 0
	fibDaddr   = 1 << 1
	fibMark    = 1 << 2
	fibIIF     = 1 << 3
	fibOIF     = 1 << 4
	fibPresent = 1 << 5

	fibResultOIF      = 1
	fibResultOIFName  = 2
	fibResultAddrType = 3

	nftaFibDreg   = 1
	nftaFibResult = 2
	nftaFibFlags  = 3
)

// dtFibAddr is what fib ... type answers: a route type (RTN_*).
var dtFibAddr = &Datatype{ID: typeFibAddr, Name: "fib_addrtype", Desc: "fib address type", Bits: 32, Order: orderHost, Base: dtInteger,
	Symbols: []symbol{{"unspec", 0}, {"unicast", 1}, {"local", 2}, {"broadcast", 3}, {"anycast", 4}, {"multicast", 5},
		{"blackhole", 6}, {"unreachable", 7}, {"prohibit", 8}}}

var fibFlagWords = []struct {
	name string
	flag uint32
}{{"saddr", fibSaddr}, {"daddr", fibDaddr}, {"mark", fibMark}, {"iif", fibIIF}, {"oif", fibOIF}}

var fibResultWords = map[string]uint32{"oif": fibResultOIF, "oifname": fibResultOIFName, "type": fibResultAddrType}

func fibFlag(s string) uint32 {
	for _, f := range fibFlagWords {
		if f.name == s {
			return f.flag
		}
	}
	return 0
}

func init() {
	selectorParsers["fib"] = func(p *parser, t token) Expr {
		e := &fibExpr{srcSpan: srcSpan{t.pos, t.end}}
		p.i++
		tuple := p.peek()
		for {
			n := p.next()
			f := fibFlag(n.text)
			if n.kind != tWord || f == 0 {
				p.unexpected(n)
			}
			e.flags |= f
			if !p.acceptPunct(".") {
				break
			}
		}
		tupleSpan := srcSpan{tuple.pos, p.toks[p.i-1].end}
		r := p.next()
		res, ok := fibResultWords[r.text]
		if r.kind != tWord || !ok {
			p.unexpected(r)
		}
		e.result, e.end = res, r.end
		switch {
		case e.flags&(fibSaddr|fibDaddr) == 0:
			p.errorAt(tupleSpan, "fib: need either saddr or daddr")
			panic(bailout{})
		case e.flags&(fibSaddr|fibDaddr) == fibSaddr|fibDaddr:
			p.errorAt(tupleSpan, "fib: saddr and daddr are mutually exclusive")
			panic(bailout{})
		case e.flags&(fibIIF|fibOIF) == fibIIF|fibOIF:
			p.errorAt(tupleSpan, "fib: iif and oif are mutually exclusive")
			panic(bailout{})
		}
		// nft's parser marks the lookup boolean when the match's right
		// side is exists or missing.
		k := 0
		if n := p.peekN(0); n.kind == tPunct && (n.text == "==" || n.text == "!=") || n.kind == tWord && (n.text == "eq" || n.text == "ne") {
			k = 1
		}
		if n := p.peekN(k); n.kind == tWord && (n.text == "exists" || n.text == "missing") {
			e.flags |= fibPresent
		}
		return e
	}
	registerSelectorLoad("fib", func(a attrMap) (selector, uint32, bool) {
		if !a.has(nftaFibDreg) {
			return nil, 0, false
		}
		return &fibExpr{flags: a.u32(nftaFibFlags), result: a.u32(nftaFibResult)}, a.u32(nftaFibDreg), true
	})
}

func (e *fibExpr) dtype() *Datatype {
	if e.flags&fibPresent != 0 {
		return dtBoolean
	}
	switch e.result {
	case fibResultOIF:
		return dtIfIndex
	case fibResultOIFName:
		return dtIfName
	case fibResultAddrType:
		return dtFibAddr
	}
	return dtInteger
}

func (e *fibExpr) bits() int {
	if e.result == fibResultOIFName {
		return 16 * 8
	}
	return 32
}

func (e *fibExpr) order() byteOrder { return orderHost }
func (e *fibExpr) geom() (int, int, bool) {
	return (e.bits() + 7) / 8, 0, false
}

func (e *fibExpr) deps(r *ruleCtx) error { return nil }

func (e *fibExpr) load(r *ruleCtx, dreg uint32) {
	var a attrBuf
	a.u32(nftaFibFlags, e.flags)
	a.u32(nftaFibResult, e.result)
	a.u32(nftaFibDreg, kernelReg(dreg))
	r.emit("fib", &a)
}

func (e *fibExpr) text() string {
	var parts []string
	rest := e.flags &^ fibPresent
	for _, f := range fibFlagWords {
		if rest&f.flag != 0 {
			parts = append(parts, f.name)
			rest &^= f.flag
		}
	}
	if rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", rest))
	}
	res := map[uint32]string{fibResultOIF: "oif", fibResultOIFName: "oifname", fibResultAddrType: "type"}[e.result]
	if res == "" {
		res = "unknown"
	}
	return "fib " + strings.Join(parts, " . ") + " " + res
}
