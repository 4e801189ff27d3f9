package xtnl

import (
	"errors"
	"strings"
	"testing"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
	"golang.org/x/sys/unix"
)

func accept() expr.Expr { return &nftexpr.Verdict{Kind: nftexpr.VerdictAccept} }

func TestTablesChainsAgainstNft(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	drop := PolicyDrop
	tx := c.Begin()
	tx.AddTable(&Table{Family: FamilyInet, Name: "t"})
	tx.AddChain(&Chain{Family: FamilyInet, Table: "t", Name: "in", Base: &BaseChain{Type: ChainTypeFilter, Hook: HookInput, Priority: -5, Policy: &drop}})
	tx.AddChain(&Chain{Family: FamilyInet, Table: "t", Name: "user"})
	tx.AddTable(&Table{Family: FamilyIPv6, Name: "n"})
	tx.AddChain(&Chain{Family: FamilyIPv6, Table: "n", Name: "post", Base: &BaseChain{Type: ChainTypeNAT, Hook: HookPostrouting, Priority: 100}})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got := ns.MustRun(t, "nft", "list", "ruleset")
	want := `table inet t {
	chain in {
		type filter hook input priority filter - 5; policy drop;
	}

	chain user {
	}
}
table ip6 n {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
	}
}
`
	if got != want {
		t.Fatalf("nft list ruleset:\n%s\nwant:\n%s", got, want)
	}

	// Read back what nft itself creates.
	ns.MustRun(t, "nft", "add table arp a; add chain arp a c { type filter hook output priority 7; policy accept; }")
	chains, err := c.ListChains(FamilyARP, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(chains) != 1 || chains[0].Name != "c" || chains[0].Base == nil || chains[0].Base.Hook != 1 /* NF_ARP_OUT */ ||
		chains[0].Base.Priority != 7 || *chains[0].Base.Policy != PolicyAccept || chains[0].Base.Type != ChainTypeFilter {
		t.Fatalf("arp chain read back as %+v", chains)
	}
	tables, err := c.ListTables(0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range tables {
		names = append(names, tb.Family.String()+" "+tb.Name)
	}
	if strings.Join(names, ",") != "inet t,ip6 n,arp a" {
		t.Fatalf("tables = %v", names)
	}

	// Policy change, rename, delete.
	in := &Chain{Family: FamilyInet, Table: "t", Name: "in"}
	if err := c.SetPolicy(in, PolicyAccept); err != nil {
		t.Fatal(err)
	}
	user := &Chain{Family: FamilyInet, Table: "t", Name: "user"}
	if err := c.RenameChain(user, "renamed"); err != nil {
		t.Fatal(err)
	}
	got = ns.MustRun(t, "nft", "list", "table", "inet", "t")
	if !strings.Contains(got, "policy accept;") || !strings.Contains(got, "chain renamed {") || strings.Contains(got, "chain user") {
		t.Fatalf("after policy+rename:\n%s", got)
	}
	if err := c.DelChain(&Chain{Family: FamilyInet, Table: "t", Name: "renamed"}); err != nil {
		t.Fatal(err)
	}
	err = c.DelChain(&Chain{Family: FamilyInet, Table: "t", Name: "renamed"})
	if !errors.Is(err, ErrNotExist) || !errors.Is(err, unix.ENOENT) {
		t.Fatalf("deleting a missing chain: %v, want ErrNotExist", err)
	}
	err = c.single(func(tx *Tx) { tx.CreateTable(&Table{Family: FamilyInet, Name: "t"}) })
	if !errors.Is(err, ErrExist) {
		t.Fatalf("creating an existing table: %v, want ErrExist", err)
	}
}

func TestBusyChain(t *testing.T) {
	c, _ := newTestConn(t)
	tx := c.Begin()
	tx.AddTable(&Table{Family: FamilyIPv4, Name: "t"})
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"})
	tx.AppendRule(&Rule{Family: FamilyIPv4, Table: "t", Chain: "c", Exprs: []expr.Expr{accept()}})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	err := c.DelChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"})
	if !errors.Is(err, ErrBusy) || errors.Is(err, ErrNotExist) {
		t.Fatalf("deleting a non-empty chain: %v, want ErrBusy", err)
	}
	var oe *OpError
	if !errors.As(err, &oe) || oe.Op != "delete chain" || oe.Object != "chain ip t c" {
		t.Fatalf("error does not name the operation: %#v", err)
	}
}

func TestInvalidNamesRejectedBeforeSending(t *testing.T) {
	c, ns := newTestConn(t)
	for _, name := range []string{"", strings.Repeat("x", 256), "a\x00b"} {
		err := c.AddTable(&Table{Family: FamilyIPv4, Name: name})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("table name %q: %v, want ErrInvalid", name, err)
		}
	}
	if out := ns.MustRun(t, "nft", "list", "ruleset"); out != "" {
		t.Fatalf("something was written: %q", out)
	}
}
