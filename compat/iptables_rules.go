package compat

import (
	"errors"
	"strconv"
	"strings"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// maxAttempts bounds the retries of a read-decide-commit cycle that keeps
// losing to concurrent writers (with a growing random backoff between
// attempts, up to 6.4 ms).
const maxAttempts = 64

// parse parses a rulespec for table and chain into b's memory.
func (ipt *IPTables) parse(b *builder, table, chain string, rulespec []string) ([]*Spec, error) {
	if err := checkTableChain(table, chain); err != nil {
		return nil, err
	}
	specs, err := b.parse(ipt.nsFd(), ipt.fam, table, chain, rulespec)
	return specs, wrapErr(err)
}

// parseWrite parses rulespec for a write into a builder the caller gives
// back with putBuilder; op names the write as the kernel's refusal of it
// would (RULE_APPEND, RULE_INSERT, RULE_REPLACE).
func (ipt *IPTables) parseWrite(op, table, chain string, rulespec []string) (*builder, []*Spec, error) {
	b := getBuilder()
	specs, err := ipt.parse(b, table, chain, rulespec)
	if err != nil {
		putBuilder(b)
		return nil, nil, refusedByKernel(op, chain, err)
	}
	return b, specs, nil
}

// errRuleNumber is iptables' answer for a rule number below 1.
func errRuleNumber(n int) error {
	return &Error{msg: "iptables v1.8.9 (nf_tables): Invalid rule number `" + strconv.Itoa(n) + "'", exitStatus: exitParameterProblem}
}

// checkTableChain refuses a table or chain name before any parsing, as
// iptables does.
func checkTableChain(table, chain string) error {
	if !isTable(table) {
		return errNoTable()
	}
	if chain == "" {
		return &Error{msg: "iptables: empty chain name", exitStatus: exitParameterProblem}
	}
	if len(chain) > maxChainName {
		return &Error{msg: "iptables v1.8.9 (nf_tables): chain name `" + chain + "' too long (must be under 29 chars)", exitStatus: exitParameterProblem,
			cause: &SpecError{Token: chain, Msg: "chain name too long"}}
	}
	if strings.ContainsRune(chain, 0) {
		return &Error{msg: "iptables v1.8.9 (nf_tables): chain name " + strconv.Quote(chain) + " contains a NUL byte", exitStatus: exitParameterProblem,
			cause: &SpecError{Token: strconv.Quote(chain), Msg: "NUL byte in chain name"}}
	}
	return nil
}

// update runs a read-decide-commit cycle conditional on the generation.
// Cycles of one process on one connection take turns, so they never make
// each other retry; only other processes' commits (and plain appends) can.
func (ipt *IPTables) update(fn func(tx *xtnl.Tx) error) error {
	mu := &ipt.state().update
	mu.Lock()
	defer mu.Unlock()
	return ipt.conn.Update(maxAttempts, fn)
}

// updateChain is update for a write into a chain: it goes alone, and only
// if the kernel lacks a built-in chain (or its table) does it go again with
// them made first (see Append).
func (ipt *IPTables) updateChain(table, chain string, fn func(tx *xtnl.Tx) error) error {
	err := ipt.update(fn)
	if !errors.Is(err, xtnl.ErrNotExist) || !IsBuiltinChain(table, chain) {
		return err
	}
	return ipt.update(func(tx *xtnl.Tx) error {
		ensureBuiltin(tx, ipt.fam, table, chain)
		return fn(tx)
	})
}

// Exists reports whether the rule is in the chain, compared by meaning.
func (ipt *IPTables) Exists(table, chain string, rulespec ...string) (bool, error) {
	ipt, held, err := ipt.bind()
	if err != nil {
		return false, err
	}
	defer ipt.release(held)
	wants, err := ipt.canonicals(table, chain, rulespec)
	if isKernelRefusal(err) {
		return false, nil // no such rule can be in the kernel
	}
	if err != nil {
		return false, err
	}
	if ipt.ownAppends(table, chain, wants) {
		return true, nil
	}
	snap, err := ipt.chain(table, chain)
	if err != nil {
		return false, wrapErr(err)
	}
	if !snap.exists {
		return false, nil
	}
	for _, w := range wants {
		if !snap.has(w) {
			return false, nil
		}
	}
	return true, nil
}

// Append adds the rule at the end of the chain. The rule is parsed and
// encoded on the calling goroutine, then committed; concurrent appends on
// one connection share their commits (xtnl's group commit).
func (ipt *IPTables) Append(table, chain string, rulespec ...string) error {
	ipt, held, err := ipt.bind()
	if err != nil {
		return err
	}
	defer ipt.release(held)
	b, specs, err := ipt.parseWrite("RULE_APPEND", table, chain, rulespec)
	if err != nil {
		return err
	}
	defer putBuilder(b)
	// The chain is written only when it must be: the append goes alone,
	// and only if the kernel lacks its chain (or table) does it go again
	// with the built-in chain made first, as iptables-nft makes it on
	// first use. Re-sending an existing base chain is no-op work for the
	// kernel but an "add chain" event for every watcher.
	err = ipt.commitAt(b, table, chain, specs, false)
	if errors.Is(err, xtnl.ErrNotExist) && IsBuiltinChain(table, chain) {
		err = ipt.commitAt(b, table, chain, specs, true)
	}
	return ipt.diagnose(err, table, chain, specs)
}

// commitAt commits the append of specs, encoded by b, after the table and
// built-in chain if ensure is set.
func (ipt *IPTables) commitAt(b *builder, table, chain string, specs []*Spec, ensure bool) error {
	tx := ipt.conn.Begin()
	// The kernel's echo tells the new rules' handles, so an Exists of
	// them can ask for them alone (own_appends.go).
	if ipt.echoAppends(table, chain) {
		tx.ReturnHandles()
	}
	if ensure {
		ensureBuiltin(tx, ipt.fam, table, chain)
	}
	rules := make([]*xtnl.RawRule, len(specs))
	for i, s := range specs {
		r, err := b.encode(s)
		if err != nil {
			return wrapErr(err)
		}
		tx.AppendRawRule(r)
		rules[i] = r
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	ipt.state().noteAppended(ipt.fam, table, chain, rules)
	return nil
}

// diagnose explains a refused write: a missing chain, or a jump to one, as
// iptables words them; any other refusal (an object the kernel does not
// find, such as a rate estimator a rateest match names) as iptables-nft
// relays the kernel's (ruleRefused).
func (ipt *IPTables) diagnose(err error, table, chain string, specs []*Spec) error {
	if err == nil || !errors.Is(err, xtnl.ErrNotExist) {
		return ruleRefused(err, chain)
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
	return ruleRefused(err, chain)
}

// ruleRefused words the kernel's refusal of a rule as iptables-nft does,
// once the chain is known to be there: " RULE_APPEND failed (Invalid
// argument): rule in chain INPUT", exit status 4 (an extension the
// kernel lacks or refuses: ENOENT, EINVAL, ERANGE ...). Anything else
// keeps wrapErr's words.
func ruleRefused(err error, chain string) error {
	var op *xtnl.OpError
	if !errors.As(err, &op) || op.Errno == 0 || op.Errno == unix.EPERM || op.Errno == unix.EACCES {
		return wrapErr(err)
	}
	var what string
	switch op.Op {
	case "append rule":
		what = "RULE_APPEND"
	case "insert rule":
		what = "RULE_INSERT"
	case "replace rule":
		what = "RULE_REPLACE"
	default:
		return wrapErr(err)
	}
	text := op.Errno.Error()
	if text != "" {
		text = strings.ToUpper(text[:1]) + text[1:]
	}
	return &Error{msg: "iptables v1.8.9 (nf_tables):  " + what + " failed (" + text + "): rule in chain " + chain,
		exitStatus: exitResourceProblem, cause: err}
}

// refusedByKernel words a rulespec that compat knows the kernel refuses
// (SpecError.Kernel: rateest with no rate to compare) as iptables-nft
// relays the kernel's EINVAL for the operation op (RULE_APPEND,
// RULE_INSERT, RULE_REPLACE); other errors are returned as they are.
func refusedByKernel(op, chain string, err error) error {
	if isKernelRefusal(err) {
		return &Error{msg: "iptables v1.8.9 (nf_tables):  " + op + " failed (Invalid argument): rule in chain " + chain,
			exitStatus: exitResourceProblem, cause: err}
	}
	return err
}

// isKernelRefusal tells a rulespec the kernel would refuse.
func isKernelRefusal(err error) bool {
	var se *SpecError
	return errors.As(err, &se) && se.Kernel
}

func isStandardVerdict(v string) bool { return v == "ACCEPT" || v == "DROP" || v == "RETURN" }

// AppendUnique appends the rule unless the chain already holds it; the
// check and the append are one atomic step.
func (ipt *IPTables) AppendUnique(table, chain string, rulespec ...string) error {
	ipt, held, err := ipt.bind()
	if err != nil {
		return err
	}
	defer ipt.release(held)
	return ipt.unique(table, chain, 0, rulespec)
}

// InsertUnique inserts the rule at pos unless the chain already holds it,
// atomically.
func (ipt *IPTables) InsertUnique(table, chain string, pos int, rulespec ...string) error {
	ipt, held, err := ipt.bind()
	if err != nil {
		return err
	}
	defer ipt.release(held)
	return ipt.unique(table, chain, pos, rulespec)
}

// unique adds the specs not yet in the chain (pos 0: append).
func (ipt *IPTables) unique(table, chain string, pos int, rulespec []string) error {
	op := "RULE_INSERT"
	if pos == 0 {
		op = "RULE_APPEND"
	}
	b, specs, err := ipt.parseWrite(op, table, chain, rulespec)
	if err != nil {
		return err
	}
	defer putBuilder(b)
	wants, err := ipt.canonicalsOf(b, specs, table, chain, rulespec)
	if err != nil {
		return err
	}
	err = ipt.updateChain(table, chain, func(tx *xtnl.Tx) error {
		snap, err := ipt.existingChain(table, chain)
		if err != nil {
			return err
		}
		var missing []*Spec
		for i, s := range specs {
			if !snap.has(wants[i]) {
				missing = append(missing, s)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		return addAt(tx, b, snap.handles(), pos, missing)
	})
	return ipt.diagnose(err, table, chain, specs)
}

// addAt adds specs, encoded by b, at 1-based position pos of a chain
// whose rules have the given handles (0: append), as -I / -A do.
func addAt(tx *xtnl.Tx, b *builder, handles []uint64, pos int, specs []*Spec) error {
	switch {
	case pos < 0:
		return errRuleNumber(pos)
	case pos > len(handles)+1:
		return &Error{msg: "iptables: Index of insertion too big.", exitStatus: exitOtherProblem}
	}
	for _, s := range specs {
		r, err := b.encode(s)
		if err != nil {
			return wrapErr(err)
		}
		switch {
		case pos == 0 || (pos == len(handles)+1 && pos > 1):
			tx.AppendRawRule(r)
		case pos == 1:
			tx.InsertRawRule(r)
		default:
			r.Position = handles[pos-1]
			tx.InsertRawRule(r)
		}
	}
	return nil
}

// Insert inserts the rule at 1-based position pos.
func (ipt *IPTables) Insert(table, chain string, pos int, rulespec ...string) error {
	ipt, held, err := ipt.bind()
	if err != nil {
		return err
	}
	defer ipt.release(held)
	b, specs, err := ipt.parseWrite("RULE_INSERT", table, chain, rulespec)
	if err != nil {
		return err
	}
	defer putBuilder(b)
	if pos < 1 {
		return errRuleNumber(pos)
	}
	err = ipt.updateChain(table, chain, func(tx *xtnl.Tx) error {
		snap, err := ipt.existingChain(table, chain)
		if err != nil {
			return err
		}
		return addAt(tx, b, snap.handles(), pos, specs)
	})
	return ipt.diagnose(err, table, chain, specs)
}

// Replace replaces the rule at 1-based position pos.
func (ipt *IPTables) Replace(table, chain string, pos int, rulespec ...string) error {
	ipt, held, err := ipt.bind()
	if err != nil {
		return err
	}
	defer ipt.release(held)
	b, specs, err := ipt.parseWrite("RULE_REPLACE", table, chain, rulespec)
	if err != nil {
		return err
	}
	defer putBuilder(b)
	if len(specs) != 1 {
		return &Error{msg: "iptables v1.8.9 (nf_tables): -R requires a rule with one source and one destination address", exitStatus: exitParameterProblem}
	}
	if pos < 1 {
		return errRuleNumber(pos)
	}
	err = ipt.update(func(tx *xtnl.Tx) error {
		snap, err := ipt.existingChain(table, chain)
		if err != nil {
			return err
		}
		if pos > len(snap.rules) {
			return notFound("Index of replacement too big.")
		}
		r, err := b.encode(specs[0])
		if err != nil {
			return err
		}
		r.Handle = snap.rules[pos-1].Handle
		tx.ReplaceRawRule(r)
		return nil
	})
	return ipt.diagnose(err, table, chain, specs)
}

// Delete deletes the first rule matching rulespec (by meaning).
func (ipt *IPTables) Delete(table, chain string, rulespec ...string) error {
	ipt, held, err := ipt.bind()
	if err != nil {
		return err
	}
	defer ipt.release(held)
	wants, err := ipt.canonicals(table, chain, rulespec)
	if isKernelRefusal(err) {
		return notFound(errBadRule) // no such rule can be in the kernel
	}
	if err != nil {
		return err
	}
	return wrapErr(ipt.update(func(tx *xtnl.Tx) error {
		snap, err := ipt.existingChain(table, chain)
		if err != nil {
			return err
		}
		taken := map[int32]bool{}
		for _, w := range wants {
			i := int32(-1)
			for _, p := range snap.positions(w.body) {
				if !taken[p] {
					i = p
					break
				}
			}
			if i < 0 {
				return notFound(errBadRule)
			}
			taken[i] = true
			tx.DelRule(ipt.ruleRef(table, chain, snap.rules[i].Handle))
		}
		return nil
	}))
}

// ruleRef names a rule by handle for deletion.
func (ipt *IPTables) ruleRef(table, chain string, handle uint64) *xtnl.Rule {
	return &xtnl.Rule{Family: ipt.fam.xtnlFamily(), Table: table, Chain: chain, Handle: handle}
}

// DeleteIfExists deletes the rule if the chain holds it; a missing rule or
// chain is not an error.
func (ipt *IPTables) DeleteIfExists(table, chain string, rulespec ...string) error {
	ipt, held, err := ipt.bind()
	if err != nil {
		return err
	}
	defer ipt.release(held)
	err = ipt.Delete(table, chain, rulespec...)
	var e *Error
	if errors.As(err, &e) && e.IsNotExist() {
		return nil
	}
	return err
}

// DeleteById deletes the rule at 1-based position id.
func (ipt *IPTables) DeleteById(table, chain string, id int) error {
	ipt, held, err := ipt.bindTable(table)
	if err != nil {
		return err
	}
	defer ipt.release(held)
	if id < 1 {
		return errRuleNumber(id)
	}
	return wrapErr(ipt.update(func(tx *xtnl.Tx) error {
		snap, err := ipt.existingChain(table, chain)
		if err != nil {
			return err
		}
		if id > len(snap.rules) {
			// A dump of a chain that is not there is empty, not refused.
			if _, err := ipt.conn.GetChain(ipt.fam.xtnlFamily(), table, chain); errors.Is(err, xtnl.ErrNotExist) && !IsBuiltinChain(table, chain) {
				return notFound(errNoChain)
			}
			return notFound("Index of deletion too big.")
		}
		tx.DelRule(ipt.ruleRef(table, chain, snap.rules[id-1].Handle))
		return nil
	}))
}

// existingChain is chain for operations that need the chain to exist.
func (ipt *IPTables) existingChain(table, chain string) (*chainSnap, error) {
	snap, err := ipt.chain(table, chain)
	if err != nil {
		return nil, err
	}
	if !snap.exists {
		return nil, notFound(errNoChain)
	}
	return snap, nil
}
