package nft

import (
	"golang.org/x/sys/unix"

	"github.com/xtnl/xtnl"
)

// fwd (fwd_stmt in parser_bison.y, stmt_evaluate_fwd,
// netlink_gen_fwd_stmt, fwd_stmt_print), netdev only: "fwd to DEV"
// forwards the packet out of an interface, "fwd ip|ip6 to ADDR device
// DEV" to a neighbour through it. A terminal statement.

// NFTA_FWD_* (linux/netfilter/nf_tables.h; x/sys/unix lacks the last two).
const (
	nftaFwdSregDev  = unix.NFTA_FWD_SREG_DEV
	nftaFwdSregAddr = 2
	nftaFwdNfproto  = 3
)

type fwdStmt struct {
	srcSpan
	family    string // "ip", "ip6" or "" (no address)
	addr, dev *stmtArg
}

func init() {
	stmtParsers["fwd"] = func(p *parser, t token) Stmt {
		p.i++
		s := &fwdStmt{srcSpan: srcSpan{t.pos, t.end}}
		if p.isWord("ip") || p.isWord("ip6") {
			s.family = p.next().text
			p.expectWord("to")
			s.addr = p.stmtArgument()
			p.expectWord("device")
			s.dev = p.stmtArgument()
		} else {
			p.expectWord("to")
			s.dev = p.stmtArgument()
		}
		s.end = p.toks[p.i-1].end
		return s
	}
}

func (s *fwdStmt) compile(r *ruleCtx) error {
	if r.fam != xtnl.FamilyNetdev {
		return r.cc.errAt(s.srcSpan, "unsupported family")
	}
	var a attrBuf
	dev, err := r.loadArg(s.dev, dtIfIndex)
	if err != nil {
		return err
	}
	a.u32(nftaFwdSregDev, kernelReg(dev))
	var nfproto uint32
	if s.addr != nil {
		dt := dtIPv4
		nfproto = unix.NFPROTO_IPV4
		if s.family == "ip6" {
			dt, nfproto = dtIPv6, unix.NFPROTO_IPV6
		}
		addr, err := r.loadArg(s.addr, dt)
		if err != nil {
			return err
		}
		a.u32(nftaFwdSregAddr, kernelReg(addr))
		r.putReg(16)
	}
	r.putReg(16)
	if nfproto != 0 {
		a.u32(nftaFwdNfproto, nfproto)
	}
	r.emit("fwd", &a)
	return nil
}

// fwdText prints a fwd expression from the registers it reads.
func (d *delin) fwdText(a attrMap) string {
	dev := d.argText(a.u32(nftaFwdSregDev), dtIfIndex)
	if !a.has(nftaFwdSregAddr) {
		return "fwd to " + dev
	}
	fam, dt := "ip", dtIPv4
	if a.u32(nftaFwdNfproto) == unix.NFPROTO_IPV6 {
		fam, dt = "ip6", dtIPv6
	}
	return "fwd " + fam + " to " + d.argText(a.u32(nftaFwdSregAddr), dt) + " device " + dev
}
