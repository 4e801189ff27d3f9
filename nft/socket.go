package nft

import "fmt"

// socketExpr is socket transparent|mark|wildcard|cgroupv2 level N
// (socket.c): properties of the socket a packet belongs to.
type socketExpr struct {
	srcSpan
	key   uint32
	level uint32
}

// Socket keys (NFT_SOCKET_*) and attributes (NFTA_SOCKET_*).
const (
	socketTransparent = 0
	socketMark        = 1
	socketWildcard    = 2
	socketCgroupv2    = 3
	nftaSocketKey     = 1
	nftaSocketDreg    = 2
	nftaSocketLevel   = 3
)

var socketKeys = map[string]uint32{"transparent": socketTransparent, "mark": socketMark, "wildcard": socketWildcard, "cgroupv2": socketCgroupv2}

func init() {
	selectorParsers["socket"] = func(p *parser, t token) Expr {
		n := p.peekN(1)
		k, ok := socketKeys[n.text]
		if n.kind != tWord || !ok {
			p.i++
			p.unexpected(n)
		}
		p.i += 2
		e := &socketExpr{srcSpan: srcSpan{t.pos, n.end}, key: k}
		if k == socketCgroupv2 {
			p.expectWord("level")
			e.level = p.u32Arg()
			e.end = p.toks[p.i-1].end
		}
		return e
	}
	exprPrinters["socket"] = func(d *delin, a attrMap) {
		d.regs[a.u32(nftaSocketDreg)] = &regVal{sel: &socketExpr{key: a.u32(nftaSocketKey), level: a.u32(nftaSocketLevel)}}
	}
}

func (e *socketExpr) dtype() *Datatype {
	switch e.key {
	case socketMark:
		return dtMark
	case socketCgroupv2:
		return dtCgroupV2
	}
	return dtInteger
}

func (e *socketExpr) bits() int {
	switch e.key {
	case socketMark:
		return 32
	case socketCgroupv2:
		return 64
	}
	return 1 // transparent and wildcard are flags, loaded as a byte
}

func (e *socketExpr) order() byteOrder { return orderHost }
func (e *socketExpr) geom() (int, int, bool) {
	return (e.bits() + 7) / 8, 0, false
}
func (e *socketExpr) deps(r *ruleCtx) error { return nil }

func (e *socketExpr) load(r *ruleCtx, dreg uint32) {
	var a attrBuf
	a.u32(nftaSocketKey, e.key)
	a.u32(nftaSocketDreg, kernelReg(dreg))
	if e.key == socketCgroupv2 {
		a.u32(nftaSocketLevel, e.level)
	}
	r.emit("socket", &a)
}

func (e *socketExpr) text() string {
	for name, k := range socketKeys {
		if k == e.key {
			if k == socketCgroupv2 {
				return fmt.Sprintf("socket cgroupv2 level %d", e.level)
			}
			return "socket " + name
		}
	}
	return fmt.Sprintf("socket (unknown key %d)", e.key)
}

// dtCgroupV2 is a cgroup v2 path's inode number (TYPE_CGROUPV2).
var dtCgroupV2 = &Datatype{ID: typeCgroupV2, Name: "cgroupsv2", Desc: "cgroupsv2 path", Bits: 64, Order: orderHost, Base: dtInteger}
