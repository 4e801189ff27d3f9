package nft

import (
	"golang.org/x/sys/unix"

	"github.com/xtnl/xtnl"
)

// dup (dup_stmt in parser_bison.y, stmt_evaluate_dup,
// netlink_gen_dup_stmt, dup_stmt_print): in ip and ip6 "dup to ADDR
// [device DEV]" clones the packet to a gateway, in netdev "dup to DEV"
// to an interface. Address and device are constants or maps.

type dupStmt struct {
	srcSpan
	to, dev *stmtArg
}

func init() {
	stmtParsers["dup"] = func(p *parser, t token) Stmt {
		p.i++
		s := &dupStmt{srcSpan: srcSpan{t.pos, t.end}}
		p.expectWord("to")
		s.to = p.stmtArgument()
		if p.acceptWord("device") {
			s.dev = p.stmtArgument()
		}
		s.end = p.toks[p.i-1].end
		return s
	}
}

func (s *dupStmt) compile(r *ruleCtx) error {
	var a attrBuf
	switch r.fam {
	case xtnl.FamilyIPv4, xtnl.FamilyIPv6:
		dt := dtIPv4
		if r.fam == xtnl.FamilyIPv6 {
			dt = dtIPv6
		}
		to, err := r.loadArg(s.to, dt)
		if err != nil {
			return err
		}
		a.u32(unix.NFTA_DUP_SREG_ADDR, kernelReg(to))
		if s.dev != nil {
			dev, err := r.loadArg(s.dev, dtIfIndex)
			if err != nil {
				return err
			}
			a.u32(unix.NFTA_DUP_SREG_DEV, kernelReg(dev))
			r.putReg(16)
		}
	case xtnl.FamilyNetdev:
		if s.dev != nil {
			return r.cc.errAt(s.srcSpan, "cannot specify device")
		}
		to, err := r.loadArg(s.to, dtIfIndex)
		if err != nil {
			return err
		}
		a.u32(unix.NFTA_DUP_SREG_DEV, kernelReg(to))
	default:
		return r.cc.errAt(s.srcSpan, "unsupported family")
	}
	r.putReg(16)
	r.emit("dup", &a)
	return nil
}

// dupText prints a dup expression from the registers it reads.
func (d *delin) dupText(a attrMap) string {
	s := "dup"
	if a.has(unix.NFTA_DUP_SREG_ADDR) {
		dt := dtIPv4
		if d.fam == xtnl.FamilyIPv6 {
			dt = dtIPv6
		}
		s += " to " + d.argText(a.u32(unix.NFTA_DUP_SREG_ADDR), dt)
		if a.has(unix.NFTA_DUP_SREG_DEV) {
			s += " device " + d.argText(a.u32(unix.NFTA_DUP_SREG_DEV), dtIfIndex)
		}
	} else if a.has(unix.NFTA_DUP_SREG_DEV) {
		s += " to " + d.argText(a.u32(unix.NFTA_DUP_SREG_DEV), dtIfIndex)
	}
	return s
}
