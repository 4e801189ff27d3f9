package nftfake

import (
	"bytes"
	"slices"
	"time"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// Sets, maps and their elements in the fake kernel (nf_tables_newset,
// nf_tables_delset, nf_tables_newsetelem, nf_tables_delsetelem and the two
// dumps). Elements are kept as the kernel keeps them: keys, values, flags
// and timeouts as given, one stored element per list element received
// (an interval's end is an element of its own, as in the rbtree backend).

// set is a named set or map.
type set struct {
	name   string
	handle uint64
	// id is NFTA_SET_ID; fresh marks a set created by the running batch,
	// the only one where the kernel resolves a set by id. clone clears
	// it, so a set is fresh only in the batch that made it.
	id    uint32
	fresh bool

	flags        uint32
	ktype, klen  uint32
	dtype, dlen  uint32
	timeout      uint64 // default element timeout, ms
	gcInt        uint32
	policy       uint32
	hasPolicy    bool
	size         uint32
	fields       []uint32 // NFTA_SET_DESC_CONCAT field lengths
	udata        []byte
	elems        []*setElem // never modified once stored, only replaced
	hasUdata     bool
	verdictChain bool // elements may hold jumps (verdict map)
}

// setElem is one set element.
type setElem struct {
	key, keyEnd []byte
	flags       uint32
	data        []byte // value of a data map
	verdict     *verdict
	timeout     uint64    // ms; 0: the element does not expire
	expires     time.Time // when timeout > 0
	udata       []byte
}

type verdict struct {
	code  uint32
	chain string
}

// NFT_DATA_VERDICT data length: sizeof(struct nft_verdict) on 64-bit.
const verdictLen = 16

// Set attributes not exported by x/sys/unix.
const (
	nftaSetDescConcatAttr = 2 // NFTA_SET_DESC_CONCAT
	nftSetFlagsAll        = 0x1ff
	nftSetAnonymous       = 0x1
	nftSetObject          = 0x40
	nftDataValueMaxLen    = 64
)

func (s *set) clone() *set {
	n := *s
	n.fresh = false
	n.elems = slices.Clone(s.elems)
	return &n
}

func (t *table) set(name string) *set {
	for _, s := range t.sets {
		if s.name == name {
			return s
		}
	}
	return nil
}

// lookupSet is nft_set_lookup_global: by name, else by the id of a set
// made earlier in the same batch.
func (t *table) lookupSet(name string, id uint32, hasID bool) *set {
	if s := t.set(name); s != nil && name != "" {
		return s
	}
	if hasID {
		for _, s := range t.sets {
			if s.fresh && s.id == id {
				return s
			}
		}
	}
	return nil
}

// expired reports whether el has timed out: the kernel no longer shows it.
func (el *setElem) expired(now time.Time) bool {
	return el.timeout > 0 && !now.Before(el.expires)
}

// newSet is nf_tables_newset.
func (tx *txn) newSet(m *request) *refusal {
	if !m.has(unix.NFTA_SET_TABLE) || !m.has(unix.NFTA_SET_NAME) || !m.has(unix.NFTA_SET_KEY_LEN) || !m.has(unix.NFTA_SET_ID) {
		return fail(unix.EINVAL, 0)
	}
	s := &set{fresh: true}
	s.id, _ = m.u32(unix.NFTA_SET_ID)
	s.ktype, _ = m.u32(unix.NFTA_SET_KEY_TYPE)
	s.klen, _ = m.u32(unix.NFTA_SET_KEY_LEN)
	if s.klen == 0 || s.klen > nftDataValueMaxLen {
		return fail(unix.EINVAL, 0)
	}
	s.flags, _ = m.u32(unix.NFTA_SET_FLAGS)
	if s.flags&^nftSetFlagsAll != 0 {
		return fail(unix.EOPNOTSUPP, 0)
	}
	f := s.flags
	if f&(unix.NFT_SET_MAP|nftSetObject) == unix.NFT_SET_MAP|nftSetObject ||
		f&(nftSetAnonymous|unix.NFT_SET_TIMEOUT|unix.NFT_SET_EVAL) == nftSetAnonymous|unix.NFT_SET_TIMEOUT ||
		f&(unix.NFT_SET_EVAL|unix.NFT_SET_CONSTANT) == unix.NFT_SET_EVAL|unix.NFT_SET_CONSTANT {
		return fail(unix.EOPNOTSUPP, 0)
	}
	if f&nftSetObject != 0 {
		return fail(unix.EOPNOTSUPP, 0) // object maps: not modelled
	}
	if m.has(unix.NFTA_SET_DATA_TYPE) {
		if f&unix.NFT_SET_MAP == 0 {
			return fail(unix.EINVAL, 0)
		}
		s.dtype, _ = m.u32(unix.NFTA_SET_DATA_TYPE)
		if s.dtype == unix.NFT_DATA_VERDICT {
			s.dlen, s.verdictChain = verdictLen, true
		} else {
			s.dlen, _ = m.u32(unix.NFTA_SET_DATA_LEN)
			if s.dlen == 0 || s.dlen > nftDataValueMaxLen {
				return fail(unix.EINVAL, 0)
			}
		}
	} else if f&unix.NFT_SET_MAP != 0 {
		return fail(unix.EINVAL, 0)
	}
	if m.has(unix.NFTA_SET_TIMEOUT) {
		if f&unix.NFT_SET_TIMEOUT == 0 {
			return fail(unix.EINVAL, 0)
		}
		s.timeout, _ = m.u64(unix.NFTA_SET_TIMEOUT)
	}
	if m.has(unix.NFTA_SET_GC_INTERVAL) {
		if f&unix.NFT_SET_TIMEOUT == 0 {
			return fail(unix.EINVAL, 0)
		}
		s.gcInt, _ = m.u32(unix.NFTA_SET_GC_INTERVAL)
	}
	s.policy, s.hasPolicy = m.u32(unix.NFTA_SET_POLICY)
	if s.hasPolicy && s.policy > 1 {
		return fail(unix.EINVAL, 0)
	}
	if m.has(unix.NFTA_SET_DESC) {
		d := nlattr.NewDecoder(m.attrs[unix.NFTA_SET_DESC].data)
		for d.Next() {
			switch d.Type() {
			case unix.NFTA_SET_DESC_SIZE:
				s.size = d.Uint32()
			case nftaSetDescConcatAttr:
				l := nlattr.NewDecoder(d.Bytes())
				for l.Next() {
					fa := nlattr.NewDecoder(l.Bytes())
					for fa.Next() {
						if fa.Type() == nfnl.NFTA_SET_FIELD_LEN {
							s.fields = append(s.fields, fa.Uint32())
						}
					}
				}
			}
		}
		if d.Err() != nil {
			return fail(unix.EINVAL, 0)
		}
	}
	if (len(s.fields) > 1) != (f&nfnl.NFT_SET_CONCAT != 0) {
		return fail(unix.EINVAL, 0)
	}
	if m.has(unix.NFTA_SET_USERDATA) {
		s.udata, s.hasUdata = bytes.Clone(m.attrs[unix.NFTA_SET_USERDATA].data), true
		if len(s.udata) > nftUserdataMax {
			return fail(unix.ERANGE, unix.NFTA_SET_USERDATA)
		}
	}
	t, e := tx.table(m, unix.NFTA_SET_TABLE)
	if e != nil {
		return e
	}
	s.name = m.str(unix.NFTA_SET_NAME)
	if old := t.set(s.name); old != nil {
		switch {
		case m.flags&unix.NLM_F_EXCL != 0:
			return fail(unix.EEXIST, unix.NFTA_SET_NAME)
		case m.flags&unix.NLM_F_REPLACE != 0:
			return fail(unix.EOPNOTSUPP, 0)
		case old.flags&nftSetAnonymous != 0:
			return fail(unix.EOPNOTSUPP, 0)
		}
		// nft_set_is_same: a set of another type is a clash; the same
		// one is an update transaction (the generation moves) that takes
		// the timeout and gc interval given, and the size if given.
		if old.flags != s.flags || old.ktype != s.ktype || old.klen != s.klen || old.dtype != s.dtype ||
			old.dlen != s.dlen || old.policy != s.policy || !slices.Equal(old.fields, s.fields) {
			return fail(unix.EEXIST, unix.NFTA_SET_NAME)
		}
		old.timeout, old.gcInt = s.timeout, s.gcInt
		if s.size != 0 {
			old.size = s.size
		}
		tx.changes++
		return nil
	}
	if m.flags&unix.NLM_F_CREATE == 0 {
		return fail(unix.ENOENT, unix.NFTA_SET_NAME)
	}
	*t.hgen++
	s.handle = *t.hgen
	t.sets = append(t.sets, s)
	tx.changes++
	return nil
}

// setUsers counts the rules of t whose lookups or dynsets name set (the
// kernel's set->use, its bindings).
func (t *table) setUsers(fam byte, set string) int {
	n := 0
	for _, ch := range t.chains {
		for _, r := range ch.rules {
			if ruleUsesSet(fam, r.exprs, set) {
				n++
			}
		}
	}
	return n
}

// ruleUsesSet reports whether a rule's expressions look set up or update it.
func ruleUsesSet(fam byte, exprs []byte, set string) bool {
	list, err := expr.UnmarshalList(fam, exprs)
	if err != nil {
		return false
	}
	for _, e := range list {
		if name, ok := exprSetName(e); ok && name == set {
			return true
		}
	}
	return false
}

// exprSetName returns the set a lookup or dynset expression names.
func exprSetName(e expr.Expr) (string, bool) {
	switch v := e.(type) {
	case *nftexpr.Lookup:
		return v.SetName, true
	case *nftexpr.Dynset:
		return v.SetName, true
	case *expr.Raw:
		var attr uint16
		switch v.Name {
		case "lookup":
			attr = 1 // NFTA_LOOKUP_SET
		case "dynset":
			attr = 1 // NFTA_DYNSET_SET_NAME
		default:
			return "", false
		}
		a := nlattr.NewDecoder(v.Data)
		for a.Next() {
			if a.Type() == attr {
				return a.String(), true
			}
		}
	}
	return "", false
}

// delSet is nf_tables_delset: a set still used by a rule is busy.
func (tx *txn) delSet(m *request) *refusal {
	t, e := tx.table(m, unix.NFTA_SET_TABLE)
	if e != nil {
		return e
	}
	var s *set
	attr := uint16(unix.NFTA_SET_NAME)
	switch {
	case m.has(nfnl.NFTA_SET_HANDLE):
		h, _ := m.u64(nfnl.NFTA_SET_HANDLE)
		attr = nfnl.NFTA_SET_HANDLE
		for _, x := range t.sets {
			if x.handle == h {
				s = x
			}
		}
	case m.has(unix.NFTA_SET_NAME):
		s = t.set(m.str(unix.NFTA_SET_NAME))
	default:
		return fail(unix.EINVAL, 0)
	}
	if s == nil {
		return fail(unix.ENOENT, attr)
	}
	if t.setUsers(m.fam, s.name) > 0 || (m.flags&nfnl.NLM_F_NONREC != 0 && len(s.elems) > 0) {
		return fail(unix.EBUSY, attr)
	}
	for _, el := range s.elems {
		releaseElem(t, el)
	}
	t.sets = slices.DeleteFunc(t.sets, func(x *set) bool { return x == s })
	tx.changes++
	return nil
}

// releaseElem drops the reference a verdict element holds on its chain.
func releaseElem(t *table, el *setElem) {
	if v := el.verdict; v != nil && v.chain != "" {
		if ch := t.chain(v.chain); ch != nil {
			ch.refs--
		}
	}
}

// bindSets is the set half of nft_lookup_init and nft_dynset_init for a
// new rule: the set must exist (by name, or by the id of a set made in the
// same batch). Lookups are stored as the kernel dumps them: set name,
// registers, flags, and no set id.
func bindSets(t *table, exprs []byte) ([]byte, *refusal) {
	var out []byte
	d := nlattr.NewDecoder(exprs)
	for d.Next() {
		off := d.Offset()
		name := elemName(d.Bytes())
		if name != "lookup" && name != "dynset" {
			out = nlattr.AppendBytes(out, d.RawType(), d.Bytes())
			continue
		}
		var data []byte
		ea := nlattr.NewDecoder(d.Bytes())
		for ea.Next() {
			if ea.Type() == unix.NFTA_EXPR_DATA {
				data = ea.Bytes()
			}
		}
		// NFTA_LOOKUP_SET / NFTA_DYNSET_SET_NAME is 1, the set id 4 or 2.
		idAttr := uint16(unix.NFTA_LOOKUP_SET_ID)
		if name == "dynset" {
			idAttr = unix.NFTA_DYNSET_SET_ID
		}
		var setName string
		var id, sreg, dreg, flags uint32
		var hasID, hasDreg, hasSreg bool
		a := nlattr.NewDecoder(data)
		for a.Next() {
			switch a.Type() {
			case 1:
				setName = a.String()
			case idAttr:
				id, hasID = a.Uint32(), true
			case unix.NFTA_LOOKUP_SREG:
				sreg, hasSreg = a.Uint32(), true
			case unix.NFTA_LOOKUP_DREG:
				dreg, hasDreg = a.Uint32(), true
			case unix.NFTA_LOOKUP_FLAGS:
				flags = a.Uint32()
			}
		}
		s := t.lookupSet(setName, id, hasID)
		if s == nil {
			return nil, &refusal{errno: unix.ENOENT, off: off}
		}
		if name == "dynset" {
			out = nlattr.AppendBytes(out, d.RawType(), d.Bytes())
			continue
		}
		switch {
		case !hasSreg || flags&^unix.NFT_LOOKUP_F_INV != 0:
			return nil, &refusal{errno: unix.EINVAL, off: off}
		case hasDreg && (s.flags&unix.NFT_SET_MAP == 0 || flags&unix.NFT_LOOKUP_F_INV != 0):
			return nil, &refusal{errno: unix.EINVAL, off: off}
		}
		var e nfnl.Encoder
		e.String(unix.NFTA_LOOKUP_SET, s.name)
		e.Uint32(unix.NFTA_LOOKUP_SREG, sreg)
		if hasDreg {
			e.Uint32(unix.NFTA_LOOKUP_DREG, dreg)
		}
		e.Uint32(unix.NFTA_LOOKUP_FLAGS, flags)
		var x nfnl.Encoder
		x.String(unix.NFTA_EXPR_NAME, "lookup")
		x.Bytes(unix.NLA_F_NESTED|unix.NFTA_EXPR_DATA, e.B)
		out = nlattr.AppendBytes(out, unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, x.B)
	}
	return out, nil
}

// setDumpCheck is what nf_tables_getset and nf_tables_getsetelem check
// before a dump starts: a named table (and set) must exist.
func (k *Kernel) setDumpCheck(m *request) (unix.Errno, uint16) {
	tattr, sattr := uint16(unix.NFTA_SET_TABLE), uint16(0)
	if m.typ&0xff == unix.NFT_MSG_GETSETELEM {
		tattr, sattr = unix.NFTA_SET_ELEM_LIST_TABLE, unix.NFTA_SET_ELEM_LIST_SET
		if !m.has(tattr) || !m.has(sattr) {
			return unix.EINVAL, 0
		}
	}
	if !m.has(tattr) {
		return 0, 0
	}
	t := k.st.table(m.fam, m.str(tattr))
	if t == nil {
		return unix.ENOENT, tattr
	}
	if sattr != 0 && t.set(m.str(sattr)) == nil {
		return unix.ENOENT, sattr
	}
	return 0, 0
}

// dumpSets adds the GETSET and GETSETELEM dumps' messages.
func (k *Kernel) dumpSets(port uint32, m *request, emit func(func(*nfnl.Encoder)), match func(*table) bool) {
	if m.typ&0xff == unix.NFT_MSG_GETSET {
		tname := m.str(unix.NFTA_SET_TABLE)
		for _, t := range k.st.tables {
			if !match(t) || (tname != "" && t.name != tname) {
				continue
			}
			for _, s := range t.sets {
				emit(func(e *nfnl.Encoder) { k.setMsg(e, port, m.seq, t, s) })
			}
		}
		return
	}
	t := k.st.table(m.fam, m.str(unix.NFTA_SET_ELEM_LIST_TABLE))
	if t == nil {
		return
	}
	s := t.set(m.str(unix.NFTA_SET_ELEM_LIST_SET))
	if s == nil {
		return
	}
	now := time.Now()
	var live []*setElem
	for _, el := range s.elems {
		if !el.expired(now) {
			live = append(live, el)
		}
	}
	// Elements are packed into messages of about a page, as the kernel
	// fills one skb per message.
	for len(live) > 0 || len(s.elems) == 0 {
		n := 0
		emit(func(e *nfnl.Encoder) {
			st := k.reply(e, nfnl.Type(unix.NFT_MSG_NEWSETELEM), unix.NLM_F_MULTI, m.seq, port, t.fam)
			e.String(unix.NFTA_SET_ELEM_LIST_TABLE, t.name)
			e.String(unix.NFTA_SET_ELEM_LIST_SET, s.name)
			l := nestNoFlag(e, unix.NFTA_SET_ELEM_LIST_ELEMENTS)
			for n < len(live) && len(e.B)-st < notifySize {
				elemMsg(e, s, live[n], now)
				n++
			}
			e.EndNest(l)
			e.End(st)
		})
		live = live[n:]
		if len(s.elems) == 0 {
			break
		}
	}
}

// setMsg is nf_tables_fill_set.
func (k *Kernel) setMsg(e *nfnl.Encoder, port, seq uint32, t *table, s *set) {
	st := k.reply(e, nfnl.Type(unix.NFT_MSG_NEWSET), unix.NLM_F_MULTI, seq, port, t.fam)
	e.String(unix.NFTA_SET_TABLE, t.name)
	e.String(unix.NFTA_SET_NAME, s.name)
	e.Uint64(nfnl.NFTA_SET_HANDLE, s.handle)
	if s.flags != 0 {
		e.Uint32(unix.NFTA_SET_FLAGS, s.flags)
	}
	e.Uint32(unix.NFTA_SET_KEY_TYPE, s.ktype)
	e.Uint32(unix.NFTA_SET_KEY_LEN, s.klen)
	if s.flags&unix.NFT_SET_MAP != 0 {
		e.Uint32(unix.NFTA_SET_DATA_TYPE, s.dtype)
		e.Uint32(unix.NFTA_SET_DATA_LEN, s.dlen)
	}
	if s.timeout != 0 {
		e.Uint64(unix.NFTA_SET_TIMEOUT, s.timeout)
	}
	if s.gcInt != 0 {
		e.Uint32(unix.NFTA_SET_GC_INTERVAL, s.gcInt)
	}
	if s.hasPolicy && s.policy != 0 {
		e.Uint32(unix.NFTA_SET_POLICY, s.policy)
	}
	if s.hasUdata {
		e.Bytes(unix.NFTA_SET_USERDATA, s.udata)
	}
	d := nestNoFlag(e, unix.NFTA_SET_DESC)
	if s.size != 0 {
		e.Uint32(unix.NFTA_SET_DESC_SIZE, s.size)
	}
	if len(s.fields) > 1 {
		c := nestNoFlag(e, nftaSetDescConcatAttr)
		for _, f := range s.fields {
			fl := nestNoFlag(e, unix.NFTA_LIST_ELEM)
			e.Uint32(nfnl.NFTA_SET_FIELD_LEN, f)
			e.EndNest(fl)
		}
		e.EndNest(c)
	}
	e.EndNest(d)
	e.End(st)
}
