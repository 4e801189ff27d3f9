package nftfake

import (
	"bytes"
	"encoding/binary"
	"slices"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// txn is one batch being applied (nfnetlink_rcv_batch with nf_tables'
// per-message callbacks): it works on a clone of the ruleset, so an
// aborted batch leaves nothing behind.
type txn struct {
	k  *Kernel
	st *ruleset
	// changes counts the transactions the batch queued (the kernel's
	// commit_list): a batch that queued none commits nothing and leaves
	// the generation alone.
	changes int
	echoes  []echoMsg
}

// echoMsg is a rule to send back after the commit (NLM_F_ECHO): a new
// rule, or (typ NFT_MSG_DELRULE) the one a replace took out.
type echoMsg struct {
	typ   uint16
	seq   uint32
	flags uint16
	t     *table
	ch    *chain
	r     *rule
}

// refusal is a refused message: the errno and the attribute the kernel
// points at in the extended ACK (0: none), or its offset in the message
// when it is nested (off).
type refusal struct {
	errno unix.Errno
	attr  uint16
	off   int
}

func fail(errno unix.Errno, attr uint16) *refusal { return &refusal{errno: errno, attr: attr} }

// batchHandler applies one batch message to tx.st.
type batchHandler func(tx *txn, m *request) *refusal

// batchHandlers maps the nf_tables batch messages the fake implements
// to their handler. Others (objects, flowtables) are
// refused with EOPNOTSUPP until added here.
var batchHandlers = map[uint16]batchHandler{
	unix.NFT_MSG_NEWTABLE: (*txn).newTable,
	unix.NFT_MSG_DELTABLE: (*txn).delTable,
	unix.NFT_MSG_NEWCHAIN: (*txn).newChain,
	unix.NFT_MSG_DELCHAIN: (*txn).delChain,
	unix.NFT_MSG_NEWRULE:  (*txn).newRule,
	unix.NFT_MSG_DELRULE:  (*txn).delRule,
	// Sets and elements: set.go.
	unix.NFT_MSG_NEWSET:     (*txn).newSet,
	unix.NFT_MSG_DELSET:     (*txn).delSet,
	unix.NFT_MSG_NEWSETELEM: (*txn).newSetElem,
	unix.NFT_MSG_DELSETELEM: (*txn).delSetElem,
}

// notBatch are the nf_tables messages that are not batch callbacks:
// inside a batch the kernel refuses them with EINVAL.
var notBatch = []uint16{
	unix.NFT_MSG_GETTABLE, unix.NFT_MSG_GETCHAIN, unix.NFT_MSG_GETRULE, unix.NFT_MSG_GETRULE_RESET,
	unix.NFT_MSG_GETSET, unix.NFT_MSG_GETSETELEM, unix.NFT_MSG_GETGEN, unix.NFT_MSG_GETOBJ,
	unix.NFT_MSG_GETOBJ_RESET, unix.NFT_MSG_GETFLOWTABLE,
}

const notifySize = 3776 // NLMSG_GOODSIZE: echoes are packed up to it

// batch runs one batch and returns the datagrams the kernel queues: on
// success the echoes then the batch-end ACK; on failure one error per
// refused message, nothing else.
func (k *Kernel) batch(port uint32, msgs [][]byte) [][]byte {
	begin, err := parseRequest(msgs[0])
	if err != nil {
		return [][]byte{k.errorMsg(port, begin, unix.EINVAL, 0)}
	}
	if res := binary.BigEndian.Uint16(msgs[0][nfnl.HeaderLen+2:]); res != 0 && res != nfnl.SubsysNFTables {
		return [][]byte{k.errorMsg(port, begin, unix.EINVAL, 0)}
	}
	if gen, ok := begin.u32(nfnl.BatchGenID); ok && gen != 0 && gen != k.genID {
		return [][]byte{k.errorMsg(port, begin, unix.ERESTART, 0)}
	}
	tx := &txn{k: k, st: k.st.clone()}
	var answers [][]byte
	var end *request
	failed := false
	for _, raw := range msgs[1:] {
		m, err := parseRequest(raw)
		var e *refusal
		switch {
		case err != nil || m.flags&unix.NLM_F_REQUEST == 0:
			e = fail(unix.EINVAL, 0)
		case m.typ == nfnl.MsgBatchBegin:
			// Two begins: the kernel drops the whole batch silently.
			return nil
		case m.typ == nfnl.MsgBatchEnd:
			end = m
		case m.typ < unix.NLMSG_MIN_TYPE || m.typ>>8 != nfnl.SubsysNFTables:
			e = fail(unix.EINVAL, 0)
		default:
			if h := batchHandlers[m.typ&0xff]; h != nil {
				e = h(tx, m)
			} else if slices.Contains(notBatch, m.typ&0xff) {
				e = fail(unix.EINVAL, 0)
			} else {
				e = fail(unix.EOPNOTSUPP, 0)
			}
		}
		if end != nil {
			break
		}
		if e != nil {
			failed = true
			answers = append(answers, k.errorMsgAt(port, m, e.errno, e.attr, e.off))
		} else if m.flags&unix.NLM_F_ACK != 0 {
			answers = append(answers, k.errorMsg(port, m, 0, 0))
		}
	}
	if failed || end == nil {
		return answers // aborted: the clone is dropped
	}
	var out [][]byte
	if tx.changes > 0 {
		tx.commitRenames()
		k.st = tx.st
		if k.genID++; k.genID == 0 {
			k.genID = 1
		}
		out = tx.echoMsgs(port)
		// nf_tables_gen_notify: the new generation goes to the sender
		// too when the batch's first message asked for echoes.
		if first := msgs[1]; binary.NativeEndian.Uint16(first[6:])&unix.NLM_F_ECHO != 0 {
			out = append(out, k.genMsg(port, binary.NativeEndian.Uint32(first[8:])))
		}
	}
	out = append(out, answers...)
	if end.flags&unix.NLM_F_ACK != 0 {
		out = append(out, k.errorMsg(port, end, 0, 0))
	}
	return out
}

// echoMsgs renders the echoed rules as they stand after the commit, packed
// into datagrams as nft_commit_notify packs notifications.
func (tx *txn) echoMsgs(port uint32) [][]byte {
	var out [][]byte
	var e nfnl.Encoder
	for _, ec := range tx.echoes {
		var pos uint64
		if ec.typ == unix.NFT_MSG_NEWRULE {
			i := slices.Index(ec.ch.rules, ec.r)
			if i < 0 {
				continue // deleted again later in the batch
			}
			// The kernel names the previous rule only for a rule that is
			// neither first nor last.
			if i > 0 && i < len(ec.ch.rules)-1 {
				pos = ec.ch.rules[i-1].handle
			}
		}
		var one nfnl.Encoder
		tx.k.ruleMsg(&one, port, ec.seq, nfnl.Type(ec.typ), ec.flags, ec.t, ec.ch, ec.r, pos)
		if len(e.B) > 0 && len(e.B)+len(one.B) > notifySize {
			out = append(out, e.B)
			e = nfnl.Encoder{}
		}
		e.B = append(e.B, one.B...)
	}
	if len(e.B) > 0 {
		out = append(out, e.B)
	}
	return out
}

// commitRenames applies the renames the batch queued. Rules keep pointing
// at a renamed chain (the kernel holds the chain, not its name), so their
// verdicts now name it by its new name.
func (tx *txn) commitRenames() {
	for _, t := range tx.st.tables {
		for _, ch := range t.chains {
			if ch.rename == "" {
				continue
			}
			old, nw := ch.name, ch.rename
			ch.name, ch.rename = nw, ""
			for _, c2 := range t.chains {
				for i, r := range c2.rules {
					if slices.Contains(r.jumps, old) {
						c2.rules[i] = r.renameJump(t.fam, old, nw)
					}
				}
			}
		}
	}
}

// renameJump returns r with its jumps and gotos to old aimed at nw.
func (r *rule) renameJump(fam byte, old, nw string) *rule {
	var out []byte
	d := nlattr.NewDecoder(r.exprs)
	for d.Next() {
		elem := d.Attr()[:4+len(d.Bytes())]
		if elemName(d.Bytes()) == "immediate" {
			if list, err := expr.UnmarshalList(fam, elem); err == nil && len(list) == 1 {
				if v, ok := list[0].(*nftexpr.Verdict); ok && v.Chain == old {
					nv := *v
					nv.Chain = nw
					if data, err := expr.Marshal(fam, &nv); err == nil {
						out = nlattr.AppendBytes(out, unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, data)
						continue
					}
				}
			}
		}
		out = nlattr.AppendBytes(out, d.RawType(), d.Bytes())
	}
	nr := *r
	nr.exprs = out
	nr.jumps = slices.Clone(r.jumps)
	for i, j := range nr.jumps {
		if j == old {
			nr.jumps[i] = nw
		}
	}
	return &nr
}

// table finds the table a message names (NFTA_*_TABLE, or NAME for table
// messages), failing as nft_table_lookup does.
func (tx *txn) table(m *request, attr uint16) (*table, *refusal) {
	if !m.has(attr) {
		return nil, fail(unix.EINVAL, 0)
	}
	t := tx.st.table(m.fam, m.str(attr))
	if t == nil {
		return nil, fail(unix.ENOENT, attr)
	}
	return t, nil
}

const (
	nftTableFMask   = 0x7 // DORMANT | OWNER | PERSIST
	nftTableFOwner  = 0x2
	nftTableFPersis = 0x4
	nftChainFBase   = 0x1
	nftChainFHWOff  = 0x2
	nftChainFBind   = 0x4
	nftChainFMask   = 0x7
	nftUserdataMax  = 256
)

func (tx *txn) newTable(m *request) *refusal {
	if !m.has(unix.NFTA_TABLE_NAME) {
		return fail(unix.EINVAL, 0)
	}
	name := m.str(unix.NFTA_TABLE_NAME)
	flags, hasFlags := m.u32(unix.NFTA_TABLE_FLAGS)
	if hasFlags && flags&^nftTableFMask != 0 {
		return fail(unix.EOPNOTSUPP, 0)
	}
	if hasFlags && flags&(nftTableFOwner|nftTableFPersis) != 0 {
		// Table ownership (tied to a socket's life) is not modelled.
		return fail(unix.EOPNOTSUPP, unix.NFTA_TABLE_FLAGS)
	}
	if t := tx.st.table(m.fam, name); t != nil {
		switch {
		case m.flags&unix.NLM_F_EXCL != 0:
			return fail(unix.EEXIST, unix.NFTA_TABLE_NAME)
		case m.flags&unix.NLM_F_REPLACE != 0:
			return fail(unix.EOPNOTSUPP, 0)
		case !hasFlags || flags == t.flags:
			return nil // nothing to update: no transaction
		}
		t.flags = flags
		tx.changes++
		return nil
	}
	tx.k.tableHandle++
	tx.st.tables = append(tx.st.tables, &table{fam: m.fam, name: name, flags: flags, handle: tx.k.tableHandle, hgen: new(uint64)})
	tx.changes++
	return nil
}

func (tx *txn) delTable(m *request) *refusal {
	var idx = -1
	switch {
	case m.has(unix.NFTA_TABLE_NAME):
		idx = slices.IndexFunc(tx.st.tables, func(t *table) bool {
			return t.fam == m.fam && t.name == m.str(unix.NFTA_TABLE_NAME)
		})
		if idx < 0 {
			return fail(unix.ENOENT, unix.NFTA_TABLE_NAME)
		}
	case m.has(nfnl.NFTA_TABLE_HANDLE):
		h, _ := m.u64(nfnl.NFTA_TABLE_HANDLE)
		idx = slices.IndexFunc(tx.st.tables, func(t *table) bool { return t.fam == m.fam && t.handle == h })
		if idx < 0 {
			return fail(unix.ENOENT, nfnl.NFTA_TABLE_HANDLE)
		}
	default:
		// No name: flush the ruleset (of the family, if one is given).
		n := len(tx.st.tables)
		tx.st.tables = slices.DeleteFunc(tx.st.tables, func(t *table) bool {
			return m.fam == unix.AF_UNSPEC || t.fam == m.fam
		})
		tx.changes += n - len(tx.st.tables)
		return nil
	}
	if m.flags&nfnl.NLM_F_NONREC != 0 && tx.st.tables[idx].use() > 0 {
		return fail(unix.EBUSY, 0)
	}
	tx.st.tables = slices.Delete(tx.st.tables, idx, idx+1)
	tx.changes++
	return nil
}

// dropRule takes the rule at i out of ch, releasing its references.
func (tx *txn) dropRule(t *table, ch *chain, i int) {
	for _, j := range ch.rules[i].jumps {
		if c2 := t.chain(j); c2 != nil {
			c2.refs--
		}
	}
	ch.rules = slices.Delete(ch.rules, i, i+1)
	tx.changes++
}

func (tx *txn) newRule(m *request) *refusal {
	t, e := tx.table(m, unix.NFTA_RULE_TABLE)
	if e != nil {
		return e
	}
	if !m.has(unix.NFTA_RULE_CHAIN) {
		return fail(unix.EINVAL, 0)
	}
	ch := t.chain(m.str(unix.NFTA_RULE_CHAIN))
	if ch == nil {
		return fail(unix.ENOENT, unix.NFTA_RULE_CHAIN)
	}
	var handle uint64
	at, replace := -1, false
	if m.has(unix.NFTA_RULE_HANDLE) {
		handle, _ = m.u64(unix.NFTA_RULE_HANDLE)
		at = ch.ruleIndex(handle)
		switch {
		case at < 0:
			return fail(unix.ENOENT, unix.NFTA_RULE_HANDLE)
		case m.flags&unix.NLM_F_EXCL != 0:
			return fail(unix.EEXIST, unix.NFTA_RULE_HANDLE)
		case m.flags&unix.NLM_F_REPLACE == 0:
			return fail(unix.EOPNOTSUPP, 0)
		}
		replace = true
	} else {
		if m.flags&unix.NLM_F_CREATE == 0 || m.flags&unix.NLM_F_REPLACE != 0 {
			return fail(unix.EINVAL, 0)
		}
		// Allocated before anything else is checked: a refused rule
		// still uses up a handle, as in the kernel.
		*t.hgen++
		handle = *t.hgen
		if m.has(unix.NFTA_RULE_POSITION) {
			pos, _ := m.u64(unix.NFTA_RULE_POSITION)
			if at = ch.ruleIndex(pos); at < 0 {
				return fail(unix.ENOENT, unix.NFTA_RULE_POSITION)
			}
		}
	}
	exprs := bytes.Clone(m.attrs[unix.NFTA_RULE_EXPRESSIONS].data)
	jumps, e := checkExprs(t, m.fam, exprs)
	if e == nil {
		exprs, e = bindSets(t, exprs) // lookups and dynsets: set.go
	}
	if e != nil {
		if e.off >= 0 && m.has(unix.NFTA_RULE_EXPRESSIONS) {
			// The kernel points at the offending list element.
			e.off += m.attrs[unix.NFTA_RULE_EXPRESSIONS].off + 4
		} else {
			e.off = 0
		}
		return e
	}
	udata := m.attrs[unix.NFTA_RULE_USERDATA].data
	if len(udata) > nftUserdataMax {
		return fail(unix.ERANGE, unix.NFTA_RULE_USERDATA)
	}
	r := &rule{handle: handle, exprs: exprs, udata: bytes.Clone(udata), jumps: jumps}
	for _, j := range jumps {
		t.chain(j).refs++
	}
	var flags uint16 // of the echoes
	if m.flags&(unix.NLM_F_APPEND|unix.NLM_F_REPLACE) != 0 {
		flags |= unix.NLM_F_APPEND
	}
	flags |= m.flags & (unix.NLM_F_CREATE | unix.NLM_F_EXCL)
	echo := m.flags&unix.NLM_F_ECHO != 0
	switch {
	case replace:
		if echo {
			tx.echoes = append(tx.echoes, echoMsg{typ: unix.NFT_MSG_DELRULE, seq: m.seq, flags: flags, t: t, ch: ch, r: ch.rules[at]})
		}
		tx.dropRule(t, ch, at)
		ch.rules = slices.Insert(ch.rules, at, r)
	case m.flags&unix.NLM_F_APPEND != 0 && at >= 0:
		ch.rules = slices.Insert(ch.rules, at+1, r)
	case m.flags&unix.NLM_F_APPEND != 0:
		ch.rules = append(ch.rules, r)
	case at >= 0:
		ch.rules = slices.Insert(ch.rules, at, r)
	default:
		ch.rules = slices.Insert(ch.rules, 0, r)
	}
	tx.changes++
	if echo {
		tx.echoes = append(tx.echoes, echoMsg{typ: unix.NFT_MSG_NEWRULE, seq: m.seq, flags: flags, t: t, ch: ch, r: r})
	}
	return nil
}

// exprNames are the expressions the kernel knows. The fake checks what
// it can decode; a known expression it cannot decode is taken as is, an
// unknown one refused as the kernel refuses it (no such module).
var exprNames = []string{
	"bitwise", "byteorder", "cmp", "connlimit", "counter", "ct", "dup", "dynset", "exthdr", "fib",
	"flow_offload", "fwd", "hash", "immediate", "inner", "last", "limit", "log", "lookup", "masq",
	"match", "meta", "nat", "notrack", "numgen", "objref", "osf", "payload", "queue", "quota", "range",
	"redir", "reject", "rt", "socket", "synproxy", "target", "tproxy", "tunnel", "xfrm",
}

// checkExprs validates a rule's expressions as far as the fake can and
// returns the chains its verdicts jump or go to.
func checkExprs(t *table, fam byte, exprs []byte) ([]string, *refusal) {
	list, err := expr.UnmarshalList(fam, exprs)
	if err != nil {
		return nil, &refusal{errno: unix.EINVAL, off: -1}
	}
	// at is the offset of element i in exprs: the kernel's extended ACK
	// points at the element it refused.
	at := func(i int) int {
		d := nlattr.NewDecoder(exprs)
		for j := 0; j <= i && d.Next(); j++ {
		}
		return d.Offset()
	}
	var jumps []string
	for i, e := range list {
		switch v := e.(type) {
		case *expr.Raw:
			if !slices.Contains(exprNames, v.Name) {
				return nil, &refusal{errno: unix.ENOENT, off: at(i)}
			}
		case *nftexpr.Verdict:
			if v.Kind != nftexpr.VerdictJump && v.Kind != nftexpr.VerdictGoto {
				continue
			}
			target := t.chain(v.Chain)
			switch {
			case target == nil:
				return nil, &refusal{errno: unix.ENOENT, off: at(i)}
			case target.base != nil:
				return nil, &refusal{errno: unix.EOPNOTSUPP, off: at(i)}
			}
			jumps = append(jumps, v.Chain)
		}
	}
	return jumps, nil
}

func (tx *txn) delRule(m *request) *refusal {
	t, e := tx.table(m, unix.NFTA_RULE_TABLE)
	if e != nil {
		return e
	}
	chains := t.chains
	if m.has(unix.NFTA_RULE_CHAIN) {
		ch := t.chain(m.str(unix.NFTA_RULE_CHAIN))
		if ch == nil {
			return fail(unix.ENOENT, unix.NFTA_RULE_CHAIN)
		}
		if m.has(unix.NFTA_RULE_HANDLE) {
			h, _ := m.u64(unix.NFTA_RULE_HANDLE)
			i := ch.ruleIndex(h)
			if i < 0 {
				return fail(unix.ENOENT, unix.NFTA_RULE_HANDLE)
			}
			tx.dropRule(t, ch, i)
			return nil
		}
		chains = []*chain{ch}
	}
	// Without a chain, or without a handle: flush.
	for _, ch := range chains {
		for len(ch.rules) > 0 {
			tx.dropRule(t, ch, len(ch.rules)-1)
		}
	}
	return nil
}
