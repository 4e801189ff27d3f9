package nft

import "fmt"

// synproxyStmt is synproxy [mss N] [wscale N] [timestamp] [sack-perm]
// (statement.c's synproxy_stmt); synproxy name X is an objrefStmt.
type synproxyStmt struct {
	srcSpan
	mss    uint16
	wscale uint8
	flags  uint32
}

// Synproxy options (NF_SYNPROXY_OPT_*) and attributes (NFTA_SYNPROXY_*).
const (
	synproxyOptMSS       = 0x1
	synproxyOptWscale    = 0x2
	synproxyOptSackPerm  = 0x4
	synproxyOptTimestamp = 0x8

	nftaSynproxyMSS    = 1
	nftaSynproxyWscale = 2
	nftaSynproxyFlags  = 3
)

func init() {
	stmtParsers["synproxy"] = func(p *parser, t token) Stmt {
		p.i++
		if p.isWord("name") {
			return p.objrefStmt(t, objSynproxy)
		}
		s := &synproxyStmt{srcSpan: srcSpan{t.pos, t.end}}
		for {
			switch {
			case p.acceptWord("mss"):
				n := p.peek()
				v := p.number()
				if v > 0xffff {
					p.fail(n, "syntax error, value out of range")
				}
				s.mss, s.flags = uint16(v), s.flags|synproxyOptMSS
			case p.acceptWord("wscale"):
				n := p.peek()
				v := p.number()
				if v > 0xff {
					p.fail(n, "syntax error, value out of range")
				}
				s.wscale, s.flags = uint8(v), s.flags|synproxyOptWscale
			case p.acceptWord("timestamp"):
				s.flags |= synproxyOptTimestamp
			case p.acceptWord("sack-perm"):
				s.flags |= synproxyOptSackPerm
			default:
				s.end = p.toks[p.i-1].end
				return s
			}
		}
	}
	exprPrinters["synproxy"] = func(d *delin, a attrMap) {
		d.add(synproxyText(be16(a[nftaSynproxyMSS]), byteAt(a[nftaSynproxyWscale]), a.u32(nftaSynproxyFlags)))
	}
}

func (s *synproxyStmt) compile(r *ruleCtx) error {
	var a attrBuf
	a.raw(nftaSynproxyMSS, []byte{byte(s.mss >> 8), byte(s.mss)})
	a.raw(nftaSynproxyWscale, []byte{s.wscale})
	a.u32(nftaSynproxyFlags, s.flags)
	r.emit("synproxy", &a)
	return nil
}

// synproxyText prints as nft does, which writes both mss and wscale when
// either is set.
func synproxyText(mss uint16, wscale uint8, flags uint32) string {
	opts := ""
	if flags&synproxyOptTimestamp != 0 {
		opts += " timestamp"
	}
	if flags&synproxyOptSackPerm != 0 {
		opts += " sack-perm"
	}
	if flags&(synproxyOptMSS|synproxyOptWscale) != 0 {
		return fmt.Sprintf("synproxy mss %d wscale %d%s", mss, wscale, opts)
	}
	return "synproxy" + opts
}

// be16 reads a big-endian 16-bit attribute (0 when short).
func be16(b []byte) uint16 {
	if len(b) < 2 {
		return 0
	}
	return uint16(b[0])<<8 | uint16(b[1])
}

// byteAt reads an 8-bit attribute (0 when empty).
func byteAt(b []byte) uint8 {
	if len(b) < 1 {
		return 0
	}
	return b[0]
}
