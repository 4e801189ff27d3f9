package nft

import (
	"strings"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// The list commands of the command line, as rule.c's do_list_* print
// them: list ruleset|tables|chains|sets|maps|counters|quotas|limits|
// flowtables [FAMILY], and list table|chain|set|map|counter|quota|limit
// naming one. What the command names must exist: nft's "No such file or
// directory" points at the missing table's, chain's or set's name.

// listCommand runs one list command and returns what it prints.
func listCommand(c *xtnl.Conn, l *Command, o *PrintOptions) (_ string, err error) {
	defer guard("list", &err)
	fam := xtnl.Family(0)
	if l.famGiven || l.Table != "" {
		fam = l.Family
	}
	if l.Op == "reset" {
		return resetCommand(c, l, fam, o)
	}
	switch l.Obj {
	case "ruleset":
		return ListRuleset(c, fam, o)
	case "tables":
		rs, err := readTables(c, fam)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		for _, t := range rs.tables {
			b.WriteString("table " + t.fam.String() + " " + t.name + "\n")
		}
		return b.String(), nil
	}
	var t *kTable
	if l.Table != "" {
		// the table must exist before anything is read of it
		rs, err := readTables(c, fam)
		if err != nil {
			return "", err
		}
		if rs.table(fam, l.Table) == nil {
			return "", notFoundAt(l.tableSpan)
		}
		if rs, err = readRuleset(c, fam, l.Table); err != nil {
			return "", err
		}
		t = rs.table(fam, l.Table)
	}
	var b strings.Builder
	switch l.Obj {
	case "table":
		printTable(&b, t, o)
	case "chain":
		ch := t.chain(l.Name)
		if ch == nil {
			return "", notFoundAt(l.nameSpan)
		}
		b.WriteString("table " + t.fam.String() + " " + t.name + " {\n")
		printChain(&b, t, ch, o)
		b.WriteString("}\n")
	case "set", "map":
		s := t.set(l.Name)
		if s == nil || (s.flags&setMap != 0) != (l.Obj == "map") {
			return "", notFoundAt(l.nameSpan)
		}
		b.WriteString("table " + t.fam.String() + " " + t.name + " {\n")
		printSet(&b, t, s, o, "\t")
		b.WriteString("}\n")
	case "counter", "quota", "limit":
		if !hasObj(t, l.Obj, l.Name) {
			return "", notFoundAt(l.nameSpan)
		}
		printObjs(&b, t, l.Obj, l.Name, o)
	case "chains", "sets", "maps", "counters", "quotas", "limits", "flowtables":
		rs, err := readRuleset(c, fam, "")
		if err != nil {
			return "", err
		}
		for _, t := range rs.tables {
			listTablePart(&b, t, l.Obj, o)
		}
	default:
		return "", &Error{Pos: l.pos.Pos, EndCol: l.pos.end, Msg: "list " + l.Obj + " is not supported"}
	}
	return b.String(), nil
}

// listTablePart prints what list chains, sets, maps, counters, quotas,
// limits or flowtables prints of table t.
func listTablePart(b *strings.Builder, t *kTable, what string, o *PrintOptions) {
	switch what {
	case "counters", "quotas", "limits":
		printObjs(b, t, strings.TrimSuffix(what, "s"), "", o)
		return
	}
	b.WriteString("table " + t.fam.String() + " " + t.name + " {\n")
	switch what {
	case "chains":
		for _, ch := range t.chains {
			decl := *ch
			decl.rules = nil
			printChain(b, t, &decl, o)
		}
	case "sets", "maps":
		for _, s := range t.sets {
			if s.flags&setAnonymous != 0 || (s.flags&setMap != 0) != (what == "maps") {
				continue
			}
			printSet(b, t, s, o, "\t")
		}
	}
	b.WriteString("}\n")
}

// printObjs prints t's objects of one kind (only the one named name, when
// not ""), as do_list_obj: nothing for a table without objects at all.
func printObjs(b *strings.Builder, t *kTable, kind, name string, o *PrintOptions) {
	if len(t.objs) == 0 {
		return
	}
	b.WriteString("table " + t.fam.String() + " " + t.name + " {\n")
	for _, ob := range t.objs {
		if objTypeNames[ob.typ] == kind && (name == "" || ob.name == name) {
			printObj(b, ob, o)
		}
	}
	b.WriteString("}\n")
}

// chain finds a chain of t by name.
func (t *kTable) chain(name string) *kChain {
	for _, ch := range t.chains {
		if ch.name == name {
			return ch
		}
	}
	return nil
}

// readTables reads the tables of fam (all when 0), without their content.
func readTables(c *xtnl.Conn, fam xtnl.Family) (*ruleset, error) {
	rs := &ruleset{}
	err := c.DumpRaw(unix.NFT_MSG_GETTABLE, fam, nil, func() { rs.tables = nil }, func(m xtnl.RawMessage) error {
		a := attrsOf(m.Attrs)
		rs.tables = append(rs.tables, &kTable{fam: m.Family, name: a.str(unix.NFTA_TABLE_NAME)})
		return nil
	})
	return rs, err
}

// notFoundAt is nft's error for a listed object that does not exist.
func notFoundAt(s srcSpan) *Error {
	return &Error{Pos: s.Pos, EndCol: s.end, Msg: "No such file or directory"}
}

// resetCommand runs reset counters|quotas [FAMILY] and reset counter|
// quota FAMILY TABLE NAME: it prints the objects as list does, with what
// they held, and the kernel zeroes them as it dumps them.
func resetCommand(c *xtnl.Conn, l *Command, fam xtnl.Family, o *PrintOptions) (string, error) {
	kind := strings.TrimSuffix(l.Obj, "s")
	typ, ok := objTypes[kind]
	if !ok || kind != "counter" && kind != "quota" {
		return "", &Error{Pos: l.pos.Pos, EndCol: l.pos.end, Msg: "reset " + l.Obj + " is not supported"}
	}
	rs, err := readTables(c, fam)
	if err != nil {
		return "", err
	}
	if l.Table != "" && rs.table(fam, l.Table) == nil {
		return "", notFoundAt(l.tableSpan)
	}
	if err := readObjsOf(c, rs, fam, l.Table, unix.NFT_MSG_GETOBJ_RESET, typ); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, t := range rs.tables {
		if l.Table != "" && t.name != l.Table {
			continue
		}
		if l.Name != "" && !hasObj(t, kind, l.Name) {
			// nft asks the kernel for this one object, which has none
			end := l.pos.end
			if l.end > 0 {
				end = l.end
			}
			return "", &Error{Pos: l.pos.Pos, EndCol: end, Msg: "Could not process rule: No such file or directory"}
		}
		printObjs(&b, t, kind, l.Name, o)
	}
	return b.String(), nil
}

// hasObj reports whether t has an object of the kind and name.
func hasObj(t *kTable, kind, name string) bool {
	for _, ob := range t.objs {
		if objTypeNames[ob.typ] == kind && ob.name == name {
			return true
		}
	}
	return false
}
