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
func (r *ruleCtx) compileMap(m *mapExpr, vmap bool, dreg uint32) error {
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
				if m.dtype == nil {
					return nil, nil, r.cc.errAt(e.span(), "map value type unknown")
				}
				vli := &lhsInfo{dt: m.dtype, bits: m.dtype.Bits, order: m.dtype.Order, lenBytes: m.dtype.bytesLen()}
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
		as.flags |= setMap
		as.name = "__map%d" // nft names anonymous maps apart from sets
		as.hasData = true
		if vmap {
			as.dataType = unix.NFT_DATA_VERDICT
			as.dataLen = 0
		} else {
			as.dataType = m.dtype.ID
			as.dataLen = uint32(m.dtype.bytesLen())
		}
		r.addAnonSet(as)
		reg := r.loadSetKey(li, as)
		r.emitLookup(reg, dreg, true, as.name, as.id, false)
		r.putReg(li.lenBytes)
	case *setRefExpr:
		id := r.cc.namedSetID(r.table, t.name)
		reg := r.loadLHS(li)
		r.emitLookup(reg, dreg, true, t.name, id, false)
		r.putReg(li.lenBytes)
	default:
		return r.cc.errAt(m.m.span(), "Expression is not a map")
	}
	return nil
}
