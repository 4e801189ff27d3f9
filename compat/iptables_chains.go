package compat

import (
	"errors"
	"strings"

	"github.com/xtnl/xtnl"
)

// checkChainName refuses names iptables refuses for -N and -E.
func checkChainName(name string) error {
	switch {
	case name == "":
		return &Error{msg: "iptables v1.8.9 (nf_tables): empty chain name", exitStatus: exitParameterProblem}
	case len(name) > maxChainName:
		return &Error{msg: "iptables v1.8.9 (nf_tables): chain name `" + name + "' too long (must be under 29 chars)", exitStatus: exitParameterProblem}
	case name[0] == '-' || name[0] == '!':
		return &Error{msg: "iptables v1.8.9 (nf_tables): chain name not allowed to start with `" + name[:1] + "'", exitStatus: exitParameterProblem}
	case isStandardVerdict(name) || lookup(targets, name, Both) != nil:
		return &Error{msg: "iptables v1.8.9 (nf_tables): chain name may not clash with target name", exitStatus: exitParameterProblem}
	case strings.ContainsAny(name, " \t\n\x00"):
		return &Error{msg: "iptables v1.8.9 (nf_tables): Invalid chain name `" + name + "'", exitStatus: exitParameterProblem}
	}
	return nil
}

func (ipt *IPTables) userChain(table, name string) *xtnl.Chain {
	return &xtnl.Chain{Family: ipt.fam.xtnlFamily(), Table: table, Name: name}
}

// NewChain creates a user chain; an existing chain is an error (exit
// status 1, not IsNotExist).
func (ipt *IPTables) NewChain(table, chain string) error {
	ipt, held, err := ipt.bindTable(table)
	if err != nil {
		return err
	}
	defer ipt.release(held)
	if err := checkChainName(chain); err != nil {
		return err
	}
	if IsBuiltinChain(table, chain) {
		return &Error{msg: "iptables: Chain already exists.", exitStatus: exitOtherProblem}
	}
	tx := ipt.conn.Begin()
	tx.AddTable(&xtnl.Table{Family: ipt.fam.xtnlFamily(), Name: table})
	tx.CreateChain(ipt.userChain(table, chain))
	err = tx.Commit()
	if errors.Is(err, xtnl.ErrExist) {
		return &Error{msg: "iptables: Chain already exists.", exitStatus: exitOtherProblem, cause: err}
	}
	return wrapErr(err)
}

// ClearChain flushes the chain, creating it when it does not exist.
func (ipt *IPTables) ClearChain(table, chain string) error {
	ipt, held, err := ipt.bindTable(table)
	if err != nil {
		return err
	}
	defer ipt.release(held)
	return wrapErr(ipt.update(func(tx *xtnl.Tx) error {
		t, err := readTable(ipt.conn, ipt.fam, table)
		if err != nil {
			return err
		}
		c := t.chain(chain)
		switch {
		case c != nil && c.exists:
			tx.FlushChain(ipt.userChain(table, chain))
		case c != nil:
			// A built-in chain not created yet: nothing to flush.
		default:
			if err := checkChainName(chain); err != nil {
				return err
			}
			tx.AddTable(&xtnl.Table{Family: ipt.fam.xtnlFamily(), Name: table})
			tx.CreateChain(ipt.userChain(table, chain))
		}
		return nil
	}))
}

// RenameChain renames a user chain.
func (ipt *IPTables) RenameChain(table, oldChain, newChain string) error {
	ipt, held, err := ipt.bind()
	if err != nil {
		return err
	}
	defer ipt.release(held)
	if err := checkChainName(newChain); err != nil {
		return err
	}
	return wrapErr(ipt.update(func(tx *xtnl.Tx) error {
		t, err := readTable(ipt.conn, ipt.fam, table)
		if err != nil {
			return err
		}
		old := t.chain(oldChain)
		switch {
		case old == nil:
			return notFound(errNoChain)
		case old.builtin:
			return &Error{msg: "iptables v1.8.9 (nf_tables): Can't rename built-in chain " + oldChain, exitStatus: exitParameterProblem}
		case t.chain(newChain) != nil:
			return &Error{msg: "iptables: File exists.", exitStatus: exitOtherProblem}
		}
		ch := ipt.userChain(table, oldChain)
		ch.Handle = old.handle
		tx.RenameChain(ch, newChain)
		return nil
	}))
}

// DeleteChain deletes an empty, unreferenced chain (a built-in one too, as
// iptables-nft does). Deleting a chain that holds rules or is jumped to
// fails (exit status 4, not IsNotExist).
func (ipt *IPTables) DeleteChain(table, chain string) error {
	ipt, held, err := ipt.bindTable(table)
	if err != nil {
		return err
	}
	defer ipt.release(held)
	// A built-in chain too goes to the kernel, as with iptables-nft: it
	// is deleted if empty and unreferenced, refused (busy) otherwise.
	err = ipt.conn.DelChain(ipt.userChain(table, chain))
	switch {
	case errors.Is(err, xtnl.ErrNotExist):
		return &Error{msg: "iptables: " + errNoChain, exitStatus: exitOtherProblem, notExist: true, cause: err}
	case errors.Is(err, xtnl.ErrBusy):
		return chainBusy(chain, err)
	}
	return wrapErr(err)
}

// ClearAndDeleteChain flushes and deletes a user chain in one atomic step;
// a chain that does not exist is not an error.
func (ipt *IPTables) ClearAndDeleteChain(table, chain string) error {
	ipt, held, err := ipt.bind()
	if err != nil {
		return err
	}
	defer ipt.release(held)
	tx := ipt.conn.Begin()
	ch := ipt.userChain(table, chain)
	tx.FlushChain(ch)
	tx.DelChain(ch)
	err = tx.Commit()
	switch {
	case errors.Is(err, xtnl.ErrNotExist):
		return nil
	case errors.Is(err, xtnl.ErrBusy):
		return chainBusy(chain, err)
	}
	return wrapErr(err)
}

// ClearAll flushes every chain of the filter table (iptables -F).
func (ipt *IPTables) ClearAll() error { return ipt.FlushTable("filter") }

// FlushTable flushes every chain of a table (iptables -t TABLE -F).
func (ipt *IPTables) FlushTable(table string) error {
	ipt, held, err := ipt.bindTable(table)
	if err != nil {
		return err
	}
	defer ipt.release(held)
	err = ipt.conn.FlushTable(&xtnl.Table{Family: ipt.fam.xtnlFamily(), Name: table})
	if errors.Is(err, xtnl.ErrNotExist) {
		return nil
	}
	return wrapErr(err)
}

// DeleteAll deletes every user chain of the filter table (iptables -X);
// they must be empty and not jumped to from built-in chains.
func (ipt *IPTables) DeleteAll() error { return ipt.DeleteUserChains("filter") }

// DeleteUserChains deletes every user chain of a table (iptables -t TABLE
// -X), in one atomic step.
func (ipt *IPTables) DeleteUserChains(table string) error {
	ipt, held, err := ipt.bindTable(table)
	if err != nil {
		return err
	}
	defer ipt.release(held)
	var names []string // the chain each operation deletes
	err = ipt.update(func(tx *xtnl.Tx) error {
		t, err := readTable(ipt.conn, ipt.fam, table)
		if err != nil {
			return err
		}
		names = names[:0]
		for _, c := range t.chains {
			if !c.builtin {
				tx.DelChain(ipt.userChain(table, c.name))
				names = append(names, c.name)
			}
		}
		return nil
	})
	var oe *xtnl.OpError
	if errors.Is(err, xtnl.ErrBusy) && errors.As(err, &oe) && oe.Index >= 0 && oe.Index < len(names) {
		return chainBusy(names[oe.Index], err)
	}
	return wrapErr(err)
}

// chainBusy is iptables-nft's refusal to delete a chain that holds rules
// or is jumped to.
func chainBusy(chain string, err error) error {
	return &Error{msg: "iptables v1.8.9 (nf_tables):  CHAIN_DEL failed (Device or resource busy): chain " + chain, exitStatus: exitResourceProblem, cause: err}
}

// ChangePolicy sets a built-in chain's policy (ACCEPT or DROP).
func (ipt *IPTables) ChangePolicy(table, chain, target string) error {
	ipt, held, err := ipt.bind()
	if err != nil {
		return err
	}
	defer ipt.release(held)
	b, ok := builtin(table, chain)
	if !ok {
		return &Error{msg: "iptables: Bad built-in chain name.", exitStatus: exitOtherProblem}
	}
	var p xtnl.Policy
	switch target {
	case "ACCEPT":
		p = xtnl.PolicyAccept
	case "DROP":
		p = xtnl.PolicyDrop
	default:
		return &Error{msg: "iptables: Bad policy name. Run `dmesg' for more information.", exitStatus: exitOtherProblem}
	}
	f := ipt.fam.xtnlFamily()
	tx := ipt.conn.Begin()
	tx.AddTable(&xtnl.Table{Family: f, Name: table})
	ch := &xtnl.Chain{Family: f, Table: table, Name: chain, Base: &xtnl.BaseChain{Type: b.typ, Hook: b.hook, Priority: b.priority}}
	// Policy counters set anew (to zero), as iptables-nft -P sets them,
	// on a chain made here or made without them by a first -A.
	ch.Counters = &xtnl.Counters{}
	tx.AddChain(ch)
	tx.SetPolicy(ch, p)
	return wrapErr(tx.Commit())
}

// ChainExists reports whether the chain exists. Built-in chains always do,
// as iptables-nft shows them before their first use.
func (ipt *IPTables) ChainExists(table, chain string) (bool, error) {
	ipt, held, err := ipt.bind()
	if err != nil {
		return false, err
	}
	defer ipt.release(held)
	if !isTable(table) {
		return false, nil
	}
	// Asked even for a built-in chain, which always "exists" (iptables-nft
	// makes it when first used): the kernel refuses a caller without
	// CAP_NET_ADMIN, and so must this.
	builtin := IsBuiltinChain(table, chain)
	_, err = ipt.conn.GetChain(ipt.fam.xtnlFamily(), table, chain)
	if errors.Is(err, xtnl.ErrNotExist) {
		return builtin, nil
	}
	return err == nil, wrapErr(err)
}

// ListChains returns the table's chains: built-in ones first, then user
// chains by name.
func (ipt *IPTables) ListChains(table string) ([]string, error) {
	ipt, held, err := ipt.bind()
	if err != nil {
		return nil, err
	}
	defer ipt.release(held)
	t, err := readTable(ipt.conn, ipt.fam, table)
	if err != nil {
		return nil, wrapErr(err)
	}
	names := make([]string, len(t.chains))
	for i, c := range t.chains {
		names[i] = c.name
	}
	return names, nil
}
