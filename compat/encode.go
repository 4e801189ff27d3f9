package compat

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
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

// Exprs returns the expressions iptables-nft 1.8.9 writes for the rule, in
// its order: interfaces, protocol, addresses, fragment, matches, counter,
// target.
func (s *Spec) Exprs() ([]Expr, error) {
	var out []Expr
	out = appendIface(out, nftexpr.MetaKeyIIFNAME, s.InIface, s.InvIn)
	out = appendIface(out, nftexpr.MetaKeyOIFNAME, s.OutIface, s.InvOut)
	if s.Proto != 0 {
		out = append(out,
			&nftexpr.Meta{Key: nftexpr.MetaKeyL4PROTO, Register: 1},
			&nftexpr.Cmp{Op: cmpOp(s.InvProto), Register: 1, Data: []byte{s.Proto}})
	}
	srcOff, dstOff := s.Family.addrOffsets()
	var err error
	if out, err = appendAddr(out, s.Family, srcOff, s.Src, s.InvSrc, "-s"); err != nil {
		return nil, err
	}
	if out, err = appendAddr(out, s.Family, dstOff, s.Dst, s.InvDst, "-d"); err != nil {
		return nil, err
	}
	if s.Frag {
		out = append(out,
			&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: 6, Len: 2},
			&nftexpr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 2, Mask: []byte{0x1f, 0xff}, Xor: []byte{0, 0}},
			&nftexpr.Cmp{Op: cmpOp(!s.InvFrag), Register: 1, Data: []byte{0, 0}})
	}
	ctx := &EncodeContext{Spec: s}
	for _, m := range s.Matches {
		out = appendInstance(out, m, ctx, false)
	}
	cnt := &nftexpr.Counter{}
	if s.Counters != nil {
		cnt.Packets, cnt.Bytes = s.Counters.Packets, s.Counters.Bytes
	}
	out = append(out, cnt)
	switch {
	case s.Target != nil:
		out = appendInstance(out, s.Target, ctx, true)
	case s.Verdict == "ACCEPT":
		out = append(out, &nftexpr.Verdict{Kind: nftexpr.VerdictAccept})
	case s.Verdict == "DROP":
		out = append(out, &nftexpr.Verdict{Kind: nftexpr.VerdictDrop})
	case s.Verdict == "RETURN":
		out = append(out, &nftexpr.Verdict{Kind: nftexpr.VerdictReturn})
	case s.Verdict != "" && s.Goto:
		out = append(out, &nftexpr.Verdict{Kind: nftexpr.VerdictGoto, Chain: s.Verdict})
	case s.Verdict != "":
		out = append(out, &nftexpr.Verdict{Kind: nftexpr.VerdictJump, Chain: s.Verdict})
	}
	return out, nil
}

func appendInstance(out []Expr, in *Instance, ctx *EncodeContext, target bool) []Expr {
	if in.Ext.Native != nil {
		if exprs, ok := in.Ext.Native(in.Info, ctx); ok {
			return append(out, exprs...)
		}
	}
	info := xt.Unknown(in.Info)
	if target {
		return append(out, &nftexpr.Target{Name: in.Ext.KernelName, Rev: in.Ext.Revision, Info: &info})
	}
	return append(out, &nftexpr.Match{Name: in.Ext.KernelName, Rev: in.Ext.Revision, Info: &info})
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

func appendIface(out []Expr, key nftexpr.MetaKey, name string, invert bool) []Expr {
	if name == "" {
		return out
	}
	out = append(out, &nftexpr.Meta{Key: key, Register: 1})
	switch {
	case name == "+" && !invert:
		return out // any interface: a bare load, as iptables-nft writes it
	case name == "+":
		return append(out, &nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: append([]byte(invalidIface), 0)})
	case name[len(name)-1] == '+':
		return append(out, &nftexpr.Cmp{Op: cmpOp(invert), Register: 1, Data: []byte(name[:len(name)-1])})
	default:
		return append(out, &nftexpr.Cmp{Op: cmpOp(invert), Register: 1, Data: append([]byte(name), 0)})
	}
}

func appendAddr(out []Expr, fam Family, off uint32, a Addr, invert bool, token string) ([]Expr, error) {
	l := fam.addrLen()
	if a.isZero(fam) {
		if invert {
			// iptables-nft sends a zero-length load here and the kernel
			// refuses the rule; say so before sending anything.
			return nil, badSpec("! "+token, "negating a match-all address (/0) matches nothing and is refused by the kernel")
		}
		return out, nil
	}
	p := a.prefixLen(fam)
	if p >= 0 && p%8 == 0 {
		n := p / 8
		return append(out,
			&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: off, Len: uint32(n)},
			&nftexpr.Cmp{Op: cmpOp(invert), Register: 1, Data: append([]byte(nil), a.IP[:n]...)}), nil
	}
	return append(out,
		&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: off, Len: uint32(l)},
		&nftexpr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: uint32(l), Mask: append([]byte(nil), a.Mask[:l]...), Xor: make([]byte, l)},
		&nftexpr.Cmp{Op: cmpOp(invert), Register: 1, Data: append([]byte(nil), a.IP[:l]...)}), nil
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
		Compat: &xtnl.RuleCompat{Proto: uint32(s.Proto), Invert: s.InvProto},
	}, nil
}
