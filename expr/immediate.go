package expr

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
)

// NFTA_IMMEDIATE_* attribute types.
const (
	immediateDreg = 1
	immediateData = 2
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
