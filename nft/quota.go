package nft

import (
	"golang.org/x/sys/unix"
)

// quotaStmt is quota [over|until] N unit [used N unit] (statement.c's
// quota_stmt): a byte budget the rule consumes.
type quotaStmt struct {
	srcSpan
	bytes, used uint64
	over        bool
}

func init() {
	stmtParsers["quota"] = func(p *parser, t token) Stmt {
		p.i++
		if p.isWord("name") {
			return p.objrefStmt(t, objQuota)
		}
		s := &quotaStmt{srcSpan: srcSpan{t.pos, t.end}}
		if p.acceptWord("over") {
			s.over = true
		} else {
			p.acceptWord("until")
		}
		s.bytes = p.number() * p.dataUnitArg(t)
		if p.acceptWord("used") {
			s.used = p.number() * p.dataUnitArg(t)
		}
		s.end = p.toks[p.i-1].end
		return s
	}
}

func (s *quotaStmt) compile(r *ruleCtx) error {
	var a attrBuf
	a.u64(unix.NFTA_QUOTA_BYTES, s.bytes)
	a.u64(unix.NFTA_QUOTA_CONSUMED, s.used)
	var flags uint32
	if s.over {
		flags = unix.NFT_QUOTA_F_INV
	}
	a.u32(unix.NFTA_QUOTA_FLAGS, flags)
	r.emit("quota", &a)
	return nil
}

func quotaText(a attrMap, o *PrintOptions) string {
	s := "quota "
	if a.u32(unix.NFTA_QUOTA_FLAGS)&unix.NFT_QUOTA_F_INV != 0 {
		s += "over "
	}
	s += byteRate(a.u64(unix.NFTA_QUOTA_BYTES))
	if used := a.u64(unix.NFTA_QUOTA_CONSUMED); used != 0 && !o.Stateless {
		s += " used " + byteRate(used)
	}
	return s
}

func init() {
	exprPrinters["quota"] = func(d *delin, a attrMap) { d.add(quotaText(a, d.o)) }
}
