package compat

import (
	"bytes"
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
)

// decoder walks a rule's expressions, turning each recognized sequence back
// into the iptables field, match or target it came from.
type decoder struct {
	spec  *Spec
	exprs []Expr
	pos   int
	// sc, when set, is the memory new instances are made in.
	sc *decodeScratch
}

// nativeDecoder recognizes, at d.pos, the native expressions one extension
// is translated into, and consumes them; it returns false (consuming
// nothing) when the expressions there are not its own.
type nativeDecoder func(d *decoder) (bool, error)

var nativeDecoders []nativeDecoder

// registerNative adds a native decoder; called from extensions' init.
func registerNative(fn nativeDecoder) { nativeDecoders = append(nativeDecoders, fn) }

func (d *decoder) peek(k int) Expr {
	if d.pos+k < len(d.exprs) {
		return d.exprs[d.pos+k]
	}
	return nil
}

// instance returns the rule's match of extension name, adding it when
// absent: iptables-nft merges native pieces of one match (tcp ports and
// flags) into a single match.
func (d *decoder) instance(name string) *Instance {
	for _, m := range d.spec.Matches {
		if m.Ext.Name == name {
			return m
		}
	}
	ext := lookup(matches, name, d.spec.Family)
	in := d.newInstance(ext, XTAlign(ext.Size))
	if ext.Init != nil {
		ext.Init(in.Info, d.parseContext())
	}
	d.spec.Matches = append(d.spec.Matches, in)
	return in
}

// cmpAt returns the cmp at offset k reading register 1, if there is one.
func (d *decoder) cmpAt(k int) (*nftexpr.Cmp, bool) {
	c, ok := d.peek(k).(*nftexpr.Cmp)
	if !ok || c.Register != 1 {
		return nil, false
	}
	return c, true
}

func (d *decoder) fail(format string, args ...any) error {
	return &NotIptablesError{Table: d.spec.Table, Chain: d.spec.Chain, Why: fmt.Sprintf(format, args...)}
}

// Decode turns a rule read from the kernel into its iptables form. A rule
// holding anything iptables-nft would not have written is reported with an
// error matching ErrNotIptables rather than approximated.
func Decode(fam Family, r *xtnl.Rule) (*Spec, error) {
	return DecodeIn(-1, fam, r)
}

// DecodeIn is Decode for a rule read from the network namespace behind
// nsFd (-1: the current one), where names such as ipsets are looked up
// when it is printed.
func DecodeIn(nsFd int, fam Family, r *xtnl.Rule) (*Spec, error) {
	return decodeInto(new(Spec), new(decoder), nsFd, fam, r)
}

// decodeInto is DecodeIn into s, walked by d (both zero but for their
// memory, Spec.Matches and decoder.sc).
func decodeInto(s *Spec, d *decoder, nsFd int, fam Family, r *xtnl.Rule) (*Spec, error) {
	s.Family, s.Table, s.Chain, s.nsFd = fam, r.Table, r.Chain, nsFd
	d.spec, d.exprs = s, r.Exprs
	for d.pos < len(d.exprs) {
		ok, err := d.step()
		if err != nil {
			if ne, is := err.(*NotIptablesError); is {
				ne.Handle = r.Handle
			}
			return nil, err
		}
		if !ok {
			err := d.fail("expression %d (%s) has no iptables equivalent", d.pos, describe(d.exprs[d.pos]))
			err.(*NotIptablesError).Handle = r.Handle
			return nil, err
		}
	}
	return s, nil
}

func describe(e Expr) string {
	if r, ok := e.(*expr.Raw); ok {
		return r.Name
	}
	return fmt.Sprintf("%T", e)
}

func (d *decoder) step() (bool, error) {
	s := d.spec
	switch e := d.peek(0).(type) {
	case *nftexpr.Meta:
		if e.SourceRegister || e.Register != 1 {
			break
		}
		switch e.Key {
		case nftexpr.MetaKeyIIFNAME, nftexpr.MetaKeyOIFNAME:
			return d.iface(e.Key == nftexpr.MetaKeyIIFNAME)
		case nftexpr.MetaKeyL4PROTO:
			c, ok := d.cmpAt(1)
			if !ok || len(c.Data) != 1 || (c.Op != nftexpr.CmpOpEq && c.Op != nftexpr.CmpOpNeq) || s.Proto != 0 {
				break
			}
			s.Proto, s.InvProto = c.Data[0], c.Op == nftexpr.CmpOpNeq
			d.pos += 2
			return true, nil
		}
	case *nftexpr.Payload:
		if e.Base == nftexpr.PayloadBaseNetworkHeader && e.OperationType == nftexpr.PayloadLoad && e.DestRegister == 1 {
			if ok, err := d.network(e); ok || err != nil {
				return ok, err
			}
		}
	case *nftexpr.Counter:
		s.Counters = d.newCounters(e.Packets, e.Bytes)
		d.pos++
		return true, nil
	case *nftexpr.Verdict:
		if d.pos != len(d.exprs)-1 || s.Target != nil || s.Verdict != "" {
			break
		}
		switch e.Kind {
		case nftexpr.VerdictAccept:
			s.Verdict = "ACCEPT"
		case nftexpr.VerdictDrop:
			s.Verdict = "DROP"
		case nftexpr.VerdictReturn:
			s.Verdict = "RETURN"
		case nftexpr.VerdictJump:
			s.Verdict = e.Chain
		case nftexpr.VerdictGoto:
			s.Verdict, s.Goto = e.Chain, true
		default:
			return false, nil
		}
		d.pos++
		return true, nil
	case *nftexpr.Match:
		return d.xt(false, e.Name, e.Rev, e.Info)
	case *nftexpr.Target:
		return d.xt(true, e.Name, e.Rev, e.Info)
	}
	for _, nd := range nativeDecoders {
		if ok, err := nd(d); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func (d *decoder) iface(in bool) (bool, error) {
	s := d.spec
	name, invert := "+", false
	n := 1
	if c, ok := d.cmpAt(1); ok && (c.Op == nftexpr.CmpOpEq || c.Op == nftexpr.CmpOpNeq) {
		n = 2
		invert = c.Op == nftexpr.CmpOpNeq
		switch {
		case len(c.Data) > ifnamsiz:
			return false, nil
		case bytes.Equal(c.Data, append([]byte(invalidIface), 0)) && !invert:
			name, invert = "+", true
		case len(c.Data) > 1 && c.Data[len(c.Data)-1] == 0 && bytes.IndexByte(c.Data, 0) == len(c.Data)-1:
			name = string(c.Data[:len(c.Data)-1])
		case len(c.Data) > 0 && bytes.IndexByte(c.Data, 0) < 0:
			name = string(c.Data) + "+"
		default:
			// NUL bytes inside a name: nothing iptables writes.
			return false, nil
		}
	}
	if in {
		if s.InIface != "" {
			return false, nil
		}
		s.InIface, s.InvIn = name, invert
	} else {
		if s.OutIface != "" {
			return false, nil
		}
		s.OutIface, s.InvOut = name, invert
	}
	d.pos += n
	return true, nil
}

// network decodes source and destination addresses and the fragment test.
func (d *decoder) network(p *nftexpr.Payload) (bool, error) {
	s := d.spec
	l := uint32(s.Family.addrLen())
	srcOff, dstOff := s.Family.addrOffsets()
	if s.Family == IPv4 && p.Offset == 6 && p.Len == 2 {
		b, ok1 := d.peek(1).(*nftexpr.Bitwise)
		c, ok2 := d.cmpAt(2)
		if ok1 && ok2 && bytes.Equal(b.Mask, []byte{0x1f, 0xff}) && bytes.Equal(b.Xor, []byte{0, 0}) &&
			bytes.Equal(c.Data, []byte{0, 0}) && !s.Frag {
			s.Frag, s.InvFrag = true, c.Op == nftexpr.CmpOpEq
			d.pos += 3
			return true, nil
		}
		return false, nil
	}
	var dst *Addr
	var inv *bool
	switch p.Offset {
	case srcOff:
		dst, inv = &s.Src, &s.InvSrc
	case dstOff:
		dst, inv = &s.Dst, &s.InvDst
	default:
		return false, nil
	}
	if !dst.isZero(s.Family) || p.Len == 0 || p.Len > l {
		return false, nil
	}
	var a Addr
	n := 1
	if b, ok := d.peek(1).(*nftexpr.Bitwise); ok {
		if p.Len != l || b.Len != l || len(b.Mask) != int(l) || !allZeroBytes(b.Xor) || b.SourceRegister != 1 || b.DestRegister != 1 {
			return false, nil
		}
		copy(a.Mask[:], b.Mask)
		n = 2
	} else {
		for i := uint32(0); i < p.Len; i++ {
			a.Mask[i] = 0xff
		}
	}
	c, ok := d.cmpAt(n)
	if !ok || uint32(len(c.Data)) != p.Len || (c.Op != nftexpr.CmpOpEq && c.Op != nftexpr.CmpOpNeq) {
		return false, nil
	}
	copy(a.IP[:], c.Data)
	*dst, *inv = a, c.Op == nftexpr.CmpOpNeq
	d.pos += n + 1
	return true, nil
}

func allZeroBytes(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (d *decoder) xt(target bool, name string, rev uint32, info xt.InfoAny) (bool, error) {
	s := d.spec
	raw, ok := info.(*xt.Unknown)
	if !ok {
		return false, nil
	}
	ext := lookupKernel(target, name, rev, s.Family, *raw)
	if ext == nil {
		kind := "match"
		if target {
			kind = "target"
		}
		return false, d.fail("%s %s revision %d is not supported by xtnl", kind, name, rev)
	}
	n := len(*raw)
	if ext.Revision != rev {
		// Another revision's payload, read as the newest's: what
		// iptables-nft reads beyond a shorter one is taken as zeros.
		n = max(n, XTAlign(ext.Size))
	}
	in := d.newInstance(ext, n)
	clear(in.Info[copy(in.Info, *raw):])
	if len(in.Info) < ext.Size {
		return false, d.fail("%s: payload of %d bytes, want %d", ext, len(in.Info), XTAlign(ext.Size))
	}
	if target {
		if s.Target != nil || s.Verdict != "" {
			return false, nil
		}
		s.Target = in
	} else {
		s.Matches = append(s.Matches, in)
	}
	d.pos++
	return true, nil
}
