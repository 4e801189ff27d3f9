package xtnl

import (
	"fmt"

	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// Hook is the netfilter hook a base chain is attached to.
type Hook uint32

// Hooks. Ingress is for the netdev family (and inet, with a device).
const (
	HookPrerouting  Hook = unix.NF_INET_PRE_ROUTING
	HookInput       Hook = unix.NF_INET_LOCAL_IN
	HookForward     Hook = unix.NF_INET_FORWARD
	HookOutput      Hook = unix.NF_INET_LOCAL_OUT
	HookPostrouting Hook = unix.NF_INET_POST_ROUTING
	HookIngress     Hook = unix.NF_NETDEV_INGRESS
)

// String returns the hook as nft spells it.
func (h Hook) String() string {
	switch h {
	case HookPrerouting:
		return "prerouting"
	case HookInput:
		return "input"
	case HookForward:
		return "forward"
	case HookOutput:
		return "output"
	case HookPostrouting:
		return "postrouting"
	}
	return fmt.Sprintf("hook(%d)", uint32(h))
}

// ChainType is a base chain's type.
type ChainType string

// Chain types.
const (
	ChainTypeFilter ChainType = "filter"
	ChainTypeNAT    ChainType = "nat"
	ChainTypeRoute  ChainType = "route"
)

// Policy is a base chain's default verdict.
type Policy uint32

// Policies.
const (
	PolicyDrop   Policy = 0 // NF_DROP
	PolicyAccept Policy = 1 // NF_ACCEPT
)

// String returns "accept" or "drop".
func (p Policy) String() string {
	switch p {
	case PolicyDrop:
		return "drop"
	case PolicyAccept:
		return "accept"
	}
	return fmt.Sprintf("policy(%d)", uint32(p))
}

// BaseChain describes the hook a base chain is attached to.
type BaseChain struct {
	Type     ChainType
	Hook     Hook
	Priority int32
	// Device is the interface of an ingress/netdev chain.
	Device string
	Policy *Policy
}

// Counters are packet and byte counts.
type Counters struct {
	Packets, Bytes uint64
}

// Chain is an nf_tables chain: a base chain when Base is set, a regular
// chain (a jump or goto target) otherwise.
type Chain struct {
	Family Family
	Table  string
	Name   string
	Base   *BaseChain
	// Counters, when set on a base chain, initializes its policy counters.
	Counters *Counters
	// Read back only.
	Handle uint64
	Use    uint32 // rules and jumps referencing it
	Flags  uint32
}

func (ch *Chain) String() string {
	return fmt.Sprintf("chain %s %s %s", ch.Family, ch.Table, ch.Name)
}

func (ch *Chain) check() error {
	if !ch.Family.valid() {
		return invalidf("%s: unknown family %d", ch, byte(ch.Family))
	}
	if err := checkName("table", ch.Table); err != nil {
		return err
	}
	return checkName("chain", ch.Name)
}

// AddChain adds the chain, or updates an existing one's policy.
func (tx *Tx) AddChain(ch *Chain) { tx.chain("add chain", ch, unix.NLM_F_CREATE) }

// CreateChain adds the chain and fails with ErrExist if it exists.
func (tx *Tx) CreateChain(ch *Chain) {
	tx.chain("create chain", ch, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
}

func (tx *Tx) chain(op string, ch *Chain, flags uint16) {
	if err := ch.check(); err != nil {
		tx.fail(err)
		return
	}
	e := &tx.enc
	s := tx.msg(op, "", unix.NFT_MSG_NEWCHAIN, flags, byte(ch.Family))
	e.String(unix.NFTA_CHAIN_TABLE, ch.Table)
	e.String(unix.NFTA_CHAIN_NAME, ch.Name)
	if b := ch.Base; b != nil {
		h := e.Nest(unix.NFTA_CHAIN_HOOK)
		e.Uint32(unix.NFTA_HOOK_HOOKNUM, uint32(b.Hook))
		e.Uint32(unix.NFTA_HOOK_PRIORITY, uint32(b.Priority))
		if b.Device != "" {
			e.String(unix.NFTA_HOOK_DEV, b.Device)
		}
		e.EndNest(h)
		if b.Policy != nil {
			e.Uint32(unix.NFTA_CHAIN_POLICY, uint32(*b.Policy))
		}
		t := b.Type
		if t == "" {
			t = ChainTypeFilter
		}
		e.String(unix.NFTA_CHAIN_TYPE, string(t))
		if ch.Counters != nil {
			n := e.Nest(unix.NFTA_CHAIN_COUNTERS)
			e.Uint64(unix.NFTA_COUNTER_BYTES, ch.Counters.Bytes)
			e.Uint64(unix.NFTA_COUNTER_PACKETS, ch.Counters.Packets)
			e.EndNest(n)
		}
	}
	e.End(s)
}

// DelChain deletes an empty, unreferenced chain (ErrBusy otherwise).
func (tx *Tx) DelChain(ch *Chain) {
	if err := ch.check(); err != nil {
		tx.fail(err)
		return
	}
	// NLM_F_NONREC: without it the kernel would delete the chain's rules
	// along with it.
	s := tx.msg("delete chain", "", unix.NFT_MSG_DELCHAIN, nfnl.NLM_F_NONREC, byte(ch.Family))
	tx.enc.String(unix.NFTA_CHAIN_TABLE, ch.Table)
	tx.enc.String(unix.NFTA_CHAIN_NAME, ch.Name)
	tx.enc.End(s)
}

// FlushChain deletes every rule in the chain.
func (tx *Tx) FlushChain(ch *Chain) {
	if err := ch.check(); err != nil {
		tx.fail(err)
		return
	}
	s := tx.msg("flush chain", "", unix.NFT_MSG_DELRULE, 0, byte(ch.Family))
	tx.enc.String(unix.NFTA_RULE_TABLE, ch.Table)
	tx.enc.String(unix.NFTA_RULE_CHAIN, ch.Name)
	tx.enc.End(s)
}

// RenameChain renames ch (found by its Handle when set, else by Name) to
// newName.
func (tx *Tx) RenameChain(ch *Chain, newName string) {
	if err := ch.check(); err != nil {
		tx.fail(err)
		return
	}
	if err := checkName("chain", newName); err != nil {
		tx.fail(err)
		return
	}
	if ch.Handle == 0 {
		tx.fail(invalidf("%s: renaming needs the chain's handle (list it first, or use Conn.RenameChain)", ch))
		return
	}
	s := tx.msg("rename chain", ch.String()+" to "+newName, unix.NFT_MSG_NEWCHAIN, 0, byte(ch.Family))
	tx.enc.String(unix.NFTA_CHAIN_TABLE, ch.Table)
	tx.enc.Uint64(unix.NFTA_CHAIN_HANDLE, ch.Handle)
	tx.enc.String(unix.NFTA_CHAIN_NAME, newName)
	tx.enc.End(s)
}

// SetPolicy changes a base chain's policy.
func (tx *Tx) SetPolicy(ch *Chain, p Policy) {
	if err := ch.check(); err != nil {
		tx.fail(err)
		return
	}
	if p != PolicyAccept && p != PolicyDrop {
		tx.fail(invalidf("%s: policy must be accept or drop, not %d", ch, uint32(p)))
		return
	}
	s := tx.msg("set policy", "", unix.NFT_MSG_NEWCHAIN, 0, byte(ch.Family))
	tx.enc.String(unix.NFTA_CHAIN_TABLE, ch.Table)
	tx.enc.String(unix.NFTA_CHAIN_NAME, ch.Name)
	tx.enc.Uint32(unix.NFTA_CHAIN_POLICY, uint32(p))
	tx.enc.End(s)
}

// ListChains returns the chains of table (every table when table is "") in
// family fam (every family when 0).
func (c *Conn) ListChains(fam Family, table string) ([]*Chain, error) {
	var out []*Chain
	err := c.dump("chains", unix.NFT_MSG_GETCHAIN, byte(fam), func(e *nfnl.Encoder) {
		if table != "" {
			e.String(unix.NFTA_CHAIN_TABLE, table)
		}
	}, func() { out = out[:0] }, func(m message) error {
		ch, err := decodeChain(m.Data)
		if err != nil {
			return err
		}
		if table == "" || ch.Table == table {
			out = append(out, ch)
		}
		return nil
	})
	return out, err
}

// GetChain returns one chain, or an error matching ErrNotExist.
func (c *Conn) GetChain(fam Family, table, name string) (*Chain, error) {
	chains, err := c.ListChains(fam, table)
	if err != nil {
		return nil, err
	}
	for _, ch := range chains {
		if ch.Name == name {
			return ch, nil
		}
	}
	return nil, &OpError{Op: "get chain", Object: (&Chain{Family: fam, Table: table, Name: name}).String(), Errno: unix.ENOENT}
}

func decodeChain(b []byte) (*Chain, error) {
	if len(b) < nfgenmsgLen {
		return nil, ErrTruncated
	}
	ch := &Chain{Family: Family(b[0])}
	var base BaseChain
	hasHook := false
	a := nlattr.NewDecoder(b[nfgenmsgLen:])
	for a.Next() {
		switch a.Type() {
		case unix.NFTA_CHAIN_TABLE:
			ch.Table = a.String()
		case unix.NFTA_CHAIN_NAME:
			ch.Name = a.String()
		case unix.NFTA_CHAIN_HANDLE:
			ch.Handle = a.Uint64()
		case unix.NFTA_CHAIN_USE:
			ch.Use = a.Uint32()
		case nfnl.NFTA_CHAIN_FLAGS:
			ch.Flags = a.Uint32()
		case unix.NFTA_CHAIN_TYPE:
			base.Type = ChainType(a.String())
		case unix.NFTA_CHAIN_POLICY:
			p := Policy(a.Uint32())
			base.Policy = &p
		case unix.NFTA_CHAIN_HOOK:
			hasHook = true
			h := nlattr.NewDecoder(a.Bytes())
			for h.Next() {
				switch h.Type() {
				case unix.NFTA_HOOK_HOOKNUM:
					base.Hook = Hook(h.Uint32())
				case unix.NFTA_HOOK_PRIORITY:
					base.Priority = int32(h.Uint32())
				case unix.NFTA_HOOK_DEV:
					base.Device = h.String()
				}
			}
			if h.Err() != nil {
				return nil, malformed(h.Err())
			}
		case unix.NFTA_CHAIN_COUNTERS:
			var cnt Counters
			ca := nlattr.NewDecoder(a.Bytes())
			for ca.Next() {
				switch ca.Type() {
				case unix.NFTA_COUNTER_BYTES:
					cnt.Bytes = ca.Uint64()
				case unix.NFTA_COUNTER_PACKETS:
					cnt.Packets = ca.Uint64()
				}
			}
			ch.Counters = &cnt
		}
	}
	if hasHook {
		ch.Base = &base
	}
	return ch, malformed(a.Err())
}

// AddChain adds ch (for an existing chain: updates its policy).
func (c *Conn) AddChain(ch *Chain) error { return c.single(func(tx *Tx) { tx.AddChain(ch) }) }

// DelChain deletes an empty, unreferenced chain.
func (c *Conn) DelChain(ch *Chain) error { return c.single(func(tx *Tx) { tx.DelChain(ch) }) }

// FlushChain deletes all rules of ch.
func (c *Conn) FlushChain(ch *Chain) error { return c.single(func(tx *Tx) { tx.FlushChain(ch) }) }

// SetPolicy sets a base chain's policy.
func (c *Conn) SetPolicy(ch *Chain, p Policy) error {
	return c.single(func(tx *Tx) { tx.SetPolicy(ch, p) })
}

// RenameChain renames ch to newName, looking its handle up when needed; the
// rename is committed only if nothing changed since the lookup.
func (c *Conn) RenameChain(ch *Chain, newName string) error {
	if ch.Handle != 0 {
		return c.single(func(tx *Tx) { tx.RenameChain(ch, newName) })
	}
	return c.Update(8, func(tx *Tx) error {
		cur, err := c.GetChain(ch.Family, ch.Table, ch.Name)
		if err != nil {
			return err
		}
		tx.RenameChain(cur, newName)
		return nil
	})
}
