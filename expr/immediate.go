package expr

import (
	"bytes"
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// NFTA_IMMEDIATE_* attribute types.
const (
	immediateDreg = unix.NFTA_IMMEDIATE_DREG
	immediateData = unix.NFTA_IMMEDIATE_DATA
)

// formatImmediate prints "reg 0 accept ", "reg 0 jump -> chain " or
// "reg 1 0x00000005 ".
func formatImmediate(_ byte, a attrs) string {
	return fmt.Sprintf("reg %d ", a.u32(immediateDreg)) + formatData(a, immediateData)
}

// Accept returns the verdict "[ immediate reg 0 accept ]".
func Accept() *nftexpr.Verdict { return &nftexpr.Verdict{Kind: nftexpr.VerdictAccept} }

// Drop returns the verdict "[ immediate reg 0 drop ]".
func Drop() *nftexpr.Verdict { return &nftexpr.Verdict{Kind: nftexpr.VerdictDrop} }

// Return returns the verdict "[ immediate reg 0 return ]".
func Return() *nftexpr.Verdict { return &nftexpr.Verdict{Kind: nftexpr.VerdictReturn} }

// Jump returns the verdict "[ immediate reg 0 jump -> chain ]".
func Jump(chain string) *nftexpr.Verdict {
	return &nftexpr.Verdict{Kind: nftexpr.VerdictJump, Chain: chain}
}

// Goto returns the verdict "[ immediate reg 0 goto -> chain ]".
func Goto(chain string) *nftexpr.Verdict {
	return &nftexpr.Verdict{Kind: nftexpr.VerdictGoto, Chain: chain}
}

// Load returns an immediate expression loading data into register reg:
// "[ immediate reg reg data ]".
func Load(reg uint32, data []byte) *nftexpr.Immediate {
	return &nftexpr.Immediate{Register: reg, Data: data}
}

// AppendVerdict appends [ immediate reg 0 KIND [CHAIN] ]; chain is the
// target of a jump or goto, "" otherwise.
func AppendVerdict(b []byte, kind nftexpr.VerdictKind, chain string) []byte {
	b, d := beginElem(b, "immediate")
	b = nlattr.AppendUint32(b, unix.NFTA_IMMEDIATE_DREG, unix.NFT_REG_VERDICT)
	b, imm := nlattr.Begin(b, unix.NLA_F_NESTED|unix.NFTA_IMMEDIATE_DATA)
	b, vd := nlattr.Begin(b, unix.NLA_F_NESTED|unix.NFTA_DATA_VERDICT)
	b = nlattr.AppendUint32(b, unix.NFTA_VERDICT_CODE, uint32(kind))
	if chain != "" {
		b = nlattr.AppendString(b, unix.NFTA_VERDICT_CHAIN, chain)
	}
	b = nlattr.End(b, vd)
	b = nlattr.End(b, imm)
	return endElem(b, d)
}

// decodeVerdict is decodeFast for an immediate holding a verdict.
func decodeVerdict(at []fastAttr, dec *Decoder) (nftexpr.Any, bool) {
	dreg, ok1 := u32Of(at, unix.NFTA_IMMEDIATE_DREG)
	d, ok2 := find(at, unix.NFTA_IMMEDIATE_DATA)
	if !ok1 || !ok2 || len(at) != 2 || dreg != unix.NFT_REG_VERDICT {
		return nil, false
	}
	var da [2]fastAttr
	dn, ok := splitAttrs(d, da[:])
	if !ok || dn != 1 || da[0].typ != unix.NFTA_DATA_VERDICT {
		return nil, false
	}
	var va [3]fastAttr
	vn, ok := splitAttrs(da[0].data, va[:])
	if !ok {
		return nil, false
	}
	code, ok := u32Of(va[:vn], unix.NFTA_VERDICT_CODE)
	if !ok {
		return nil, false
	}
	v := dec.verdict()
	*v = nftexpr.Verdict{Kind: nftexpr.VerdictKind(int32(code))}
	if ch, has := find(va[:vn], unix.NFTA_VERDICT_CHAIN); has {
		if len(ch) < 2 || ch[len(ch)-1] != 0 || bytes.IndexByte(ch[:len(ch)-1], 0) >= 0 || vn != 2 {
			return nil, false
		}
		v.Chain = dec.name(ch[:len(ch)-1])
	} else if vn != 1 {
		return nil, false
	}
	return v, true
}

// verdict is a Decoder allocator (decoder.go) for decodeFast.
func (d *Decoder) verdict() *nftexpr.Verdict {
	if d == nil {
		return new(nftexpr.Verdict)
	}
	return slot(&d.verdicts)
}
