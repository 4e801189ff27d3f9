package nft

import (
	"fmt"
	"strings"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// Structured reads of one table, for adapters that answer questions
// rather than print (the knftables adapter's List, ListRules,
// ListElements and ListCounters).

// Attributes x/sys/unix does not name.
const (
	nftaFlowtableTable = 1
	nftaFlowtableName  = 2
	nftaObjHandle      = 6
	nftaObjUserdata    = 8
)

// NotFoundError says a table, chain or set does not exist. It matches
// unix.ENOENT with errors.Is.
type NotFoundError struct {
	What string // "table ip t", "chain ip t c", "set ip t s"
}

func (e *NotFoundError) Error() string { return "Error: No such file or directory: " + e.What }

// Unwrap lets errors.Is(err, unix.ENOENT) hold.
func (e *NotFoundError) Unwrap() error { return unix.ENOENT }

// RuleInfo is one rule of a chain: its handle, its comment and its text
// as `nft list` prints it (without the comment).
type RuleInfo struct {
	Chain   string
	Handle  uint64
	Comment string
	Text    string
}

// ElementInfo is one element of a set or map: each part of its key (one
// per concatenated field; an interval is one part, "10.0.0.0/8"), the
// value's parts for a map, and its comment.
type ElementInfo struct {
	Key     []string
	Value   []string
	Comment string
}

// CounterInfo is a named counter.
type CounterInfo struct {
	Name    string
	Handle  uint64
	Comment string
	Packets uint64
	Bytes   uint64
}

func readTable(c *xtnl.Conn, fam xtnl.Family, table string) (*kTable, error) {
	rs, err := readRuleset(c, fam, table)
	if err != nil {
		return nil, err
	}
	t := rs.table(fam, table)
	if t == nil {
		return nil, &NotFoundError{What: "table " + fam.String() + " " + table}
	}
	return t, nil
}

// ObjectNames returns the names of a table's objects by kind: "chain",
// "set", "map", "counter" and "flowtable", each in the kernel's order.
func ObjectNames(c *xtnl.Conn, fam xtnl.Family, table string) (_ map[string][]string, err error) {
	defer guard("list", &err)
	t, err := readTable(c, fam, table)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, ch := range t.chains {
		out["chain"] = append(out["chain"], ch.name)
	}
	for _, s := range t.sets {
		if s.flags&setAnonymous != 0 {
			continue
		}
		kind := "set"
		if s.flags&setMap != 0 {
			kind = "map"
		}
		out[kind] = append(out[kind], s.name)
	}
	counters, err := readCounters(c, fam, table)
	if err != nil {
		return nil, err
	}
	for _, ci := range counters {
		out["counter"] = append(out["counter"], ci.Name)
	}
	var ab attrBuf
	ab.str(nftaFlowtableTable, table)
	err = c.DumpRaw(unix.NFT_MSG_GETFLOWTABLE, fam, ab.b, func() { out["flowtable"] = nil }, func(m xtnl.RawMessage) error {
		a := attrsOf(m.Attrs)
		if a.str(nftaFlowtableTable) == table {
			out["flowtable"] = append(out["flowtable"], a.str(nftaFlowtableName))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list flowtables: %w", err)
	}
	return out, nil
}

// Rules returns the rules of one chain (or of every chain when chain is
// ""), in order, with their handles, comments and text.
func Rules(c *xtnl.Conn, fam xtnl.Family, table, chain string, o *PrintOptions) (_ []RuleInfo, err error) {
	defer guard("list", &err)
	if o == nil {
		o = &PrintOptions{}
	}
	t, err := readTable(c, fam, table)
	if err != nil {
		return nil, err
	}
	var out []RuleInfo
	found := chain == ""
	for _, ch := range t.chains {
		if chain != "" && ch.name != chain {
			continue
		}
		found = true
		for _, r := range ch.rules {
			cr := *r
			cr.udata = nil // the comment is returned apart
			out = append(out, RuleInfo{Chain: ch.name, Handle: r.handle, Comment: udataString(r.udata, 0), Text: ruleText(t, ch, &cr, o)})
		}
	}
	if !found {
		return nil, &NotFoundError{What: "chain " + fam.String() + " " + table + " " + chain}
	}
	return out, nil
}

// Elements returns the elements of a named set or map, and whether it is
// a map.
func Elements(c *xtnl.Conn, fam xtnl.Family, table, set string, o *PrintOptions) (_ []ElementInfo, isMap bool, err error) {
	defer guard("list", &err)
	if o == nil {
		o = &PrintOptions{}
	}
	t, err := readTable(c, fam, table)
	if err != nil {
		return nil, false, err
	}
	s := t.set(set)
	if s == nil {
		return nil, false, &NotFoundError{What: "set " + fam.String() + " " + table + " " + set}
	}
	kts := keyTypes(s.keyType, s.keyLen)
	var dt *Datatype
	if s.flags&setMap != 0 && s.dataType != unix.NFT_DATA_VERDICT {
		dt = keyTypes(s.dataType, s.dataLen)[0]
	}
	order := elemKeyOrder(s, kts) // set_print.go
	var out []ElementInfo
	if s.flags&setInterval != 0 && len(kts) == 1 {
		// Interval sets: one element per interval, as printed.
		texts := setElemTexts(s, kts, dt, order, o)
		for _, tx := range texts {
			k, v, _ := strings.Cut(tx, " : ")
			ei := ElementInfo{Key: []string{k}}
			if v != "" {
				ei.Value = []string{v}
			}
			out = append(out, ei)
		}
		return out, s.flags&setMap != 0, nil
	}
	for _, e := range s.elems {
		ei := ElementInfo{Key: keyParts(kts, e.key, order, o), Comment: udataString(e.udata, 0)}
		if v := strings.TrimPrefix(elemValue(e, s, dt, o), " : "); v != "" {
			ei.Value = []string{v}
		}
		out = append(out, ei)
	}
	return out, s.flags&setMap != 0, nil
}

// Counters returns a table's named counters.
func Counters(c *xtnl.Conn, fam xtnl.Family, table string) (_ []CounterInfo, err error) {
	defer guard("list", &err)
	if _, err := readTable(c, fam, table); err != nil {
		return nil, err
	}
	return readCounters(c, fam, table)
}

func readCounters(c *xtnl.Conn, fam xtnl.Family, table string) ([]CounterInfo, error) {
	var ab attrBuf
	ab.str(unix.NFTA_OBJ_TABLE, table)
	ab.u32(unix.NFTA_OBJ_TYPE, unix.NFT_OBJECT_COUNTER)
	var out []CounterInfo
	err := c.DumpRaw(unix.NFT_MSG_GETOBJ, fam, ab.b, func() { out = nil }, func(m xtnl.RawMessage) error {
		a := attrsOf(m.Attrs)
		if a.str(unix.NFTA_OBJ_TABLE) != table || a.u32(unix.NFTA_OBJ_TYPE) != unix.NFT_OBJECT_COUNTER {
			return nil
		}
		d := attrsOf(a[unix.NFTA_OBJ_DATA])
		out = append(out, CounterInfo{Name: a.str(unix.NFTA_OBJ_NAME), Handle: a.u64(nftaObjHandle),
			Comment: udataString(a[nftaObjUserdata], 0), Packets: d.u64(unix.NFTA_COUNTER_PACKETS), Bytes: d.u64(unix.NFTA_COUNTER_BYTES)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list counters: %w", err)
	}
	return out, nil
}
