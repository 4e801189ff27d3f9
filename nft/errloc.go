package nft

import (
	"errors"
	"strings"

	"github.com/xtnl/xtnl"
	nla "github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// Where nft points when the kernel refuses a message (nft_cmd_error in
// cmd.c): the kernel names the offending attribute by its offset in the
// message (NLMSGERR_ATTR_OFFS), and nft recorded, for each attribute it
// wrote, the text it came from (cmd_add_loc): the table's name, the
// chain's, set's or object's, a rule's handle or position, and each of a
// rule's expressions. An offset matching none points at the command.
//
// The places are found only when needed: the script is compiled again,
// recording them for the one refused message.

// attrSpan is an attribute's offset in its message and its text.
type attrSpan struct {
	off  uint32
	span srcSpan
}

// attrsStart is where a message's attributes start: after the netlink and
// nfgenmsg headers.
const attrsStart = 16 + 4

// locateAttrs records where the attributes of the message being added
// were written (for the message Options.locate names).
func (cc *compileCtx) locateAttrs(typ uint16, attrs []byte) {
	c := cc.curCmd
	if c == nil {
		return
	}
	// nft's command location: for what a table block declares, its name
	cc.prog.locatedBy = c
	cc.prog.locatedCmd = c.pos
	switch {
	case c.end > 0:
		cc.prog.locatedCmd.end = c.end
	case c.Obj != "rule" && c.nameSpan.Line > 0:
		cc.prog.locatedCmd = c.nameSpan
	}
	var names map[uint16]srcSpan
	switch typ {
	case unix.NFT_MSG_NEWTABLE, unix.NFT_MSG_DELTABLE:
		names = map[uint16]srcSpan{unix.NFTA_TABLE_NAME: c.tableSpan}
	case unix.NFT_MSG_NEWCHAIN, unix.NFT_MSG_DELCHAIN:
		names = map[uint16]srcSpan{unix.NFTA_CHAIN_TABLE: c.tableSpan, unix.NFTA_CHAIN_NAME: c.nameSpan, unix.NFTA_CHAIN_HANDLE: c.handleSpan}
	case unix.NFT_MSG_NEWRULE, unix.NFT_MSG_DELRULE:
		names = map[uint16]srcSpan{unix.NFTA_RULE_TABLE: c.tableSpan, unix.NFTA_RULE_CHAIN: c.nameSpan, unix.NFTA_RULE_HANDLE: c.handleSpan, unix.NFTA_RULE_POSITION: c.handleSpan}
	case unix.NFT_MSG_NEWSET, unix.NFT_MSG_DELSET, unix.NFT_MSG_NEWSETELEM, unix.NFT_MSG_DELSETELEM:
		names = map[uint16]srcSpan{unix.NFTA_SET_TABLE: c.tableSpan}
		if c.Obj == "set" || c.Obj == "map" || c.Obj == "element" {
			names[unix.NFTA_SET_NAME] = c.nameSpan
		}
	case unix.NFT_MSG_NEWOBJ, unix.NFT_MSG_DELOBJ, unix.NFT_MSG_NEWFLOWTABLE, unix.NFT_MSG_DELFLOWTABLE:
		names = map[uint16]srcSpan{1: c.tableSpan, 2: c.nameSpan} // NFTA_OBJ_TABLE, NFTA_OBJ_NAME (and flowtable's)
	}
	d := nla.NewDecoder(attrs)
	for d.Next() {
		off := uint32(attrsStart + d.Offset())
		if s, ok := names[d.Type()]; ok && s.Line > 0 {
			cc.prog.located = append(cc.prog.located, attrSpan{off, s})
		}
		if (typ == unix.NFT_MSG_NEWRULE) && d.Type() == unix.NFTA_RULE_EXPRESSIONS {
			start := off + 4
			e := nla.NewDecoder(d.Bytes())
			for k := 0; e.Next() && k < len(cc.exprSpans); k++ {
				cc.prog.located = append(cc.prog.located, attrSpan{start + uint32(e.Offset()), cc.exprSpans[k]})
			}
		}
	}
}

// spanExprs gives the expressions s added to the rule s's text: a jump's
// or goto's is its chain's name, as nft's.
func (r *ruleCtx) spanExprs(s Stmt) {
	sp := s.span()
	if v, ok := s.(*verdictStmt); ok && v.v != nil && v.v.chain != "" {
		sp.Col = sp.end - len(v.v.chain) + 1
	}
	for len(r.cc.exprSpans) < len(r.out) {
		at := sp
		if m, ok := s.(*matchStmt); ok && len(r.cc.exprSpans) < len(r.out)-1 {
			// a match loads its left side (at that side's text), then
			// compares (at the whole match)
			at = m.rel.l.span()
		}
		r.cc.exprSpans = append(r.cc.exprSpans, at)
	}
}

// refusedErrors turns the kernel's refusals of a script's batch into
// nft's errors, each at the place nft names.
// n is how many messages the program has: the batch's own refusals and
// Check's closing message are not the script's.
func refusedErrors(src string, o Options, n int, err error) (ErrorList, bool) {
	var oe *xtnl.OpError
	if !errors.As(err, &oe) || oe.Index < 0 || oe.Index >= n {
		return nil, false
	}
	var out ErrorList
	for _, e := range append([]*xtnl.OpError{oe}, oe.Also...) {
		if e.Index >= 0 && e.Index < n {
			out = append(out, refusedError(src, o, e))
		}
	}
	return out, true
}

// refusedError is one refusal as nft reports it.
func refusedError(src string, o Options, oe *xtnl.OpError) *Error {
	msg := "Could not process rule: " + errnoText(oe)
	lo := o
	lo.locate = oe.Index + 1
	prog, err := Compile(src, lo)
	if err != nil {
		return &Error{File: o.File, Msg: msg}
	}
	at := prog.locatedCmd
	matched := false
	for _, a := range prog.located {
		if a.off == oe.Offset {
			at, matched = a.span, true
		}
	}
	if c := prog.locatedBy; matched && oe.Errno == unix.ENOENT && c != nil && c.Obj == "rule" {
		if e, ok := ruleNotFound(o.Lookup, c, at); ok {
			e.File, e.Text = o.File, lineText(src, e.Line)
			return e
		}
	}
	return &Error{File: o.File, Pos: at.Pos, EndCol: at.end, Msg: msg, Text: lineText(src, at.Line)}
}

// errnoText is strerror's text for the refusal's errno.
func errnoText(oe *xtnl.OpError) string {
	s := oe.Errno.Error()
	if s == "" {
		return oe.Error()
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// addErr records an error of the command at pos: the compiler goes on
// with the next command, or the next rule of a table block, as nft's
// evaluation does, and reports them all.
func (cc *compileCtx) addErr(err error, pos srcSpan) {
	if el, ok := err.(ErrorList); ok {
		cc.errs = append(cc.errs, el...)
	} else if e, ok := err.(*Error); ok {
		cc.errs = append(cc.errs, e)
	} else {
		cc.errs = append(cc.errs, &Error{File: cc.file, Pos: pos.Pos, EndCol: pos.end, Msg: err.Error(), Text: lineText(cc.src, pos.Line)})
	}
}
