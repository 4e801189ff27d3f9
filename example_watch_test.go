package xtnl_test

import (
	"context"
	"fmt"
	"os"
	"strconv"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/netnstest"
)

// Watch reports every change to the ruleset, by anyone, as typed events:
// each commit's objects, then the new generation with the committer.
// (Needs root: it works in a throwaway network namespace.)
func ExampleConn_Watch() {
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

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // stops the watch
	w, err := c.Watch(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}

	// Some change: here our own, usually another process's.
	drop := xtnl.PolicyDrop
	tx := c.Begin()
	tx.AddTable(&xtnl.Table{Family: xtnl.FamilyInet, Name: "demo"})
	tx.AddChain(&xtnl.Chain{Family: xtnl.FamilyInet, Table: "demo", Name: "in",
		Base: &xtnl.BaseChain{Type: xtnl.ChainTypeFilter, Hook: xtnl.HookInput, Policy: &drop}})
	tx.AppendRule(&xtnl.Rule{Family: xtnl.FamilyInet, Table: "demo", Chain: "in",
		Exprs: []expr.Expr{&nftexpr.Verdict{Kind: nftexpr.VerdictAccept}}})
	if err := tx.Commit(); err != nil {
		fmt.Println(err)
		return
	}

	for ev := range w.Events() {
		switch ev.Type {
		case xtnl.EventOverrun:
			fmt.Println("events lost: list the ruleset again")
		case xtnl.EventNewGen:
			// The kernel names the committing thread: one of ours.
			_, err := os.Stat("/proc/self/task/" + strconv.Itoa(int(ev.PID)))
			fmt.Println("end of commit, by this process:", err == nil)
			return
		default:
			fmt.Println(ev)
		}
	}
	// Output:
	// new table inet demo
	// new chain inet demo in
	// new rule inet demo in handle 2
	// end of commit, by this process: true
}
