package nft

import (
	"golang.org/x/sys/unix"
)

// Verdicts (accept, drop, continue, return, jump, goto) and verdict maps.

func verdictCode(kind string) int32 {
	switch kind {
	case "accept":
		return 1
	case "drop":
		return 0
	case "continue":
		return unix.NFT_CONTINUE
	case "return":
		return unix.NFT_RETURN
	case "jump":
		return unix.NFT_JUMP
	case "goto":
		return unix.NFT_GOTO
	case "queue":
		return 3
	}
	return 0
}

func verdictName(code int32) string {
	switch code {
	case 1:
		return "accept"
	case 0:
		return "drop"
	case unix.NFT_CONTINUE:
		return "continue"
	case unix.NFT_RETURN:
		return "return"
	case unix.NFT_JUMP:
		return "jump"
	case unix.NFT_GOTO:
		return "goto"
	case unix.NFT_BREAK:
		return "break"
	case 3:
		return "queue"
	case 2:
		return "stolen"
	}
	return "unknown"
}

func (s *verdictStmt) compile(r *ruleCtx) error {
	if s.map_ != nil {
		return r.compileMap(s.map_, true, 0)
	}
	r.emitVerdict(verdictCode(s.v.kind), s.v.chain)
	return nil
}

// compileMap linearizes key vmap { ... } (verdict) or key map { ... }
// into register dreg.
// valueInfo is how a map's values are resolved: as the statement reading
// them takes them, else as their type says; nil when unknown.
func (m *mapExpr) valueInfo() *lhsInfo {
	if m.val != nil {
		return m.val
	}
	if m.dtype == nil {
		return nil
	}
	return &lhsInfo{dt: m.dtype, bits: m.dtype.Bits, order: m.dtype.Order, lenBytes: m.dtype.bytesLen()}
}

func (r *ruleCtx) compileMap(m *mapExpr, vmap bool, dreg uint32) error {
	if c, ok := m.key.(*ctExpr); ok && (c.key == 8 || c.key == 9) {
		return r.cc.errAt(c.srcSpan, "specify either ip or ip6 for address matching")
	}
	li, err := r.evalLHS(m.key)
	if err != nil {
		return err
	}
	for _, s := range li.sels {
		if err := s.deps(r); err != nil {
			return err
		}
	}
	switch t := m.m.(type) {
	case *setExpr:
		var valueOf func(Expr) ([]byte, *verdictExpr, error)
		if vmap {
			valueOf = func(e Expr) ([]byte, *verdictExpr, error) {
				v, ok := e.(*verdictExpr)
				if !ok {
					return nil, nil, r.cc.errAt(e.span(), "Map expression can not be a verdict")
				}
				return nil, v, nil
			}
		} else {
			valueOf = func(e Expr) ([]byte, *verdictExpr, error) {
				vli := m.valueInfo()
				if vli == nil {
					return nil, nil, r.cc.errAt(e.span(), "map value type unknown")
				}
				v, err := r.constValue(e, vli)
				if err != nil {
					return nil, nil, err
				}
				return vli.regValue(v), nil, nil
			}
		}
		as, err := r.buildAnonSet(t, li, valueOf)
		if err != nil {
			return err
		}
		as.flags |= setMap // addAnonSet names it __map%d
		as.hasData = true
		if vmap {
			as.dataType = unix.NFT_DATA_VERDICT
			as.dataLen = 0
			as.udata = anonUdata(li, as.flags&setInterval != 0, true, true, 0, false)
		} else if vli := m.valueInfo(); vli != nil {
			as.dataType = vli.dt.ID
			as.dataLen = uint32(vli.lenBytes)
			as.udata = anonUdata(li, as.flags&setInterval != 0, true, false, vli.dt.Order, false)
		}
		r.addAnonSet(as)
		reg := as.loadKey(r, li)
		r.emitLookup(reg, dreg, true, as.name, as.id, false)
		r.putReg(li.lenBytes)
	case *setRefExpr:
		id := r.cc.namedSetID(r.table, t.name)
		reg := r.loadSetRefKey(li, t.name) // concat_order.go
		r.emitLookup(reg, dreg, true, t.name, id, false)
		r.putReg(li.lenBytes)
	default:
		return r.cc.errAt(m.m.span(), "Expression is not a map")
	}
	return nil
}
