package xtnl_test

import (
	"errors"
	"fmt"
	"sync"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
)

// allowSSH is the code under test: it opens port 22 in a chain of its own,
// jumped to from a base chain, and must not duplicate anything when run
// twice.
func allowSSH(c *xtnl.Conn) error {
	accept := xtnl.PolicyAccept
	tx := c.Begin()
	tx.AddTable(&xtnl.Table{Family: xtnl.FamilyInet, Name: "agent"})
	tx.AddChain(&xtnl.Chain{Family: xtnl.FamilyInet, Table: "agent", Name: "ssh"})
	tx.AddChain(&xtnl.Chain{Family: xtnl.FamilyInet, Table: "agent", Name: "input",
		Base: &xtnl.BaseChain{Type: xtnl.ChainTypeFilter, Hook: xtnl.HookInput, Policy: &accept}})
	tx.FlushChain(&xtnl.Chain{Family: xtnl.FamilyInet, Table: "agent", Name: "input"})
	tx.FlushChain(&xtnl.Chain{Family: xtnl.FamilyInet, Table: "agent", Name: "ssh"})
	tx.AppendRule(&xtnl.Rule{Family: xtnl.FamilyInet, Table: "agent", Chain: "input",
		Exprs: []expr.Expr{expr.Jump("ssh")}})
	tx.AppendRule(&xtnl.Rule{Family: xtnl.FamilyInet, Table: "agent", Chain: "ssh", Exprs: []expr.Expr{
		&nftexpr.Meta{Key: nftexpr.MetaKeyL4PROTO, Register: 1},
		expr.Cmp(nftexpr.CmpOpEq, 1, []byte{6}),
		&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		expr.Cmp(nftexpr.CmpOpEq, 1, []byte{0, 22}),
		expr.Accept(),
	}})
	return tx.Commit()
}

// A unit test of code built on xtnl, without root: OpenFake gives it an
// in-memory nf_tables with the kernel's semantics.
func ExampleOpenFake() {
	c := xtnl.OpenFake()
	defer c.Close()

	for range 2 { // idempotent?
		if err := allowSSH(c); err != nil {
			fmt.Println("allowSSH:", err)
			return
		}
	}
	rules, err := c.ListRules(xtnl.FamilyInet, "agent", "ssh")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rules {
		fmt.Printf("handle %d:\n%s\n", r.Handle, expr.FormatList(byte(r.Family), r.Exprs))
	}
	// The kernel's errors, as the kernel gives them: the chain is still
	// jumped to.
	err = c.DelChain(&xtnl.Chain{Family: xtnl.FamilyInet, Table: "agent", Name: "ssh"})
	fmt.Println("delete ssh chain, busy:", errors.Is(err, xtnl.ErrBusy))
	// Output:
	// handle 6:
	//   [ meta load l4proto => reg 1 ]
	//   [ cmp eq reg 1 0x00000006 ]
	//   [ payload load 2b @ transport header + 2 => reg 1 ]
	//   [ cmp eq reg 1 0x00001600 ]
	//   [ immediate reg 0 accept ]
	// delete ssh chain, busy: true
}

// Many goroutines adding a rule each: concurrent commits on one Conn share
// batches (one commit costs about as much as a hundred on a large chain),
// and each caller still gets its own result: a rule for a chain that does
// not exist fails alone.
func ExampleTx_Commit_concurrent() {
	c := xtnl.OpenFake()
	defer c.Close()
	if err := c.AddTable(&xtnl.Table{Family: xtnl.FamilyInet, Name: "agent"}); err != nil {
		fmt.Println(err)
		return
	}
	if err := c.AddChain(&xtnl.Chain{Family: xtnl.FamilyInet, Table: "agent", Name: "ports"}); err != nil {
		fmt.Println(err)
		return
	}
	allow := func(chain string, port uint16) error {
		tx := c.Begin()
		tx.AppendRule(&xtnl.Rule{Family: xtnl.FamilyInet, Table: "agent", Chain: chain, Exprs: []expr.Expr{
			&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			expr.Cmp(nftexpr.CmpOpEq, 1, []byte{byte(port >> 8), byte(port)}),
			expr.Accept(),
		}})
		return tx.Commit()
	}
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chain := "ports"
			if i == 0 {
				chain = "nosuch"
			}
			errs[i] = allow(chain, uint16(1000+i))
		}()
	}
	wg.Wait()
	rules, err := c.ListRules(xtnl.FamilyInet, "agent", "ports")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(rules), "rules; the rule for chain nosuch:", errors.Is(errs[0], xtnl.ErrNotExist))
	// Output: 9 rules; the rule for chain nosuch: true
}
