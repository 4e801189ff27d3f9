package xtnl

import (
	"testing"

	"github.com/xtnl/xtnl/expr"
)

// TestDerivedLabels holds the label read back from each kind of message to
// the object the operation was given, as errors name it.
func TestDerivedLabels(t *testing.T) {
	tx := (&Conn{}).Begin()
	tbl := &Table{Family: FamilyIPv4, Name: "t"}
	ch := &Chain{Family: FamilyIPv6, Table: "t6", Name: "c"}
	st := &Set{Family: FamilyInet, Table: "ti", Name: "s", KeyType: TypeIPv4Addr}
	verdict := []expr.Expr{accept()}
	want := []struct{ op, object string }{}
	add := func(op, object string, fn func()) {
		fn()
		want = append(want, struct{ op, object string }{op, object})
	}
	add("add table", "table ip t", func() { tx.AddTable(tbl) })
	add("create table", "table ip t", func() { tx.CreateTable(tbl) })
	add("flush table", "table ip t", func() { tx.FlushTable(tbl) })
	add("add chain", "chain ip6 t6 c", func() { tx.AddChain(ch) })
	add("create chain", "chain ip6 t6 c", func() { tx.CreateChain(ch) })
	add("flush chain", "chain ip6 t6 c", func() { tx.FlushChain(ch) })
	add("set policy", "chain ip6 t6 c", func() { tx.SetPolicy(ch, PolicyDrop) })
	add("append rule", "rule ip6 t6 c", func() { tx.AppendRule(&Rule{Family: FamilyIPv6, Table: "t6", Chain: "c", Exprs: verdict}) })
	add("insert rule", "rule ip6 t6 c", func() {
		tx.InsertRule(&Rule{Family: FamilyIPv6, Table: "t6", Chain: "c", Position: 4, Exprs: verdict})
	})
	add("replace rule", "rule ip6 t6 c handle 7", func() {
		tx.ReplaceRule(&Rule{Family: FamilyIPv6, Table: "t6", Chain: "c", Handle: 7, Exprs: verdict})
	})
	add("append rule", "rule ip6 t6 c", func() { tx.AppendRawRule(&RawRule{Family: FamilyIPv6, Table: "t6", Chain: "c"}) })
	add("delete rule", "rule ip6 t6 c handle 9", func() { tx.DelRule(&Rule{Family: FamilyIPv6, Table: "t6", Chain: "c", Handle: 9}) })
	add("add set", "set inet ti s", func() { tx.AddSet(st) })
	add("flush set", "set inet ti s", func() { tx.FlushSet(st) })
	add("delete set", "set inet ti s", func() { tx.DelSet(st) })
	add("delete chain", "chain ip6 t6 c", func() { tx.DelChain(ch) })
	add("delete table", "table ip t", func() { tx.DelTable(tbl) })
	add("add rule", "inet t c", func() { tx.AddRaw("add rule", "inet t c", 6, 0, FamilyInet, nil) })
	if err := tx.Err(); err != nil {
		t.Fatal(err)
	}
	if tx.Len() != len(want) {
		t.Fatalf("%d operations, want %d", tx.Len(), len(want))
	}
	for i, w := range want {
		l := tx.label(i)
		if l.op != w.op || l.name() != w.object {
			t.Errorf("operation %d: %q %q, want %q %q", i, l.op, l.name(), w.op, w.object)
		}
	}
	if len(tx.labels) != 1 {
		t.Errorf("%d labels kept, want 1 (the raw operation's)", len(tx.labels))
	}
}
