package nftfake_test

import (
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/nftfake"
)

// A unit test holds the fake kernel its code under test talks to, and
// asserts on what the code left there: the ruleset as nft --debug=netlink
// prints it, or typed tables, chains, rules and sets.
func Example() {
	k := nftfake.New()
	c := xtnl.OpenFake(xtnl.WithFakeKernel(k))
	defer c.Close()

	// The code under test.
	accept := xtnl.PolicyAccept
	tx := c.Begin()
	tx.AddTable(&xtnl.Table{Family: xtnl.FamilyIPv4, Name: "filter"})
	tx.AddChain(&xtnl.Chain{Family: xtnl.FamilyIPv4, Table: "filter", Name: "INPUT",
		Base: &xtnl.BaseChain{Type: xtnl.ChainTypeFilter, Hook: xtnl.HookInput, Policy: &accept}})
	tx.AppendRule(&xtnl.Rule{Family: xtnl.FamilyIPv4, Table: "filter", Chain: "INPUT", Exprs: []expr.Expr{
		&nftexpr.Meta{Key: nftexpr.MetaKeyL4PROTO, Register: 1},
		expr.Cmp(nftexpr.CmpOpEq, 1, []byte{6}),
		&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		expr.Cmp(nftexpr.CmpOpEq, 1, []byte{0, 22}),
		&nftexpr.Counter{},
		expr.Accept(),
	}})
	if err := tx.Commit(); err != nil {
		fmt.Println(err)
		return
	}

	// The assertions.
	fmt.Print(k.Dump())
	for _, t := range k.Tables() {
		for _, ch := range t.Chains {
			fmt.Printf("table %s chain %s: %d rule(s), hook %d\n", t.Name, ch.Name, len(ch.Rules), ch.Base.Hook)
		}
	}
	fmt.Println("generation", k.Generation())
	// Output:
	// ip filter INPUT 2
	//   [ meta load l4proto => reg 1 ]
	//   [ cmp eq reg 1 0x00000006 ]
	//   [ payload load 2b @ transport header + 2 => reg 1 ]
	//   [ cmp eq reg 1 0x00001600 ]
	//   [ counter pkts 0 bytes 0 ]
	//   [ immediate reg 0 accept ]
	//
	// table filter chain INPUT: 1 rule(s), hook 1
	// generation 2
}
