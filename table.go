package xtnl

import (
	"fmt"

	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// Family is an nf_tables address family.
type Family byte

// The families a table can belong to.
const (
	FamilyInet   Family = unix.NFPROTO_INET
	FamilyIPv4   Family = unix.NFPROTO_IPV4
	FamilyARP    Family = unix.NFPROTO_ARP
	FamilyNetdev Family = unix.NFPROTO_NETDEV
	FamilyBridge Family = unix.NFPROTO_BRIDGE
	FamilyIPv6   Family = unix.NFPROTO_IPV6
)

// String returns the family as nft spells it ("ip", "ip6", "inet", ...).
func (f Family) String() string {
	switch f {
	case FamilyInet:
		return "inet"
	case FamilyIPv4:
		return "ip"
	case FamilyARP:
		return "arp"
	case FamilyNetdev:
		return "netdev"
	case FamilyBridge:
		return "bridge"
	case FamilyIPv6:
		return "ip6"
	}
	return fmt.Sprintf("family(%d)", byte(f))
}

func (f Family) valid() bool { return f.String()[0] != 'f' }

// Table is an nf_tables table.
type Table struct {
	Family Family
	Name   string
	Flags  uint32 // NFT_TABLE_F_*
	// Read back only.
	Handle uint64
	Use    uint32 // how many chains, sets, ... it holds
}

func (t *Table) String() string { return fmt.Sprintf("table %s %s", t.Family, t.Name) }

const maxNameLen = 255 // NFT_NAME_MAXLEN - 1

func checkName(kind, name string) error {
	switch {
	case name == "":
		return invalidf("empty %s name", kind)
	case len(name) > maxNameLen:
		return invalidf("%s name %.20q... is %d bytes, the limit is %d", kind, name, len(name), maxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if name[i] == 0 {
			return invalidf("%s name %q contains a NUL byte", kind, name)
		}
	}
	return nil
}

func (t *Table) check() error {
	if !t.Family.valid() {
		return invalidf("table %q: unknown family %d", t.Name, byte(t.Family))
	}
	return checkName("table", t.Name)
}

// AddTable adds the table, or leaves an existing one as it is.
func (tx *Tx) AddTable(t *Table) { tx.table("add table", t, unix.NLM_F_CREATE) }

// CreateTable adds the table and fails with ErrExist if it exists.
func (tx *Tx) CreateTable(t *Table) {
	tx.table("create table", t, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
}

func (tx *Tx) table(op string, t *Table, flags uint16) {
	if err := t.check(); err != nil {
		tx.fail(err)
		return
	}
	s := tx.msg(op, "", unix.NFT_MSG_NEWTABLE, flags, byte(t.Family))
	tx.enc.String(unix.NFTA_TABLE_NAME, t.Name)
	if t.Flags != 0 {
		tx.enc.Uint32(unix.NFTA_TABLE_FLAGS, t.Flags)
	}
	tx.enc.End(s)
}

// DelTable deletes the table with everything in it.
func (tx *Tx) DelTable(t *Table) {
	if err := t.check(); err != nil {
		tx.fail(err)
		return
	}
	s := tx.msg("delete table", "", unix.NFT_MSG_DELTABLE, 0, byte(t.Family))
	tx.enc.String(unix.NFTA_TABLE_NAME, t.Name)
	tx.enc.End(s)
}

// FlushTable deletes every rule of every chain in the table.
func (tx *Tx) FlushTable(t *Table) {
	if err := t.check(); err != nil {
		tx.fail(err)
		return
	}
	s := tx.msg("flush table", "", unix.NFT_MSG_DELRULE, 0, byte(t.Family))
	tx.enc.String(unix.NFTA_RULE_TABLE, t.Name)
	tx.enc.End(s)
}

// ListTables returns the tables of family fam, or of every family when fam
// is 0.
func (c *Conn) ListTables(fam Family) ([]*Table, error) {
	var out []*Table
	err := c.dump("tables", unix.NFT_MSG_GETTABLE, byte(fam), nil, func() { out = out[:0] }, func(m message) error {
		t, err := decodeTable(m.Data)
		if err != nil {
			return err
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

func decodeTable(b []byte) (*Table, error) {
	if len(b) < nfgenmsgLen {
		return nil, ErrTruncated
	}
	t := &Table{Family: Family(b[0])}
	a := nlattr.NewDecoder(b[nfgenmsgLen:])
	for a.Next() {
		switch a.Type() {
		case unix.NFTA_TABLE_NAME:
			t.Name = a.String()
		case unix.NFTA_TABLE_FLAGS:
			t.Flags = a.Uint32()
		case unix.NFTA_TABLE_USE:
			t.Use = a.Uint32()
		case nfnl.NFTA_TABLE_HANDLE:
			t.Handle = a.Uint64()
		}
	}
	return t, malformed(a.Err())
}

// single runs one operation in its own transaction.
func (c *Conn) single(build func(tx *Tx)) error {
	tx := c.Begin()
	build(tx)
	return tx.Commit()
}

// AddTable adds t (no error if it exists).
func (c *Conn) AddTable(t *Table) error { return c.single(func(tx *Tx) { tx.AddTable(t) }) }

// DelTable deletes t and everything in it.
func (c *Conn) DelTable(t *Table) error { return c.single(func(tx *Tx) { tx.DelTable(t) }) }

// FlushTable deletes all rules in t.
func (c *Conn) FlushTable(t *Table) error { return c.single(func(tx *Tx) { tx.FlushTable(t) }) }
