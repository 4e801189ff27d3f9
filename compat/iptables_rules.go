package compat

import (
	"errors"
	"strconv"

	"github.com/xtnl/xtnl"
)

// maxAttempts bounds the retries of a read-decide-commit cycle that keeps
// losing to concurrent writers.
const maxAttempts = 16

// parse parses a rulespec for table and chain.
func (ipt *IPTables) parse(table, chain string, rulespec []string) ([]*Spec, error) {
	if !isTable(table) {
		return nil, notFound("Table does not exist (do you need to insmod?)")
	}
	if chain == "" {
		return nil, &Error{msg: "iptables: empty chain name", exitStatus: exitParameterProblem}
	}
	specs, err := ParseIn(ipt.nsFd(), ipt.fam, table, chain, rulespec)
	return specs, wrapErr(err)
}

// canonical returns the -S body a spec reads back as once written: the
// form rules are compared in, so "-p tcp --dport 22" matches the kernel's
// "-p tcp -m tcp --dport 22".
func canonical(s *Spec) (string, error) {
	r, err := s.Rule()
	if err != nil {
		return "", err
	}
	back, err := DecodeIn(s.nsFd, s.Family, r)
	if err != nil {
		return "", err
	}
	return back.Body(), nil
}

// bodies returns the canonical bodies of a chain's kernel rules; rules
// iptables cannot express get a body that matches nothing.
func bodies(nsFd int, fam Family, rules []*xtnl.Rule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		s, err := DecodeIn(nsFd, fam, r)
		if err != nil {
			out[i] = "\x00unrepresentable"
			continue
		}
		out[i] = s.Body()
	}
	return out
}

// update runs a read-decide-commit cycle conditional on the generation.
func (ipt *IPTables) update(fn func(tx *xtnl.Tx) error) error {
	return ipt.conn.Update(maxAttempts, fn)
}

// Exists reports whether the rule is in the chain, compared by meaning.
func (ipt *IPTables) Exists(table, chain string, rulespec ...string) (bool, error) {
	specs, err := ipt.parse(table, chain, rulespec)
	if err != nil {
		return false, err
	}
	rules, ok, err := readChain(ipt.conn, ipt.fam, table, chain)
	if err != nil {
		return false, wrapErr(err)
	}
	if !ok {
		return false, nil
	}
	have := bodies(ipt.nsFd(), ipt.fam, rules)
	for _, s := range specs {
		want, err := canonical(s)
		if err != nil {
			return false, wrapErr(err)
		}
		if indexOf(have, want) < 0 {
			return false, nil
		}
	}
	return true, nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// Append adds the rule at the end of the chain.
func (ipt *IPTables) Append(table, chain string, rulespec ...string) error {
	specs, err := ipt.parse(table, chain, rulespec)
	if err != nil {
		return err
	}
	tx := ipt.conn.Begin()
	ensureBuiltin(tx, ipt.fam, table, chain)
	for _, s := range specs {
		r, err := s.Rule()
		if err != nil {
			return wrapErr(err)
		}
		tx.AppendRule(r)
	}
	return ipt.diagnose(tx.Commit(), table, chain, specs)
}

// diagnose explains a refused write: a missing chain, or a jump to one, as
// iptables words them.
func (ipt *IPTables) diagnose(err error, table, chain string, specs []*Spec) error {
	if err == nil || !errors.Is(err, xtnl.ErrNotExist) {
		return wrapErr(err)
	}
	t, rerr := readTable(ipt.conn, ipt.fam, table)
	if rerr != nil {
		return wrapErr(err)
	}
	if t.chain(chain) == nil {
		return notFound(errNoChain)
	}
	for _, s := range specs {
		if s.Verdict != "" && !isStandardVerdict(s.Verdict) && t.chain(s.Verdict) == nil {
			return &Error{msg: "iptables v1.8.9 (nf_tables): Chain '" + s.Verdict + "' does not exist",
				exitStatus: exitParameterProblem, notExist: true, cause: err}
		}
	}
	return wrapErr(err)
}

func isStandardVerdict(v string) bool { return v == "ACCEPT" || v == "DROP" || v == "RETURN" }

// AppendUnique appends the rule unless the chain already holds it; the
// check and the append are one atomic step.
func (ipt *IPTables) AppendUnique(table, chain string, rulespec ...string) error {
	return ipt.unique(table, chain, 0, rulespec)
}

// InsertUnique inserts the rule at pos unless the chain already holds it,
// atomically.
func (ipt *IPTables) InsertUnique(table, chain string, pos int, rulespec ...string) error {
	return ipt.unique(table, chain, pos, rulespec)
}

// unique adds the specs not yet in the chain (pos 0: append).
func (ipt *IPTables) unique(table, chain string, pos int, rulespec []string) error {
	specs, err := ipt.parse(table, chain, rulespec)
	if err != nil {
		return err
	}
	var wants []string
	for _, s := range specs {
		w, err := canonical(s)
		if err != nil {
			return wrapErr(err)
		}
		wants = append(wants, w)
	}
	err = ipt.update(func(tx *xtnl.Tx) error {
		rules, ok, err := readChain(ipt.conn, ipt.fam, table, chain)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(errNoChain)
		}
		have := bodies(ipt.nsFd(), ipt.fam, rules)
		var missing []*Spec
		for i, s := range specs {
			if indexOf(have, wants[i]) < 0 {
				missing = append(missing, s)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		ensureBuiltin(tx, ipt.fam, table, chain)
		return addAt(tx, rules, pos, missing)
	})
	return ipt.diagnose(err, table, chain, specs)
}

// addAt adds specs at 1-based position pos of a chain holding rules (0:
// append), as -I / -A do.
func addAt(tx *xtnl.Tx, rules []*xtnl.Rule, pos int, specs []*Spec) error {
	switch {
	case pos < 0:
		return &Error{msg: "iptables v1.8.9 (nf_tables): Invalid rule number `" + strconv.Itoa(pos) + "'", exitStatus: exitParameterProblem}
	case pos > len(rules)+1:
		return &Error{msg: "iptables: Index of insertion too big.", exitStatus: exitOtherProblem}
	}
	for _, s := range specs {
		r, err := s.Rule()
		if err != nil {
			return err
		}
		switch {
		case pos == 0 || (pos == len(rules)+1 && pos > 1):
			tx.AppendRule(r)
		case pos == 1:
			tx.InsertRule(r)
		default:
			r.Position = rules[pos-1].Handle
			tx.InsertRule(r)
		}
	}
	return nil
}

// Insert inserts the rule at 1-based position pos.
func (ipt *IPTables) Insert(table, chain string, pos int, rulespec ...string) error {
	specs, err := ipt.parse(table, chain, rulespec)
	if err != nil {
		return err
	}
	if pos < 1 {
		return &Error{msg: "iptables v1.8.9 (nf_tables): Invalid rule number `" + strconv.Itoa(pos) + "'", exitStatus: exitParameterProblem}
	}
	err = ipt.update(func(tx *xtnl.Tx) error {
		rules, ok, err := readChain(ipt.conn, ipt.fam, table, chain)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(errNoChain)
		}
		ensureBuiltin(tx, ipt.fam, table, chain)
		return addAt(tx, rules, pos, specs)
	})
	return ipt.diagnose(err, table, chain, specs)
}

// Replace replaces the rule at 1-based position pos.
func (ipt *IPTables) Replace(table, chain string, pos int, rulespec ...string) error {
	specs, err := ipt.parse(table, chain, rulespec)
	if err != nil {
		return err
	}
	if len(specs) != 1 {
		return &Error{msg: "iptables v1.8.9 (nf_tables): -R requires a rule with one source and one destination address", exitStatus: exitParameterProblem}
	}
	if pos < 1 {
		return &Error{msg: "iptables v1.8.9 (nf_tables): Invalid rule number `" + strconv.Itoa(pos) + "'", exitStatus: exitParameterProblem}
	}
	err = ipt.update(func(tx *xtnl.Tx) error {
		rules, ok, err := readChain(ipt.conn, ipt.fam, table, chain)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(errNoChain)
		}
		if pos > len(rules) {
			return notFound("Index of replacement too big.")
		}
		r, err := specs[0].Rule()
		if err != nil {
			return err
		}
		r.Handle = rules[pos-1].Handle
		tx.ReplaceRule(r)
		return nil
	})
	return ipt.diagnose(err, table, chain, specs)
}

// Delete deletes the first rule matching rulespec (by meaning).
func (ipt *IPTables) Delete(table, chain string, rulespec ...string) error {
	specs, err := ipt.parse(table, chain, rulespec)
	if err != nil {
		return err
	}
	var wants []string
	for _, s := range specs {
		w, err := canonical(s)
		if err != nil {
			return wrapErr(err)
		}
		wants = append(wants, w)
	}
	return wrapErr(ipt.update(func(tx *xtnl.Tx) error {
		rules, ok, err := readChain(ipt.conn, ipt.fam, table, chain)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(errNoChain)
		}
		have := bodies(ipt.nsFd(), ipt.fam, rules)
		for _, w := range wants {
			i := indexOf(have, w)
			if i < 0 {
				return notFound(errBadRule)
			}
			tx.DelRule(rules[i])
			have[i] = "\x00deleted"
		}
		return nil
	}))
}

// DeleteIfExists deletes the rule if the chain holds it; a missing rule or
// chain is not an error.
func (ipt *IPTables) DeleteIfExists(table, chain string, rulespec ...string) error {
	err := ipt.Delete(table, chain, rulespec...)
	var e *Error
	if errors.As(err, &e) && e.IsNotExist() {
		return nil
	}
	return err
}

// DeleteById deletes the rule at 1-based position id.
func (ipt *IPTables) DeleteById(table, chain string, id int) error {
	if !isTable(table) {
		return notFound("Table does not exist (do you need to insmod?)")
	}
	if id < 1 {
		return &Error{msg: "iptables v1.8.9 (nf_tables): Invalid rule number `" + strconv.Itoa(id) + "'", exitStatus: exitParameterProblem}
	}
	return wrapErr(ipt.update(func(tx *xtnl.Tx) error {
		rules, ok, err := readChain(ipt.conn, ipt.fam, table, chain)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(errNoChain)
		}
		if id > len(rules) {
			return notFound("Index of deletion too big.")
		}
		tx.DelRule(rules[id-1])
		return nil
	}))
}
