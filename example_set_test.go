package xtnl_test

import (
	"fmt"
	"net/netip"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/netnstest"
)

// A set-backed allowlist: one rule accepts the sources in set "allow",
// whose elements change without touching the rule. The set, its first
// elements and the rule referring to it go in one transaction (the rule
// finds the new set through its ID). Runs in a throwaway network namespace.
func ExampleTx_AddElements() {
	ns, err := netnstest.Create("")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ns.Delete()
	c, err := xtnl.Open(xtnl.WithNetNS(ns.Name))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	allow := &xtnl.Set{Family: xtnl.FamilyInet, Table: "fw", Name: "allow",
		KeyType: xtnl.TypeIPv4Addr, Interval: true}
	drop := xtnl.PolicyDrop
	tx := c.Begin()
	tx.AddTable(&xtnl.Table{Family: xtnl.FamilyInet, Name: "fw"})
	tx.AddChain(&xtnl.Chain{Family: xtnl.FamilyInet, Table: "fw", Name: "in",
		Base: &xtnl.BaseChain{Type: xtnl.ChainTypeFilter, Hook: xtnl.HookInput, Policy: &drop}})
	tx.AddSet(allow)
	tx.AddElements(allow, []xtnl.SetElement{
		xtnl.PrefixElement(netip.MustParsePrefix("10.0.0.0/8")),
		{Key: xtnl.AddrKey(netip.MustParseAddr("192.0.2.7"))},
	})
	// meta nfproto ipv4 ip saddr @allow accept
	tx.AppendRule(&xtnl.Rule{Family: xtnl.FamilyInet, Table: "fw", Chain: "in", Exprs: []expr.Expr{
		&nftexpr.Meta{Key: nftexpr.MetaKeyNFPROTO, Register: 1},
		&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte{2}}, // NFPROTO_IPV4
		&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&nftexpr.Lookup{SourceRegister: 1, SetName: allow.Name, SetID: allow.ID},
		&nftexpr.Verdict{Kind: nftexpr.VerdictAccept},
	}})
	if err := tx.Commit(); err != nil {
		fmt.Println(err)
		return
	}

	// Later: allow one more network, revoke a host. The rule stays.
	tx = c.Begin()
	tx.AddElements(allow, []xtnl.SetElement{xtnl.PrefixElement(netip.MustParsePrefix("172.16.0.0/12"))})
	tx.DelElements(allow, []xtnl.SetElement{{Key: xtnl.AddrKey(netip.MustParseAddr("192.0.2.7"))}})
	if err := tx.Commit(); err != nil {
		fmt.Println(err)
		return
	}

	elems, err := c.ListElements(allow)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range elems {
		p, _ := e.Prefix()
		fmt.Println(p)
	}
	rules, err := c.ListRules(xtnl.FamilyInet, "fw", "in")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(rules), "rule")
	// Output:
	// 10.0.0.0/8
	// 172.16.0.0/12
	// 1 rule
}
