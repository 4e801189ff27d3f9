package compat

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
)

// Expr is an nftables expression (see package expr).
type Expr = expr.Expr

// EncodeContext is what an extension's native translation sees.
type EncodeContext struct {
	Spec *Spec
}

// IPv4 and IPv6 header offsets of the source and destination addresses.
func (f Family) addrOffsets() (src, dst uint32) {
	if f == IPv6 {
		return 8, 24
	}
	return 12, 16
}

// appendExprs appends the expressions iptables-nft 1.8.9 writes for the
// rule, encoded as the kernel takes them (the content of
// NFTA_RULE_EXPRESSIONS), in its order: interfaces, protocol, addresses,
// fragment, matches, counter, target. This is the one encoder of rules:
// Append, Restore and the rule comparisons write through it without
// building expression values, and Exprs decodes what it wrote.
func (s *Spec) appendExprs(b []byte) ([]byte, error) {
	b = appendIface(b, nftexpr.MetaKeyIIFNAME, s.InIface, s.InvIn)
	b = appendIface(b, nftexpr.MetaKeyOIFNAME, s.OutIface, s.InvOut)
	if s.Proto != 0 {
		b = expr.AppendMeta(b, nftexpr.MetaKeyL4PROTO, 1)
		b = expr.AppendCmp(b, cmpOp(s.InvProto), 1, []byte{s.Proto})
	}
	srcOff, dstOff := s.Family.addrOffsets()
	var err error
	if b, err = appendAddr(b, s.Family, srcOff, &s.Src, s.InvSrc, "-s"); err != nil {
		return nil, err
	}
	if b, err = appendAddr(b, s.Family, dstOff, &s.Dst, s.InvDst, "-d"); err != nil {
		return nil, err
	}
	if s.Frag {
		b = expr.AppendPayload(b, nftexpr.PayloadBaseNetworkHeader, 6, 2, 1)
		b = expr.AppendBitwise(b, 1, 1, 2, []byte{0x1f, 0xff}, []byte{0, 0})
		b = expr.AppendCmp(b, cmpOp(!s.InvFrag), 1, []byte{0, 0})
	}
	ctx := EncodeContext{Spec: s}
	for _, m := range s.Matches {
		b = appendInstance(b, m, ctx, false)
	}
	if s.Counters != nil {
		b = expr.AppendCounter(b, s.Counters.Bytes, s.Counters.Packets)
	} else {
		b = expr.AppendCounter(b, 0, 0)
	}
	switch {
	case s.Target != nil:
		b = appendInstance(b, s.Target, ctx, true)
	case s.Verdict == "ACCEPT":
		b = expr.AppendVerdict(b, nftexpr.VerdictAccept, "")
	case s.Verdict == "DROP":
		b = expr.AppendVerdict(b, nftexpr.VerdictDrop, "")
	case s.Verdict == "RETURN":
		b = expr.AppendVerdict(b, nftexpr.VerdictReturn, "")
	case s.Verdict != "" && s.Goto:
		b = expr.AppendVerdict(b, nftexpr.VerdictGoto, s.Verdict)
	case s.Verdict != "":
		b = expr.AppendVerdict(b, nftexpr.VerdictJump, s.Verdict)
	}
	return b, nil
}

// Exprs returns the expressions iptables-nft 1.8.9 writes for the rule,
// in its order: interfaces, protocol, addresses, fragment, matches,
// counter, target.
func (s *Spec) Exprs() ([]Expr, error) {
	b, err := s.appendExprs(nil)
	if err != nil {
		return nil, err
	}
	return expr.UnmarshalList(byte(s.Family.xtnlFamily()), b)
}

func appendInstance(b []byte, in *Instance, ctx EncodeContext, target bool) []byte {
	if in.Ext.Native != nil {
		mark := len(b)
		if out, ok := in.Ext.Native(in.Info, ctx, b); ok {
			return out
		}
		b = b[:mark]
	}
	if target {
		return expr.AppendTarget(b, in.Ext.KernelName, in.Ext.Revision, in.Info)
	}
	return expr.AppendMatch(b, in.Ext.KernelName, in.Ext.Revision, in.Info)
}

func cmpOp(invert bool) nftexpr.CmpOp {
	if invert {
		return nftexpr.CmpOpNeq
	}
	return nftexpr.CmpOpEq
}

// invalidIface is what iptables-nft compares against for "! -i +": no
// interface can be named so.
const invalidIface = "INVAL/D"

func appendIface(b []byte, key nftexpr.MetaKey, name string, invert bool) []byte {
	if name == "" {
		return b
	}
	b = expr.AppendMeta(b, key, 1)
	var buf [ifnamsiz + 1]byte // room for any name parseIface accepts; longer ones still work
	switch {
	case name == "+" && !invert:
		return b // any interface: a bare load, as iptables-nft writes it
	case name == "+":
		return expr.AppendCmp(b, nftexpr.CmpOpEq, 1, append(append(buf[:0], invalidIface...), 0))
	case name[len(name)-1] == '+':
		return expr.AppendCmp(b, cmpOp(invert), 1, append(buf[:0], name[:len(name)-1]...))
	default:
		return expr.AppendCmp(b, cmpOp(invert), 1, append(append(buf[:0], name...), 0))
	}
}

func appendAddr(b []byte, fam Family, off uint32, a *Addr, invert bool, token string) ([]byte, error) {
	l := fam.addrLen()
	if a.outsideMask(fam) {
		// iptables cannot write it (it masks what it parses), and written
		// as iptables writes the masked form it would mean another rule.
		return nil, badSpec(token+" "+a.format(fam), "address has bits outside its mask: iptables cannot write this rule")
	}
	if a.isZero(fam) {
		if invert {
			// iptables-nft sends a zero-length load here and the kernel
			// refuses the rule; say so before sending anything.
			return nil, badSpec("! "+token, "negating a match-all address (/0) matches nothing and is refused by the kernel")
		}
		return b, nil
	}
	p := a.prefixLen(fam)
	if p >= 0 && p%8 == 0 {
		n := p / 8
		b = expr.AppendPayload(b, nftexpr.PayloadBaseNetworkHeader, off, uint32(n), 1)
		return expr.AppendCmp(b, cmpOp(invert), 1, a.IP[:n]), nil
	}
	var zero [16]byte
	b = expr.AppendPayload(b, nftexpr.PayloadBaseNetworkHeader, off, uint32(l), 1)
	b = expr.AppendBitwise(b, 1, 1, uint32(l), a.Mask[:l], zero[:l])
	return expr.AppendCmp(b, cmpOp(invert), 1, a.IP[:l]), nil
}

// xtnlFamily maps to the nf_tables family of iptables' tables.
func (f Family) xtnlFamily() xtnl.Family {
	if f == IPv6 {
		return xtnl.FamilyIPv6
	}
	return xtnl.FamilyIPv4
}

// Rule returns the nf_tables rule iptables-nft would write for s.
func (s *Spec) Rule() (*xtnl.Rule, error) {
	exprs, err := s.Exprs()
	if err != nil {
		return nil, err
	}
	if s.Table == "" || s.Chain == "" {
		return nil, fmt.Errorf("compat: rule without table or chain: %w", ErrBadSpec)
	}
	return &xtnl.Rule{
		Family: s.Family.xtnlFamily(),
		Table:  s.Table,
		Chain:  s.Chain,
		Exprs:  exprs,
		Compat: new(s.compat()),
	}, nil
}

// compat is the NFTA_RULE_COMPAT iptables-nft attaches to every rule.
func (s *Spec) compat() xtnl.RuleCompat {
	return xtnl.RuleCompat{Proto: uint32(s.Proto), Invert: s.InvProto}
}
