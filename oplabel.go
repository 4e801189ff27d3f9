package xtnl

import (
	"encoding/binary"
	"fmt"

	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// opLabel says what an operation does and to what, for errors.
type opLabel struct {
	op     string
	object string
	// rule names a rule operation without formatting a string for each
	// of a large batch's rules; see name.
	rule ruleRef
	echo *uint64 // the rule's Handle, filled in after commit when echoed
}

// name is the object an operation names, for errors.
func (l *opLabel) name() string {
	if l.object == "" && l.rule.table != "" {
		return l.rule.name()
	}
	return l.object
}

// ruleRef identifies a rule in an operation.
type ruleRef struct {
	fam          Family
	table, chain string
	handle       uint64
}

// opKind is what an operation does, for the operations whose object their
// message names: a byte in txOp instead of a label per operation, which a
// batch of 100k rules would otherwise hold (and fault in) by the megabyte.
type opKind uint8

// opOther marks an operation that is not one of opNames: it keeps a label.
const opOther opKind = 0

// opNames are the operations' names as errors give them, by opKind.
var opNames = [...]string{
	opOther: "",
	1:       "add table", 2: "create table", 3: "delete table", 4: "flush table",
	5: "add chain", 6: "create chain", 7: "delete chain", 8: "flush chain", 9: "set policy",
	10: "append rule", 11: "insert rule", 12: "replace rule", 13: "delete rule",
	14: "add set", 15: "create set", 16: "delete set", 17: "flush set",
	18: "add elements", 19: "create elements", 20: "delete elements",
}

// kindOf is op's opKind, opOther if it has none.
func kindOf(op string) opKind {
	for k := 1; k < len(opNames); k++ {
		if opNames[k] == op {
			return opKind(k)
		}
	}
	return opOther
}

// derivedLabel is the label of operation i, which has none of its own: its
// name by kind, its object read from its message's attributes.
func (tx *Tx) derivedLabel(i int) opLabel {
	op := tx.ops[i]
	l := opLabel{op: opNames[op.kind]}
	m := tx.msgAt(op.offset)
	if len(m) < unix.NLMSG_HDRLEN+nfgenmsgLen {
		return l
	}
	typ := binary.NativeEndian.Uint16(m[4:6]) & 0xff
	fam := Family(m[unix.NLMSG_HDRLEN])
	// Every object's table is attribute 1 and its name attribute 2 or 3
	// (NFTA_TABLE_NAME, NFTA_{CHAIN,RULE,SET,SET_ELEM_LIST}_*), and a
	// rule's handle is attribute 3.
	var a [4]string
	var handle uint64
	d := nlattr.NewDecoder(m[unix.NLMSG_HDRLEN+nfgenmsgLen:])
	for d.Next() {
		switch t := d.Type(); {
		case t == unix.NFTA_RULE_HANDLE && (typ == unix.NFT_MSG_NEWRULE || typ == unix.NFT_MSG_DELRULE):
			handle = d.Uint64()
		case t < uint16(len(a)):
			a[t] = d.String()
		}
	}
	switch typ {
	case unix.NFT_MSG_NEWTABLE, unix.NFT_MSG_DELTABLE:
		l.object = (&Table{Family: fam, Name: a[unix.NFTA_TABLE_NAME]}).String()
	case unix.NFT_MSG_NEWCHAIN, unix.NFT_MSG_DELCHAIN:
		l.object = (&Chain{Family: fam, Table: a[unix.NFTA_CHAIN_TABLE], Name: a[unix.NFTA_CHAIN_NAME]}).String()
	case unix.NFT_MSG_NEWRULE, unix.NFT_MSG_DELRULE:
		table, chain := a[unix.NFTA_RULE_TABLE], a[unix.NFTA_RULE_CHAIN]
		switch l.op {
		case "flush table":
			l.object = (&Table{Family: fam, Name: table}).String()
		case "flush chain":
			l.object = (&Chain{Family: fam, Table: table, Name: chain}).String()
		default:
			l.rule = ruleRef{fam, table, chain, handle}
		}
	case unix.NFT_MSG_NEWSET, unix.NFT_MSG_DELSET:
		l.object = (&Set{Family: fam, Table: a[unix.NFTA_SET_TABLE], Name: a[unix.NFTA_SET_NAME]}).String()
	case unix.NFT_MSG_NEWSETELEM, unix.NFT_MSG_DELSETELEM:
		l.object = (&Set{Family: fam, Table: a[unix.NFTA_SET_ELEM_LIST_TABLE], Name: a[unix.NFTA_SET_ELEM_LIST_SET]}).String()
	default:
		l.object = fmt.Sprintf("message type %d", typ)
	}
	return l
}

// msgAt is the message at offset off of the transaction's body.
func (tx *Tx) msgAt(off int) []byte {
	for _, part := range tx.appendBody(nil) {
		if off < len(part) {
			if off+4 > len(part) {
				return nil
			}
			n := int(binary.NativeEndian.Uint32(part[off:]))
			return part[off:min(off+n, len(part))]
		}
		off -= len(part)
	}
	return nil
}
