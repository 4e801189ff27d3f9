package xtnl

import (
	"fmt"
	"strings"
	"testing"
	"time"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
)

// TestFakeSets runs the set scenarios on the kernel and on the fake, with
// the same pattern as TestFakeMatchesKernel: each backend must meet the
// scenario's expectations, and what both observed must be identical.
func TestFakeSets(t *testing.T) {
	for _, sc := range []struct {
		name string
		run  fakeScenario
	}{{"Sets", scenarioSets}, {"SetsInOneBatch", scenarioSetsOneBatch}} {
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
					b.note("final sets:\n%s", b.sets(FamilyIPv4, "t"))
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

// sets renders ListSets and ListElements of a table, every field
// included. Expiration counts down, so it is checked against the timeout
// and not printed.
func (b *suiteBackend) sets(fam Family, table string) string {
	b.t.Helper()
	sets, err := b.c.ListSets(fam, table)
	b.must(err)
	var sb strings.Builder
	for _, s := range sets {
		fmt.Fprintf(&sb, "%s key %s/%d data %s/%d const %v interval %v timeouts %v dynamic %v timeout %v gc %v size %d comment %q flags %#x handle %d id %d udata %x\n",
			s, s.KeyType, s.KeyType.Len, s.DataType, s.DataType.Len, s.Constant, s.Interval, s.Timeouts, s.Dynamic,
			s.Timeout, s.GCInterval, s.Size, s.Comment, s.Flags, s.Handle, s.ID, s.udata)
		elems, err := b.c.ListElements(s)
		b.must(err)
		for _, el := range elems {
			fmt.Fprintf(&sb, "  key %x end %x data %x", el.Key, el.KeyEnd, el.Data)
			if v := el.Verdict; v != nil {
				fmt.Fprintf(&sb, " verdict %d %q", v.Kind, v.Chain)
			}
			limit := el.Timeout
			if limit == 0 {
				limit = s.Timeout
			}
			if el.Expiration < 0 || el.Expiration > limit || (limit > 0) != (el.Expiration > 0) {
				b.t.Fatalf("%s: element %x expires in %v, timeout %v", s, el.Key, el.Expiration, limit)
			}
			fmt.Fprintf(&sb, " timeout %v expires %v comment %q\n", el.Timeout, el.Expiration > 0, el.Comment)
		}
	}
	return sb.String()
}

// saddrLookup is "ip saddr @set accept", naming the set by name and id.
func saddrLookup(s *Set, chain string) *Rule {
	return &Rule{Family: s.Family, Table: s.Table, Chain: chain, Exprs: []expr.Expr{
		&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&nftexpr.Lookup{SourceRegister: 1, SetName: s.Name, SetID: s.ID},
		accept(),
	}}
}

// daddrVmap is "ip daddr vmap @map".
func daddrVmap(s *Set, chain string) *Rule {
	return &Rule{Family: s.Family, Table: s.Table, Chain: chain, Exprs: []expr.Expr{
		&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&nftexpr.Lookup{SourceRegister: 1, SetName: s.Name, SetID: s.ID, IsDestRegSet: true, DestRegister: 0},
	}}
}

func scenarioSets(b *suiteBackend) {
	c := b.c
	setupChain(b.t, c, FamilyIPv4, "t", "c")
	b.must(c.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "target"}))
	g := b.gen()
	s1 := &Set{Family: FamilyIPv4, Table: "t", Name: "s1", KeyType: TypeIPv4Addr, Comment: "blocked", Size: 8}
	vm := &Set{Family: FamilyIPv4, Table: "t", Name: "vm", KeyType: TypeIPv4Addr, DataType: TypeVerdict}
	ts := &Set{Family: FamilyIPv4, Table: "t", Name: "ts", KeyType: TypeInetService, Timeout: time.Minute, GCInterval: 2 * time.Second}
	iv := &Set{Family: FamilyIPv4, Table: "t", Name: "iv", KeyType: TypeIPv4Addr, Interval: true}
	dm := &Set{Family: FamilyIPv4, Table: "t", Name: "dm", KeyType: Concat(TypeIPv4Addr, TypeInetService), DataType: TypeMark}
	for _, s := range []*Set{s1, vm, ts, iv, dm} {
		b.must(c.AddSet(s))
	}
	b.expect("generation delta after 5 sets", fmt.Sprint(b.gen()-g), "5")
	// Re-adding an identical set is no transaction at all.
	g = b.gen()
	b.must(c.AddSet(&Set{Family: FamilyIPv4, Table: "t", Name: "s1", KeyType: TypeIPv4Addr, Comment: "blocked", Size: 8}))
	b.expect("generation delta after re-adding a set", fmt.Sprint(b.gen()-g), "1")
	// Re-adding with other timeouts or size: see what the kernel keeps.
	b.must(c.AddSet(&Set{Family: FamilyIPv4, Table: "t", Name: "ts", KeyType: TypeInetService, Timeout: 3 * time.Minute, GCInterval: 4 * time.Second, Size: 5}))
	b.note("after re-adding ts:\n%s", b.sets(FamilyIPv4, "t"))
	b.must(c.AddSet(ts))
	b.note("after re-adding ts as it was:\n%s", b.sets(FamilyIPv4, "t"))
	tx := c.Begin()
	tx.CreateSet(&Set{Family: FamilyIPv4, Table: "t", Name: "s1", KeyType: TypeIPv4Addr})
	b.refused("create existing set", tx.Commit(), ErrExist)
	b.failed("re-add set with another key type", c.AddSet(&Set{Family: FamilyIPv4, Table: "t", Name: "s1", KeyType: TypeIPv6Addr}))
	b.refused("set in missing table", c.AddSet(&Set{Family: FamilyIPv4, Table: "nope", Name: "x", KeyType: TypeMark}), ErrNotExist)

	b.must(c.AddElements(s1, []SetElement{{Key: ip4("10.0.0.1")}, {Key: ip4("10.0.0.2"), Comment: "two"}}))
	b.must(c.AddElements(vm, []SetElement{
		{Key: ip4("192.0.2.1"), Verdict: verdict(nftexpr.VerdictJump, "target")},
		{Key: ip4("192.0.2.2"), Verdict: verdict(nftexpr.VerdictDrop, "")},
	}))
	b.must(c.AddElements(ts, []SetElement{{Key: PortKey(22)}, {Key: PortKey(80), Timeout: 2 * time.Minute}}))
	b.must(c.AddElements(iv, []SetElement{pfx("10.1.0.0/16"), {Key: ip4("10.3.0.1")}, pfx("10.4.0.0/30")}))
	b.must(c.AddElements(dm, []SetElement{{Key: ConcatKey(ip4("10.0.0.1"), PortKey(22)), Data: MarkKey(7)}}))
	b.note("sets with elements:\n%s", b.sets(FamilyIPv4, "t"))
	b.note("listing with verdict map jumps:\n%s", b.list())

	// Elements: adding an existing one is fine, creating it is not.
	g = b.gen()
	b.must(c.AddElements(s1, []SetElement{{Key: ip4("10.0.0.1")}}))
	b.expect("generation delta after re-adding an element", fmt.Sprint(b.gen()-g), "0")
	tx = c.Begin()
	tx.CreateElements(s1, []SetElement{{Key: ip4("10.0.0.9")}, {Key: ip4("10.0.0.1")}})
	b.refused("create existing element", tx.Commit(), ErrExist)
	b.failed("existing element with another verdict", c.AddElements(vm, []SetElement{{Key: ip4("192.0.2.2"), Verdict: verdict(nftexpr.VerdictAccept, "")}}))
	b.refused("delete missing element", c.DelElements(s1, []SetElement{{Key: ip4("10.9.9.9")}}), ErrNotExist)
	b.refused("elements of missing set", c.AddElements(&Set{Family: FamilyIPv4, Table: "t", Name: "nope", KeyType: TypeIPv4Addr}, []SetElement{{Key: ip4("1.1.1.1")}}), ErrNotExist)
	b.refused("jump to missing chain in a map", c.AddElements(vm, []SetElement{{Key: ip4("192.0.2.3"), Verdict: verdict(nftexpr.VerdictJump, "nope")}}), ErrNotExist)
	b.refused("delete chain a map jumps to", c.DelChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "target"}), ErrBusy)

	// Rules using sets.
	r1, r2 := saddrLookup(s1, "c"), daddrVmap(vm, "c")
	b.must(c.AppendRule(r1))
	b.must(c.AppendRule(r2))
	b.refused("lookup of missing set", c.AppendRule(saddrLookup(&Set{Family: FamilyIPv4, Table: "t", Name: "nope"}, "c")), ErrNotExist)
	b.refused("delete set used by a rule", c.DelSet(s1), ErrBusy)
	b.refused("delete map used by a rule", c.DelSet(vm), ErrBusy)
	b.refused("delete missing set", c.DelSet(&Set{Family: FamilyIPv4, Table: "t", Name: "nope"}), ErrNotExist)
	sets, err := c.ListSets(FamilyIPv4, "nope")
	b.note("list sets of missing table: %d sets, err %v", len(sets), err != nil)
	_, err = c.ListElements(&Set{Family: FamilyIPv4, Table: "t", Name: "nope", KeyType: TypeIPv4Addr})
	b.refused("list elements of missing set", err, ErrNotExist)
	b.note("listing with set rules:\n%s", b.list())

	// Deleting elements, flushing.
	b.must(c.DelElements(s1, []SetElement{{Key: ip4("10.0.0.2")}}))
	b.must(c.DelElements(iv, []SetElement{pfx("10.4.0.0/30")}))
	b.must(c.DelElements(vm, []SetElement{{Key: ip4("192.0.2.1"), Verdict: verdict(nftexpr.VerdictJump, "target")}}))
	b.note("after deletes:\n%s\n%s", b.sets(FamilyIPv4, "t"), b.list())
	g = b.gen()
	b.must(c.FlushSet(ts))
	b.note("generation delta after flush: %d", b.gen()-g)
	g = b.gen()
	b.must(c.FlushSet(ts))
	b.note("generation delta after flushing an empty set: %d", b.gen()-g)

	// Rule and set go together; the set first is refused, atomically.
	tx = c.Begin()
	tx.DelSet(s1)
	tx.DelRule(r1)
	b.refused("set deleted before its rule", tx.Commit(), ErrBusy)
	tx = c.Begin()
	tx.DelRule(r1)
	tx.DelSet(s1)
	b.must(tx.Commit())
	b.must(c.DelChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "target"}))
}

// scenarioSetsOneBatch makes sets, their elements and rules using them in
// a single transaction: the set ids resolve within the batch.
func scenarioSetsOneBatch(b *suiteBackend) {
	c := b.c
	g := b.gen()
	s := &Set{Family: FamilyIPv4, Table: "t", Name: "allow", KeyType: TypeIPv4Addr}
	m := &Set{Family: FamilyIPv4, Table: "t", Name: "m", KeyType: TypeIPv4Addr, DataType: TypeVerdict}
	tx := c.Begin()
	tx.AddTable(&Table{Family: FamilyIPv4, Name: "t"})
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"})
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "j"})
	tx.AddSet(s)
	tx.AddSet(m)
	tx.AddElements(s, []SetElement{{Key: ip4("10.0.0.1")}, {Key: ip4("10.0.0.3")}})
	tx.AddElements(m, []SetElement{{Key: ip4("10.0.0.1"), Verdict: verdict(nftexpr.VerdictGoto, "j")}})
	tx.AppendRule(saddrLookup(s, "c"))
	tx.AppendRule(daddrVmap(m, "c"))
	b.must(tx.Commit())
	b.expect("generation delta", fmt.Sprint(b.gen()-g), "1")
	b.note("one batch:\n%s\n%s", b.sets(FamilyIPv4, "t"), b.list())
	// A failing batch leaves the sets as they were.
	tx = c.Begin()
	tx.AddElements(s, []SetElement{{Key: ip4("10.0.0.7")}})
	tx.DelElements(s, []SetElement{{Key: ip4("10.0.0.1")}})
	tx.DelSet(&Set{Family: FamilyIPv4, Table: "t", Name: "missing"})
	b.refused("failing batch", tx.Commit(), ErrNotExist)
	b.note("sets after failed batch:\n%s", b.sets(FamilyIPv4, "t"))
	// A set deleted in a batch is no longer found by its id there.
	tx = c.Begin()
	tx.AddSet(&Set{Family: FamilyIPv4, Table: "t", Name: "tmp", KeyType: TypeMark})
	tmp := &Set{Family: FamilyIPv4, Table: "t", Name: "tmp", KeyType: TypeMark}
	tx.AddSet(tmp)
	tx.DelSet(tmp)
	tx.AddElements(tmp, []SetElement{{Key: MarkKey(1)}})
	b.refused("elements of a set deleted in the batch", tx.Commit(), ErrNotExist)
	// Deleting the table takes its sets and rules with it.
	b.must(c.DelTable(&Table{Family: FamilyIPv4, Name: "t"}))
	sets, err := c.ListSets(FamilyIPv4, "")
	b.must(err)
	b.expect("sets after deleting the table", fmt.Sprint(len(sets)), "0")
	setupChain(b.t, c, FamilyIPv4, "t", "c")
}
