package nft

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// counterStmt is counter [packets N bytes N] (statement.c's
// counter_stmt); counter name X is an objrefStmt.
type counterStmt struct {
	srcSpan
	packets, bytes uint64
}

func init() {
	stmtParsers["counter"] = func(p *parser, t token) Stmt {
		p.i++
		if p.isWord("name") {
			return p.objrefStmt(t, objCounter)
		}
		s := &counterStmt{srcSpan: srcSpan{t.pos, t.end}}
		for {
			switch {
			case p.acceptWord("packets"):
				s.packets = p.number()
			case p.acceptWord("bytes"):
				s.bytes = p.number()
			default:
				return s
			}
		}
	}
}

func (s *counterStmt) compile(r *ruleCtx) error {
	a := r.attrs()
	a.u64(unix.NFTA_COUNTER_BYTES, s.bytes)
	a.u64(unix.NFTA_COUNTER_PACKETS, s.packets)
	r.emit("counter", &a)
	return nil
}

func counterText(a attrMap, o *PrintOptions) string {
	if o.Stateless {
		return "counter"
	}
	return fmt.Sprintf("counter packets %d bytes %d", a.u64(unix.NFTA_COUNTER_PACKETS), a.u64(unix.NFTA_COUNTER_BYTES))
}
