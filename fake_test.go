package xtnl

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
	"golang.org/x/sys/unix"
)

// The shared suite: every scenario runs against the real kernel (a fresh
// network namespace) and against OpenFake. Each must pass its own
// expectations on both, and what a scenario observes (handles, errors,
// generations, the full listing) is recorded and must be identical
// between the two: the kernel is the oracle for the fake.

// suiteBackend is one nf_tables implementation under test.
type suiteBackend struct {
	t    *testing.T
	c    *Conn
	peer func() *Conn // another connection to the same ruleset
	obs  []string     // what the scenario observed, compared across backends
}

// fakeScenario is one scenario of the shared suite.
type fakeScenario func(b *suiteBackend)

func kernelBackend(t *testing.T) *suiteBackend {
	c, ns := newTestConn(t)
	return &suiteBackend{t: t, c: c, peer: func() *Conn {
		p, err := Open(WithNetNS(ns.Name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}}
}

func fakeBackend(t *testing.T) *suiteBackend {
	c := OpenFake()
	t.Cleanup(func() { c.Close() })
	return &suiteBackend{t: t, c: c, peer: func() *Conn {
		p := OpenFake(WithFakeOf(c))
		t.Cleanup(func() { p.Close() })
		return p
	}}
}

// note records an observation.
func (b *suiteBackend) note(format string, args ...any) {
	b.obs = append(b.obs, fmt.Sprintf(format, args...))
}

func (b *suiteBackend) must(err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
}

// refused checks that err matches want and records its errno and index.
func (b *suiteBackend) refused(what string, err error, want error) {
	b.t.Helper()
	if !errors.Is(err, want) {
		b.t.Fatalf("%s: got %v, want an error matching %v", what, err, want)
	}
	var oe *OpError
	if errors.As(err, &oe) {
		b.note("%s: refused: op %d %v %q", what, oe.Index, oe.Errno, oe.Msg)
	} else {
		b.note("%s: refused: %v", what, want)
	}
}

// failed records an error where the kernel's answer is the expectation:
// the errno is compared with the other backend's.
func (b *suiteBackend) failed(what string, err error) {
	b.t.Helper()
	if err == nil {
		b.t.Fatalf("%s: no error", what)
	}
	b.refused(what, err, err)
}

func (b *suiteBackend) gen() uint32 {
	b.t.Helper()
	g, err := b.c.Generation()
	b.must(err)
	return g
}

// list renders the whole ruleset as ListTables, ListChains and ListRules
// return it, every field included.
func (b *suiteBackend) list() string {
	b.t.Helper()
	var sb strings.Builder
	tables, err := b.c.ListTables(0)
	b.must(err)
	for _, t := range tables {
		fmt.Fprintf(&sb, "table %s %s flags %d use %d handle %d\n", t.Family, t.Name, t.Flags, t.Use, t.Handle)
		chains, err := b.c.ListChains(t.Family, t.Name)
		b.must(err)
		for _, ch := range chains {
			fmt.Fprintf(&sb, "  chain %s handle %d use %d flags %d", ch.Name, ch.Handle, ch.Use, ch.Flags)
			if bc := ch.Base; bc != nil {
				pol := "-"
				if bc.Policy != nil {
					pol = bc.Policy.String()
				}
				fmt.Fprintf(&sb, " type %s hook %d prio %d dev %q policy %s", bc.Type, bc.Hook, bc.Priority, bc.Device, pol)
			}
			if ch.Counters != nil {
				fmt.Fprintf(&sb, " counters %d/%d", ch.Counters.Packets, ch.Counters.Bytes)
			}
			sb.WriteString("\n")
		}
		rules, err := b.c.ListRules(t.Family, t.Name, "")
		b.must(err)
		for _, r := range rules {
			fmt.Fprintf(&sb, "  rule %s handle %d pos %d\n%s\n", r.Chain, r.Handle, r.Position, expr.FormatList(byte(r.Family), r.Exprs))
			if u := expr.FormatUserdata(r.UserData); u != "" {
				sb.WriteString(u + "\n")
			}
		}
	}
	return sb.String()
}

// handles lists the handles of a chain's rules, in order.
func (b *suiteBackend) handles(fam Family, table, chain string) string {
	b.t.Helper()
	rules, err := b.c.ListRules(fam, table, chain)
	b.must(err)
	var h []string
	for _, r := range rules {
		h = append(h, fmt.Sprint(r.Handle))
	}
	return strings.Join(h, " ")
}

// ruleMarks lists the marks of a chain's markRule rules, in order.
func (b *suiteBackend) ruleMarks(fam Family, table, chain string) string {
	b.t.Helper()
	rules, err := b.c.ListRules(fam, table, chain)
	b.must(err)
	var m []string
	for _, r := range rules {
		if cmp, ok := r.Exprs[1].(*nftexpr.Cmp); ok && len(cmp.Data) == 4 {
			m = append(m, fmt.Sprint(uint32(cmp.Data[0])|uint32(cmp.Data[1])<<8|uint32(cmp.Data[2])<<16|uint32(cmp.Data[3])<<24))
		}
	}
	return strings.Join(m, " ")
}

func (b *suiteBackend) expect(what, got, want string) {
	b.t.Helper()
	if got != want {
		b.t.Fatalf("%s = %q, want %q", what, got, want)
	}
	b.note("%s = %s", what, got)
}

var fakeScenarios = []struct {
	name string
	run  fakeScenario
}{
	{"Tables", scenarioTables},
	{"Chains", scenarioChains},
	{"BaseChains", scenarioBaseChains},
	{"RulePositions", scenarioRulePositions},
	{"RuleErrors", scenarioRuleErrors},
	{"Flush", scenarioFlush},
	{"RenameAndJumps", scenarioRenameAndJumps},
	{"CountersReset", scenarioCountersReset},
	{"AtomicFailure", scenarioAtomicFailure},
	{"Generations", scenarioGenerations},
	{"EchoHandles", scenarioEchoHandles},
	{"LargeTransaction", scenarioLargeTransaction},
}

// TestFakeMatchesKernel runs the shared suite on both backends and
// compares what they observed.
func TestFakeMatchesKernel(t *testing.T) {
	for _, sc := range fakeScenarios {
		t.Run(sc.name, func(t *testing.T) {
			var got [2][]string
			for i, name := range []string{"kernel", "fake"} {
				ok := t.Run(name, func(t *testing.T) {
					b := fakeBackend(t)
					if name == "kernel" {
						b = kernelBackend(t)
					}
					sc.run(b)
					b.note("final listing:\n%s", b.list())
					got[i] = b.obs
				})
				if !ok {
					return
				}
			}
			compareObservations(t, got[0], got[1])
		})
	}
}

// compareObservations reports the first observation where the fake
// differs from the kernel.
func compareObservations(t *testing.T, kernel, fake []string) {
	t.Helper()
	for i := 0; i < len(kernel) || i < len(fake); i++ {
		var k, f string
		if i < len(kernel) {
			k = kernel[i]
		}
		if i < len(fake) {
			f = fake[i]
		}
		if k == f {
			continue
		}
		kl, fl := strings.Split(k, "\n"), strings.Split(f, "\n")
		for j := 0; j < len(kl) || j < len(fl); j++ {
			var a, c string
			if j < len(kl) {
				a = kl[j]
			}
			if j < len(fl) {
				c = fl[j]
			}
			if a != c {
				t.Fatalf("observation %d differs at line %d:\nkernel: %q\nfake:   %q\n(kernel observation starts %.300q)", i, j, a, c, k)
			}
		}
	}
}

func scenarioTables(b *suiteBackend) {
	c := b.c
	g0 := b.gen()
	b.note("initial generation %d", g0)
	b.must(c.AddTable(&Table{Family: FamilyIPv4, Name: "a"}))
	b.must(c.AddTable(&Table{Family: FamilyInet, Name: "b", Flags: 1})) // dormant
	b.must(c.AddTable(&Table{Family: FamilyIPv6, Name: "a"}))
	b.expect("generation after 3 adds", fmt.Sprint(b.gen()-g0), "3")
	// Adding an existing table changes nothing: no transaction, the
	// generation stays.
	b.must(c.AddTable(&Table{Family: FamilyIPv4, Name: "a"}))
	b.expect("generation after re-add", fmt.Sprint(b.gen()-g0), "3")
	tx := c.Begin()
	tx.CreateTable(&Table{Family: FamilyIPv4, Name: "a"})
	b.refused("create existing table", tx.Commit(), ErrExist)
	b.refused("delete missing table", c.DelTable(&Table{Family: FamilyIPv4, Name: "nope"}), ErrNotExist)
	b.refused("delete table of another family", c.DelTable(&Table{Family: FamilyIPv6, Name: "b"}), ErrNotExist)
	setupChain(b.t, c, FamilyIPv4, "a", "c1")
	b.must(c.AddChain(&Chain{Family: FamilyIPv4, Table: "a", Name: "c2"}))
	b.must(c.AppendRule(markRule(FamilyIPv4, "a", "c1", 1)))
	b.note("listing with a populated table:\n%s", b.list())
	// Deleting a table takes everything in it.
	b.must(c.DelTable(&Table{Family: FamilyIPv4, Name: "a"}))
	tables, err := c.ListTables(FamilyIPv4)
	b.must(err)
	b.expect("ip tables after delete", fmt.Sprint(len(tables)), "0")
	// A table made again is a new table: a new handle, handles of its
	// chains restart.
	setupChain(b.t, c, FamilyIPv4, "a", "c1")
	all, err := c.ListTables(0)
	b.must(err)
	var names []string
	for _, t := range all {
		names = append(names, t.Family.String()+" "+t.Name)
	}
	b.expect("tables in order", strings.Join(names, ", "), "inet b, ip6 a, ip a")
}

func scenarioChains(b *suiteBackend) {
	c := b.c
	setupChain(b.t, c, FamilyIPv4, "t", "c")
	g := b.gen()
	// Adding an existing chain is an update: a transaction of its own,
	// the generation moves although nothing changed.
	b.must(c.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"}))
	b.note("generation delta after re-adding a chain: %d", b.gen()-g)
	tx := c.Begin()
	tx.CreateChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"})
	b.refused("create existing chain", tx.Commit(), ErrExist)
	b.refused("chain in missing table", c.AddChain(&Chain{Family: FamilyIPv4, Table: "nope", Name: "c"}), ErrNotExist)
	b.refused("delete missing chain", c.DelChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "nope"}), ErrNotExist)
	b.refused("policy of a regular chain", c.SetPolicy(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"}, PolicyDrop), ErrInvalid)
	b.refused("policy of a missing chain", c.SetPolicy(&Chain{Family: FamilyIPv4, Table: "t", Name: "nope"}, PolicyDrop), ErrInvalid)
	// A chain with rules is busy (DelChain sends NLM_F_NONREC).
	b.must(c.AppendRule(markRule(FamilyIPv4, "t", "c", 1)))
	b.refused("delete chain with rules", c.DelChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"}), ErrBusy)
	// A chain jumped to is busy even when empty.
	b.must(c.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "target"}))
	jump := &Rule{Family: FamilyIPv4, Table: "t", Chain: "c", Exprs: []expr.Expr{expr.Jump("target")}}
	b.must(c.AppendRule(jump))
	b.note("listing with a jump:\n%s", b.list())
	b.refused("delete chain jumped to", c.DelChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "target"}), ErrBusy)
	// Dropping the jump and the chain in one transaction works: the
	// reference is gone by the time the chain is deleted.
	tx = c.Begin()
	tx.DelRule(jump)
	tx.DelChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "target"})
	b.must(tx.Commit())
	// Flushed, the chain can go.
	tx = c.Begin()
	tx.FlushChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"})
	tx.DelChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"})
	b.must(tx.Commit())
	chains, err := c.ListChains(FamilyIPv4, "t")
	b.must(err)
	b.expect("chains left", fmt.Sprint(len(chains)), "0")
}

func scenarioBaseChains(b *suiteBackend) {
	c := b.c
	drop := PolicyDrop
	tx := c.Begin()
	tx.AddTable(&Table{Family: FamilyIPv4, Name: "filter"})
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "filter", Name: "INPUT", Base: &BaseChain{Type: ChainTypeFilter, Hook: HookInput, Priority: 0, Policy: &drop}})
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "filter", Name: "FORWARD", Base: &BaseChain{Type: ChainTypeFilter, Hook: HookForward}, Counters: &Counters{Packets: 7, Bytes: 700}})
	tx.AddTable(&Table{Family: FamilyIPv4, Name: "nat"})
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "nat", Name: "POSTROUTING", Base: &BaseChain{Type: ChainTypeNAT, Hook: HookPostrouting, Priority: 100}})
	tx.AddTable(&Table{Family: FamilyIPv4, Name: "mangle"})
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "mangle", Name: "OUTPUT", Base: &BaseChain{Type: ChainTypeRoute, Hook: HookOutput, Priority: -150}})
	tx.AddTable(&Table{Family: FamilyInet, Name: "fw"})
	tx.AddChain(&Chain{Family: FamilyInet, Table: "fw", Name: "in", Base: &BaseChain{Hook: HookInput, Priority: -5}})
	b.must(tx.Commit())
	b.note("base chains:\n%s", b.list())
	in := &Chain{Family: FamilyIPv4, Table: "filter", Name: "INPUT"}
	b.must(c.SetPolicy(in, PolicyAccept))
	// Re-adding a base chain with the same hook keeps it; a different
	// hook or priority is refused.
	b.must(c.AddChain(&Chain{Family: FamilyIPv4, Table: "filter", Name: "INPUT", Base: &BaseChain{Type: ChainTypeFilter, Hook: HookInput}}))
	b.refused("base chain moved to another priority", c.AddChain(&Chain{Family: FamilyIPv4, Table: "filter", Name: "INPUT", Base: &BaseChain{Type: ChainTypeFilter, Hook: HookInput, Priority: 10}}), ErrInvalid)
	b.refused("base chain moved to another hook", c.AddChain(&Chain{Family: FamilyIPv4, Table: "filter", Name: "INPUT", Base: &BaseChain{Type: ChainTypeFilter, Hook: HookOutput}}), ErrInvalid)
	b.failed("base chain of another type", c.AddChain(&Chain{Family: FamilyIPv4, Table: "filter", Name: "INPUT", Base: &BaseChain{Type: ChainTypeRoute, Hook: HookOutput}}))

	b.refused("nat chain on forward", c.AddChain(&Chain{Family: FamilyIPv4, Table: "nat", Name: "X", Base: &BaseChain{Type: ChainTypeNAT, Hook: HookForward}}), ErrInvalid)
	b.refused("route chain on input", c.AddChain(&Chain{Family: FamilyIPv4, Table: "mangle", Name: "X", Base: &BaseChain{Type: ChainTypeRoute, Hook: HookInput}}), ErrInvalid)
	b.refused("unknown chain type", c.AddChain(&Chain{Family: FamilyIPv4, Table: "nat", Name: "X", Base: &BaseChain{Type: "bogus", Hook: HookInput}}), ErrNotExist)
	b.must(c.AddChain(&Chain{Family: FamilyIPv4, Table: "filter", Name: "INPUT2"}))
	b.failed("regular chain made base", c.AddChain(&Chain{Family: FamilyIPv4, Table: "filter", Name: "INPUT2", Base: &BaseChain{Hook: HookInput}}))
	b.failed("base chain made regular", c.SetPolicy(&Chain{Family: FamilyIPv4, Table: "filter", Name: "INPUT2"}, PolicyAccept))
	b.refused("jump to a base chain", c.AppendRule(&Rule{Family: FamilyIPv4, Table: "filter", Chain: "INPUT2", Exprs: []expr.Expr{expr.Jump("INPUT")}}), ErrInvalid)
	// A base chain with rules goes with them when deleted without
	// NLM_F_NONREC (as DelTable does), but DelChain refuses.
	b.must(c.AppendRule(markRule(FamilyIPv4, "filter", "INPUT", 3)))
	b.refused("delete base chain with rules", c.DelChain(in), ErrBusy)
	b.must(c.FlushChain(in))
	b.must(c.DelChain(in))
	b.note("after deleting INPUT:\n%s", b.list())
}

func scenarioRulePositions(b *suiteBackend) {
	c := b.c
	setupChain(b.t, c, FamilyIPv4, "t", "c")
	r := func(n uint32) *Rule { return markRule(FamilyIPv4, "t", "c", n) }
	r1, r2, r3 := r(1), r(2), r(3)
	for _, x := range []*Rule{r1, r2, r3} {
		b.must(c.AppendRule(x))
	}
	b.note("appended handles %d %d %d", r1.Handle, r2.Handle, r3.Handle)
	r0 := r(0)
	b.must(c.InsertRule(r0)) // top
	r15 := r(15)
	r15.Position = r1.Handle
	b.must(c.AppendRule(r15)) // after r1
	r25 := r(25)
	r25.Position = r3.Handle
	b.must(c.InsertRule(r25)) // before r3
	b.expect("marks", b.ruleMarks(FamilyIPv4, "t", "c"), "0 1 15 2 25 3")
	// Replace keeps the handle and the place.
	r20 := r(20)
	r20.Handle = r2.Handle
	b.must(c.ReplaceRule(r20))
	b.expect("marks after replace", b.ruleMarks(FamilyIPv4, "t", "c"), "0 1 15 20 25 3")
	b.must(c.DelRule(r15))
	b.expect("marks after delete", b.ruleMarks(FamilyIPv4, "t", "c"), "0 1 20 25 3")
	// InsertRuleAt looks the position up from the listing.
	r5 := r(5)
	b.must(c.InsertRuleAt(r5, 2))
	b.expect("marks after insert at 2", b.ruleMarks(FamilyIPv4, "t", "c"), "0 1 5 20 25 3")
	b.note("handles %s", b.handles(FamilyIPv4, "t", "c"))
	// Userdata comes back as sent.
	u := r(9)
	u.UserData = []byte{0, 4, 'h', 'i', '!', 0}
	b.must(c.AppendRule(u))
}

func scenarioRuleErrors(b *suiteBackend) {
	c := b.c
	setupChain(b.t, c, FamilyIPv4, "t", "c")
	x := markRule(FamilyIPv4, "t", "c", 1)
	b.must(c.AppendRule(x))
	bad := markRule(FamilyIPv4, "t", "c", 2)
	bad.Position = x.Handle + 100
	b.refused("append after missing handle", c.AppendRule(bad), ErrNotExist)
	b.refused("insert before missing handle", c.InsertRule(bad), ErrNotExist)
	rep := markRule(FamilyIPv4, "t", "c", 3)
	rep.Handle = 999
	b.refused("replace missing handle", c.ReplaceRule(rep), ErrNotExist)
	b.refused("delete missing handle", c.DelRule(rep), ErrNotExist)
	b.refused("rule in missing chain", c.AppendRule(markRule(FamilyIPv4, "t", "nope", 1)), ErrNotExist)
	b.refused("rule in missing table", c.AppendRule(markRule(FamilyIPv4, "nope", "c", 1)), ErrNotExist)
	b.refused("jump to missing chain", c.AppendRule(&Rule{Family: FamilyIPv4, Table: "t", Chain: "c", Exprs: []expr.Expr{expr.Jump("missing")}}), ErrNotExist)
	b.refused("unknown expression", c.AppendRule(&Rule{Family: FamilyIPv4, Table: "t", Chain: "c", Exprs: []expr.Expr{&expr.Raw{Name: "nosuchexpr"}}}), ErrNotExist)
	// Refused rules used up handles all the same: the next one shows it.
	y := markRule(FamilyIPv4, "t", "c", 4)
	b.must(c.AppendRule(y))
	b.note("handle after refusals: %d (first was %d)", y.Handle, x.Handle)
	// Listing a chain that does not exist is an empty dump.
	rules, err := c.ListRules(FamilyIPv4, "t", "nope")
	b.note("list missing chain: %d rules, err %v", len(rules), err)
	rules, err = c.ListRules(FamilyIPv4, "nope", "")
	b.note("list missing table: %d rules, err %v", len(rules), err)
}

func scenarioFlush(b *suiteBackend) {
	c := b.c
	setupChain(b.t, c, FamilyIPv4, "t", "a")
	b.must(c.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "b"}))
	for i := range 3 {
		b.must(c.AppendRule(markRule(FamilyIPv4, "t", "a", uint32(i))))
		b.must(c.AppendRule(markRule(FamilyIPv4, "t", "b", uint32(i))))
	}
	b.must(c.FlushChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "a"}))
	b.expect("a after flush", b.ruleMarks(FamilyIPv4, "t", "a"), "")
	b.expect("b after flush of a", b.ruleMarks(FamilyIPv4, "t", "b"), "0 1 2")
	// Flushing an empty chain queues nothing: the generation stays.
	g := b.gen()
	b.must(c.FlushChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "a"}))
	b.expect("generation delta after empty flush", fmt.Sprint(b.gen()-g), "0")
	b.must(c.FlushTable(&Table{Family: FamilyIPv4, Name: "t"}))
	b.expect("b after table flush", b.ruleMarks(FamilyIPv4, "t", "b"), "")
	b.refused("flush missing chain", c.FlushChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "nope"}), ErrNotExist)
	b.refused("flush missing table", c.FlushTable(&Table{Family: FamilyIPv4, Name: "nope"}), ErrNotExist)
	// New rules after a flush continue the table's handle sequence.
	z := markRule(FamilyIPv4, "t", "a", 9)
	b.must(c.AppendRule(z))
	b.note("handle after flush %d", z.Handle)
}

func scenarioRenameAndJumps(b *suiteBackend) {
	c := b.c
	setupChain(b.t, c, FamilyIPv4, "t", "from")
	b.must(c.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "old"}))
	b.must(c.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "other"}))
	b.must(c.AppendRule(&Rule{Family: FamilyIPv4, Table: "t", Chain: "from", Exprs: []expr.Expr{expr.Jump("old")}}))
	b.must(c.AppendRule(&Rule{Family: FamilyIPv4, Table: "t", Chain: "from", Exprs: []expr.Expr{expr.Goto("old")}}))
	b.must(c.RenameChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "old"}, "new"))
	// The rules still jump to the chain, which now has its new name.
	b.note("after rename:\n%s", b.list())
	b.refused("rename onto an existing name", c.RenameChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "new"}, "other"), ErrExist)
	b.refused("rename a missing chain", c.RenameChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "old"}, "x"), ErrNotExist)
	ch, err := c.GetChain(FamilyIPv4, "t", "new")
	b.must(err)
	// A rename is applied at commit: in the same batch the chain still
	// answers to its old name only.
	tx := c.Begin()
	tx.RenameChain(ch, "newer")
	tx.AppendRule(markRule(FamilyIPv4, "t", "newer", 1))
	b.refused("rule in a chain renamed in the same batch", tx.Commit(), ErrNotExist)
	tx = c.Begin()
	tx.RenameChain(ch, "newer")
	tx.AppendRule(markRule(FamilyIPv4, "t", "new", 1))
	b.must(tx.Commit())
	b.expect("renamed chain's rules", b.ruleMarks(FamilyIPv4, "t", "newer"), "1")
	tx = c.Begin()
	tx.RenameChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "x", Handle: 9999}, "y")
	b.refused("rename by a missing handle", tx.Commit(), ErrNotExist)
}

func scenarioCountersReset(b *suiteBackend) {
	c := b.c
	setupChain(b.t, c, FamilyIPv4, "t", "c")
	for i := range 3 {
		r := markRule(FamilyIPv4, "t", "c", uint32(i))
		r.Exprs[2] = &nftexpr.Counter{Packets: uint64(10 + i), Bytes: uint64(1000 * (i + 1))}
		b.must(c.AppendRule(r))
	}
	before, err := c.ResetCounters(FamilyIPv4, "t", "c")
	b.must(err)
	var got []string
	for _, r := range before {
		cnt, _ := r.Counters()
		got = append(got, fmt.Sprintf("%d/%d", cnt.Packets, cnt.Bytes))
	}
	b.expect("counters returned by reset", strings.Join(got, " "), "10/1000 11/2000 12/3000")
	after, err := c.ListRules(FamilyIPv4, "t", "c")
	b.must(err)
	got = got[:0]
	for _, r := range after {
		cnt, _ := r.Counters()
		got = append(got, fmt.Sprintf("%d/%d", cnt.Packets, cnt.Bytes))
	}
	b.expect("counters after reset", strings.Join(got, " "), "0/0 0/0 0/0")
}

func scenarioAtomicFailure(b *suiteBackend) {
	c := b.c
	setupChain(b.t, c, FamilyIPv4, "t", "c")
	for i := range 3 {
		b.must(c.AppendRule(markRule(FamilyIPv4, "t", "c", uint32(i))))
	}
	before, g := b.list(), b.gen()
	tx := c.Begin()
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "new"})
	tx.AddTable(&Table{Family: FamilyIPv6, Name: "also"})
	for i := range 997 {
		r := markRule(FamilyIPv4, "t", "c", uint32(100+i))
		if i == 777 {
			r.Chain = "missing"
		}
		tx.AppendRule(r)
	}
	tx.DelChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"}) // busy: a second error
	err := tx.Commit()
	b.refused("1000-operation transaction with bad operations", err, ErrNotExist)
	var oe *OpError
	if errors.As(err, &oe) && oe.Index != 779 {
		b.t.Fatalf("first refused operation %d, want 779", oe.Index)
	}
	b.expect("listing after the failed transaction", b.list(), before)
	b.expect("generation delta", fmt.Sprint(b.gen()-g), "0")
	// The aborted batch still used up handles of the existing table, as
	// the kernel's handle generator is not rolled back.
	next := markRule(FamilyIPv4, "t", "c", 9)
	b.must(c.AppendRule(next))
	b.note("next handle %d", next.Handle)
}

func scenarioGenerations(b *suiteBackend) {
	c := b.c
	setupChain(b.t, c, FamilyIPv4, "t", "c")
	peer := b.peer()
	g, err := c.Generation()
	b.must(err)
	pg, err := peer.Generation()
	b.must(err)
	b.expect("peer sees the same generation", fmt.Sprint(pg == g), "true")
	// A conditional commit at the current generation goes through.
	tx := c.Begin()
	tx.IfGeneration(g)
	tx.AppendRule(markRule(FamilyIPv4, "t", "c", 1))
	b.must(tx.Commit())
	// Another writer commits: a commit conditional on the old generation
	// is refused as a whole.
	b.must(peer.AppendRule(markRule(FamilyIPv4, "t", "c", 2)))
	tx = c.Begin()
	tx.IfGeneration(g + 1)
	tx.AppendRule(markRule(FamilyIPv4, "t", "c", 3))
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "x"})
	err = tx.Commit()
	b.refused("commit at a stale generation", err, ErrGenerationChanged)
	b.expect("marks", b.ruleMarks(FamilyIPv4, "t", "c"), "1 2")
	// Update retries: the first attempt is overtaken by the peer.
	attempts := 0
	err = c.Update(3, func(tx *Tx) error {
		attempts++
		rules, err := c.ListRules(FamilyIPv4, "t", "c")
		if err != nil {
			return err
		}
		if attempts == 1 {
			if err := peer.AppendRule(markRule(FamilyIPv4, "t", "c", 4)); err != nil {
				return err
			}
		}
		tx.AppendRule(markRule(FamilyIPv4, "t", "c", uint32(10+len(rules))))
		return nil
	})
	b.must(err)
	b.expect("Update attempts", fmt.Sprint(attempts), "2")
	b.expect("marks after Update", b.ruleMarks(FamilyIPv4, "t", "c"), "1 2 4 13")
	// Every attempt overtaken: ErrGenerationChanged.
	err = c.Update(2, func(tx *Tx) error {
		if err := peer.AppendRule(markRule(FamilyIPv4, "t", "c", 5)); err != nil {
			return err
		}
		tx.AppendRule(markRule(FamilyIPv4, "t", "c", 6))
		return nil
	})
	if !errors.Is(err, ErrGenerationChanged) {
		b.t.Fatalf("Update overtaken twice: %v", err)
	}
	b.note("generation delta over the scenario: %d", b.gen()-g)
}

func scenarioEchoHandles(b *suiteBackend) {
	c := b.c
	setupChain(b.t, c, FamilyIPv4, "t", "a")
	b.must(c.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "b"}))
	tx := c.Begin()
	tx.ReturnHandles()
	var rules []*Rule
	for i := range 6 {
		r := markRule(FamilyIPv4, "t", []string{"a", "b"}[i%2], uint32(i))
		if i == 4 {
			r.Position = 0
			tx.InsertRule(r)
		} else {
			tx.AppendRule(r)
		}
		rules = append(rules, r)
	}
	b.must(tx.Commit())
	var h []string
	for _, r := range rules {
		if r.Handle == 0 {
			b.t.Fatalf("rule %v: no handle echoed", r)
		}
		h = append(h, fmt.Sprint(r.Handle))
	}
	b.note("echoed handles %s", strings.Join(h, " "))
	b.expect("handles of a as listed", b.handles(FamilyIPv4, "t", "a"), h[4]+" "+h[0]+" "+h[2])
	// Replace echoes the handle it kept.
	rep := markRule(FamilyIPv4, "t", "b", 77)
	rep.Handle = rules[1].Handle
	tx = c.Begin()
	tx.ReturnHandles()
	tx.ReplaceRule(rep)
	b.must(tx.Commit())
	b.expect("replaced handle", fmt.Sprint(rep.Handle), h[1])
	// A raw rule's handle is echoed too, and a single get by handle
	// answers with it, or ENOENT once it is gone.
	exprs, err := expr.AppendList(nil, byte(FamilyIPv4), markRule(FamilyIPv4, "t", "a", 99).Exprs)
	b.must(err)
	raw := &RawRule{Family: FamilyIPv4, Table: "t", Chain: "a", Exprs: exprs}
	tx = c.Begin()
	tx.ReturnHandles()
	tx.AppendRawRule(raw)
	b.must(tx.Commit())
	if raw.Handle == 0 {
		b.t.Fatal("raw rule: no handle echoed")
	}
	var got []string
	b.must(c.getRuleRaw(FamilyIPv4, "t", "a", raw.Handle, func(r *RawRule) error {
		e, err := expr.UnmarshalList(byte(FamilyIPv4), r.Exprs)
		got = append(got, fmt.Sprintf("handle %d chain %s err %v %s", r.Handle-raw.Handle, r.Chain, err, expr.FormatList(byte(FamilyIPv4), e)))
		return nil
	}))
	b.expect("get of the raw rule", strings.Join(got, ";"), fmt.Sprintf("handle 0 chain a err <nil> %s", expr.FormatList(byte(FamilyIPv4), markRule(FamilyIPv4, "t", "a", 99).Exprs)))
	b.must(c.DelRule(&Rule{Family: FamilyIPv4, Table: "t", Chain: "a", Handle: raw.Handle}))
	for _, where := range [][2]string{{"t", "a"}, {"t", "nochain"}, {"notable", "a"}} {
		err := c.getRuleRaw(FamilyIPv4, where[0], where[1], raw.Handle, func(*RawRule) error { return nil })
		var oe *OpError
		if !errors.As(err, &oe) || oe.Errno != unix.ENOENT {
			b.t.Fatalf("get of a rule gone from %s %s: %v, want ENOENT", where[0], where[1], err)
		}
		b.note("get from %s %s: errno %d", where[0], where[1], oe.Errno)
	}
}

func scenarioLargeTransaction(b *suiteBackend) {
	c := b.c
	const n = 20_000
	tx := c.Begin()
	tx.AddTable(&Table{Family: FamilyIPv4, Name: "big"})
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "big", Name: "c"})
	for i := range n {
		tx.AppendRule(benchRule(FamilyIPv4, "big", "c", i))
	}
	b.must(tx.Commit())
	rules, err := c.ListRules(FamilyIPv4, "big", "c")
	b.must(err)
	b.expect("rules", fmt.Sprint(len(rules)), fmt.Sprint(n))
	b.note("first handle %d, last handle %d", rules[0].Handle, rules[n-1].Handle)
	last := rules[n-1].Exprs[1].(*nftexpr.Cmp).Data
	b.expect("last rule's address", fmt.Sprint(last), fmt.Sprint([]byte{10, (n - 1) >> 16, (n - 1) >> 8 & 0xff, (n - 1) & 0xff}))
	// Echoed handles on a large transaction.
	tx = c.Begin()
	tx.ReturnHandles()
	var added []*Rule
	for i := range 2000 {
		r := benchRule(FamilyIPv4, "big", "c", n+i)
		tx.AppendRule(r)
		added = append(added, r)
	}
	b.must(tx.Commit())
	b.note("echoed %d..%d", added[0].Handle, added[len(added)-1].Handle)
}
