package nft

import (
	"fmt"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// reject (reject_stmt in parser_bison.y). Only the plain form is
// compiled yet: ICMP port-unreachable in ip, ICMPv6 port-unreachable in
// ip6, ICMPx port-unreachable in inet, with no dependency. "reject with
// ..." is refused with an error naming it.

type rejectStmt struct{ srcSpan }

func init() {
	stmtParsers["reject"] = func(p *parser, t token) Stmt {
		p.i++
		s := &rejectStmt{srcSpan{t.pos, t.end}}
		if p.isWord("with") {
			w := p.peek()
			p.errorf(srcSpan{w.pos, w.end}, "reject with ... is not supported yet")
		}
		return s
	}
}

// ICMP codes nft's plain reject uses.
const (
	icmpPortUnreach   = 3 // ICMP_PORT_UNREACH
	icmp6PortUnreach  = 4 // ICMPV6_PORT_UNREACH
	icmpxPortUnreach  = unix.NFT_REJECT_ICMPX_PORT_UNREACH
	rejectTypeICMP    = unix.NFT_REJECT_ICMP_UNREACH
	rejectTypeTCPRst  = unix.NFT_REJECT_TCP_RST
	rejectTypeICMPX   = unix.NFT_REJECT_ICMPX_UNREACH
	rejectDefaultText = "reject"
)

func (s *rejectStmt) compile(r *ruleCtx) error {
	var typ uint32
	var code byte
	switch r.fam {
	case xtnl.FamilyIPv4:
		typ, code = rejectTypeICMP, icmpPortUnreach
	case xtnl.FamilyIPv6:
		typ, code = rejectTypeICMP, icmp6PortUnreach
	case xtnl.FamilyInet:
		typ, code = rejectTypeICMPX, icmpxPortUnreach
	default:
		return r.cc.errAt(s.srcSpan, fmt.Sprintf("reject in the %s family is not supported yet", r.fam))
	}
	var a attrBuf
	a.u32(unix.NFTA_REJECT_TYPE, typ)
	a.raw(unix.NFTA_REJECT_ICMP_CODE, []byte{code})
	r.emit("reject", &a)
	return nil
}

// rejectText prints a reject expression as nft does: the default of the
// family as plain "reject".
func (d *delin) rejectText(a attrMap) string {
	typ := a.u32(unix.NFTA_REJECT_TYPE)
	var code byte
	if b := a[unix.NFTA_REJECT_ICMP_CODE]; len(b) > 0 {
		code = b[0]
	}
	switch {
	case typ == rejectTypeTCPRst:
		return "reject with tcp reset"
	case typ == rejectTypeICMPX && code == icmpxPortUnreach,
		typ == rejectTypeICMP && d.fam == xtnl.FamilyIPv4 && code == icmpPortUnreach,
		typ == rejectTypeICMP && d.fam == xtnl.FamilyIPv6 && code == icmp6PortUnreach:
		return rejectDefaultText
	}
	return fmt.Sprintf("reject type %d code %d", typ, code) // not nft's text: "reject with" forms are not printed yet
}
