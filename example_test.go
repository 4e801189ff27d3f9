package xtnl_test

import (
	"fmt"
	"log"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/netnstest"
)

// Open a connection bound to a network namespace (here a throwaway one;
// xtnl.WithNetNS("blue") takes an `ip netns` name, or a /proc/PID/ns/net
// path).
func ExampleOpen() {
	ns, err := netnstest.Create("")
	if err != nil {
		log.Fatal(err)
	}
	defer ns.Delete()

	c, err := xtnl.Open(xtnl.WithNetNS(ns.Name))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.AddTable(&xtnl.Table{Family: xtnl.FamilyInet, Name: "agent"}); err != nil {
		log.Fatal(err)
	}
	tables, err := c.ListTables(0)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range tables {
		fmt.Println(t)
	}
	// Output: table inet agent
}

// A base chain on the input hook with a drop policy, and a rule letting
// loopback traffic in, committed atomically.
func ExampleTx_AddChain() {
	ns, err := netnstest.Create("")
	if err != nil {
		log.Fatal(err)
	}
	defer ns.Delete()
	c, err := xtnl.Open(xtnl.WithNetNS(ns.Name))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	drop := xtnl.PolicyDrop
	tx := c.Begin()
	tx.AddTable(&xtnl.Table{Family: xtnl.FamilyInet, Name: "fw"})
	tx.AddChain(&xtnl.Chain{Family: xtnl.FamilyInet, Table: "fw", Name: "in", Base: &xtnl.BaseChain{
		Type: xtnl.ChainTypeFilter, Hook: xtnl.HookInput, Priority: 0, Policy: &drop,
	}})
	tx.AppendRule(&xtnl.Rule{Family: xtnl.FamilyInet, Table: "fw", Chain: "in", Exprs: []expr.Expr{
		&nftexpr.Meta{Key: nftexpr.MetaKeyIIFNAME, Register: 1},
		&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte("lo\x00")},
		&nftexpr.Verdict{Kind: nftexpr.VerdictAccept},
	}})
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}
	out, err := ns.Run("nft", "list", "chain", "inet", "fw", "in")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(out)
	// Output:
	// table inet fw {
	// 	chain in {
	// 		type filter hook input priority filter; policy drop;
	// 		iifname "lo" accept
	// 	}
	// }
}

// Replace all of a chain's rules atomically, and only if nobody changed
// the ruleset since it was read: packets never see a half-replaced chain,
// and a concurrent writer's change is never overwritten unseen.
func ExampleConn_Update() {
	ns, err := netnstest.Create("")
	if err != nil {
		log.Fatal(err)
	}
	defer ns.Delete()
	c, err := xtnl.Open(xtnl.WithNetNS(ns.Name))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	chain := &xtnl.Chain{Family: xtnl.FamilyIPv4, Table: "t", Name: "allow"}
	if err := c.AddTable(&xtnl.Table{Family: xtnl.FamilyIPv4, Name: "t"}); err != nil {
		log.Fatal(err)
	}
	if err := c.AddChain(chain); err != nil {
		log.Fatal(err)
	}
	mark := func(m byte) *xtnl.Rule {
		return &xtnl.Rule{Family: xtnl.FamilyIPv4, Table: "t", Chain: "allow", Exprs: []expr.Expr{
			&nftexpr.Meta{Key: nftexpr.MetaKeyMARK, Register: 1},
			&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte{m, 0, 0, 0}},
			&nftexpr.Verdict{Kind: nftexpr.VerdictAccept},
		}}
	}
	err = c.Update(3, func(tx *xtnl.Tx) error {
		tx.FlushChain(chain)
		tx.AppendRule(mark(1))
		tx.AppendRule(mark(2))
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	rules, err := c.ListRules(xtnl.FamilyIPv4, "t", "allow")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(rules), "rules")
	// Output: 2 rules
}
