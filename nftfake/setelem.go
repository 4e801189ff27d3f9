package nftfake

import (
	"bytes"
	"slices"
	"time"

	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// Set elements in the fake kernel: nf_tables_newsetelem,
// nf_tables_delsetelem and the element dump (the sets are in
// set.go).

// elemSet finds the set a NEWSETELEM or DELSETELEM message names.
func (tx *txn) elemSet(m *request) (*table, *set, *refusal) {
	t, e := tx.table(m, unix.NFTA_SET_ELEM_LIST_TABLE)
	if e != nil {
		return nil, nil, e
	}
	id, hasID := m.u32(unix.NFTA_SET_ELEM_LIST_SET_ID)
	s := t.lookupSet(m.str(unix.NFTA_SET_ELEM_LIST_SET), id, hasID)
	if s == nil {
		return nil, nil, fail(unix.ENOENT, unix.NFTA_SET_ELEM_LIST_SET)
	}
	return t, s, nil
}

// forElems calls f with each NFTA_LIST_ELEM of the message's element list
// and its offset in the message (the extended ACK points at the element
// the kernel refused).
func forElems(m *request, f func(data []byte, off int) *refusal) *refusal {
	list := m.attrs[unix.NFTA_SET_ELEM_LIST_ELEMENTS]
	d := nlattr.NewDecoder(list.data)
	for d.Next() {
		if d.Type() == unix.NFTA_LIST_ELEM {
			if e := f(d.Bytes(), list.off+4+d.Offset()); e != nil {
				return e
			}
		}
	}
	// A tail too short for a header is dropped, as nla_for_each_nested
	// drops it; a length out of range is refused.
	if _, bad := d.Err().(*nlattr.LengthError); bad {
		return fail(unix.EINVAL, 0)
	}
	return nil
}

// elemErr is a refusal pointing at the element at off.
func elemErr(errno unix.Errno, off int) *refusal { return &refusal{errno: errno, off: off} }

// parseElem is the parsing half of nft_add_set_elem / nft_del_setelem.
func parseElem(t *table, s *set, b []byte, adding bool) (*setElem, unix.Errno) {
	el := &setElem{}
	var hasKey, hasData, hasTimeout bool
	var dataAttr []byte
	a := nlattr.NewDecoder(b)
	for a.Next() {
		switch a.Type() {
		case unix.NFTA_SET_ELEM_KEY:
			el.key, hasKey = nfnl.DataValue(a.Bytes()), true
		case nfnl.NFTA_SET_ELEM_KEY_END:
			el.keyEnd = nfnl.DataValue(a.Bytes())
		case unix.NFTA_SET_ELEM_FLAGS:
			el.flags = a.Uint32()
		case unix.NFTA_SET_ELEM_TIMEOUT:
			el.timeout, hasTimeout = a.Uint64(), true
		case unix.NFTA_SET_ELEM_DATA:
			dataAttr, hasData = a.Bytes(), true
		case unix.NFTA_SET_ELEM_USERDATA:
			el.udata = bytes.Clone(a.Bytes())
		}
	}
	if a.Err() != nil {
		return nil, unix.EINVAL
	}
	if el.flags&^(unix.NFT_SET_ELEM_INTERVAL_END|nfnl.NFT_SET_ELEM_CATCHALL) != 0 {
		return nil, unix.EOPNOTSUPP
	}
	if s.flags&unix.NFT_SET_INTERVAL == 0 && el.flags&unix.NFT_SET_ELEM_INTERVAL_END != 0 {
		return nil, unix.EINVAL
	}
	catchAll := el.flags&nfnl.NFT_SET_ELEM_CATCHALL != 0
	switch {
	case !hasKey && !catchAll:
		return nil, unix.EINVAL
	case hasKey && len(el.key) != int(s.klen):
		return nil, unix.EINVAL
	case el.keyEnd != nil && len(el.keyEnd) != int(s.klen):
		return nil, unix.EINVAL
	}
	if !adding {
		return el, 0
	}
	if s.flags&unix.NFT_SET_MAP != 0 {
		if !hasData && el.flags&unix.NFT_SET_ELEM_INTERVAL_END == 0 {
			return nil, unix.EINVAL
		}
	} else if hasData {
		return nil, unix.EINVAL
	}
	if el.flags&unix.NFT_SET_ELEM_INTERVAL_END != 0 && (hasData || hasTimeout || el.udata != nil) {
		return nil, unix.EINVAL
	}
	if hasTimeout {
		if s.flags&unix.NFT_SET_TIMEOUT == 0 {
			return nil, unix.EINVAL
		}
	} else if s.flags&unix.NFT_SET_TIMEOUT != 0 && el.flags&unix.NFT_SET_ELEM_INTERVAL_END == 0 {
		el.timeout = s.timeout
	}
	if len(el.udata) > nftUserdataMax {
		return nil, unix.EINVAL
	}
	if hasData {
		d := nlattr.NewDecoder(dataAttr)
		for d.Next() {
			switch d.Type() {
			case unix.NFTA_DATA_VALUE:
				if s.verdictChain || len(d.Bytes()) != int(s.dlen) {
					return nil, unix.EINVAL
				}
				el.data = bytes.Clone(d.Bytes())
			case unix.NFTA_DATA_VERDICT:
				if !s.verdictChain {
					return nil, unix.EINVAL
				}
				v := &verdict{}
				va := nlattr.NewDecoder(d.Bytes())
				for va.Next() {
					switch va.Type() {
					case unix.NFTA_VERDICT_CODE:
						v.code = va.Uint32()
					case unix.NFTA_VERDICT_CHAIN:
						v.chain = va.String()
					}
				}
				if errno := checkVerdict(t, v); errno != 0 {
					return nil, errno
				}
				el.verdict = v
			}
		}
		if d.Err() != nil || (el.data == nil && el.verdict == nil) {
			return nil, unix.EINVAL
		}
	}
	return el, 0
}

// checkVerdict is nft_verdict_init.
func checkVerdict(t *table, v *verdict) unix.Errno {
	switch int32(v.code) {
	case unix.NFT_JUMP, unix.NFT_GOTO:
		ch := t.chain(v.chain)
		switch {
		case v.chain == "":
			return unix.EINVAL
		case ch == nil:
			return unix.ENOENT
		case ch.base != nil:
			return unix.EOPNOTSUPP
		}
	case unix.NFT_CONTINUE, unix.NFT_BREAK, unix.NFT_RETURN:
		v.chain = ""
	default:
		switch v.code & 0xffff { // NF_VERDICT_MASK
		case 0, 1, 3: // NF_DROP, NF_ACCEPT, NF_QUEUE
		default:
			return unix.EINVAL
		}
		v.chain = ""
	}
	return 0
}

// sameElem reports whether a and b are the same element of the set: the
// same key (and range end), both starts or both ends of intervals.
func sameElem(a, b *setElem) bool {
	const kind = unix.NFT_SET_ELEM_INTERVAL_END | nfnl.NFT_SET_ELEM_CATCHALL
	return a.flags&kind == b.flags&kind && bytes.Equal(a.key, b.key) && bytes.Equal(a.keyEnd, b.keyEnd)
}

func (s *set) find(el *setElem, now time.Time) int {
	return slices.IndexFunc(s.elems, func(x *setElem) bool { return sameElem(x, el) && !x.expired(now) })
}

// bound reports whether a rule uses the set (its bindings list).
func (s *set) bound(t *table, fam byte) bool { return t.setUsers(fam, s.name) > 0 }

// newSetElem is nf_tables_newsetelem.
func (tx *txn) newSetElem(m *request) *refusal {
	t, s, e := tx.elemSet(m)
	if e != nil {
		return e
	}
	if !m.has(unix.NFTA_SET_ELEM_LIST_ELEMENTS) {
		return fail(unix.EINVAL, 0)
	}
	if s.flags&(unix.NFT_SET_CONSTANT|nftSetAnonymous) != 0 && s.bound(t, m.fam) {
		return fail(unix.EBUSY, 0)
	}
	now := time.Now()
	return forElems(m, func(b []byte, off int) *refusal {
		el, errno := parseElem(t, s, b, true)
		if errno != 0 {
			return elemErr(errno, off)
		}
		if i := s.find(el, now); i >= 0 {
			old := s.elems[i]
			if !bytes.Equal(old.data, el.data) || (old.verdict == nil) != (el.verdict == nil) ||
				(old.verdict != nil && *old.verdict != *el.verdict) {
				return elemErr(unix.EEXIST, off) // a clash, as Linux 6.18 answers
			}
			if m.flags&unix.NLM_F_EXCL != 0 {
				return elemErr(unix.EEXIST, off)
			}
			return nil // already there: no transaction
		}
		live := 0
		for _, x := range s.elems {
			if !x.expired(now) {
				live++
			}
		}
		if s.size > 0 && live >= int(s.size) {
			return elemErr(unix.ENFILE, off)
		}
		if el.timeout > 0 {
			el.expires = now.Add(time.Duration(el.timeout) * time.Millisecond)
		}
		if v := el.verdict; v != nil && v.chain != "" {
			t.chain(v.chain).refs++
		}
		s.elems = append(s.elems, el)
		tx.changes++
		return nil
	})
}

// delSetElem is nf_tables_delsetelem; without elements it flushes the set.
func (tx *txn) delSetElem(m *request) *refusal {
	t, s, e := tx.elemSet(m)
	if e != nil {
		return e
	}
	if s.flags&unix.NFT_SET_CONSTANT != 0 && s.bound(t, m.fam) {
		return fail(unix.EBUSY, 0)
	}
	now := time.Now()
	if !m.has(unix.NFTA_SET_ELEM_LIST_ELEMENTS) {
		for _, el := range s.elems {
			releaseElem(t, el)
			if !el.expired(now) {
				tx.changes++
			}
		}
		s.elems = nil
		return nil
	}
	return forElems(m, func(b []byte, off int) *refusal {
		el, errno := parseElem(t, s, b, false)
		if errno != 0 {
			return elemErr(errno, off)
		}
		i := s.find(el, now)
		if i < 0 {
			return elemErr(unix.ENOENT, off)
		}
		releaseElem(t, s.elems[i])
		s.elems = slices.Delete(s.elems, i, i+1)
		tx.changes++
		return nil
	})
}

// elemMsg is nf_tables_fill_setelem.
func elemMsg(e *nfnl.Encoder, s *set, el *setElem, now time.Time) {
	n := nestNoFlag(e, unix.NFTA_LIST_ELEM)
	value := func(typ uint16, v []byte) {
		d := nestNoFlag(e, typ)
		e.Bytes(unix.NFTA_DATA_VALUE, v)
		e.EndNest(d)
	}
	if el.key != nil {
		value(unix.NFTA_SET_ELEM_KEY, el.key)
	}
	if el.keyEnd != nil {
		value(nfnl.NFTA_SET_ELEM_KEY_END, el.keyEnd)
	}
	switch {
	case el.data != nil:
		value(unix.NFTA_SET_ELEM_DATA, el.data)
	case el.verdict != nil:
		d := nestNoFlag(e, unix.NFTA_SET_ELEM_DATA)
		v := nestNoFlag(e, unix.NFTA_DATA_VERDICT)
		e.Uint32(unix.NFTA_VERDICT_CODE, el.verdict.code)
		if el.verdict.chain != "" {
			e.String(unix.NFTA_VERDICT_CHAIN, el.verdict.chain)
		}
		e.EndNest(v)
		e.EndNest(d)
	}
	if el.flags != 0 {
		e.Uint32(unix.NFTA_SET_ELEM_FLAGS, el.flags)
	}
	if el.timeout > 0 {
		if el.timeout != s.timeout {
			e.Uint64(unix.NFTA_SET_ELEM_TIMEOUT, el.timeout)
		}
		e.Uint64(unix.NFTA_SET_ELEM_EXPIRATION, uint64(max(el.expires.Sub(now), 0).Milliseconds()))
	}
	if el.udata != nil {
		e.Bytes(unix.NFTA_SET_ELEM_USERDATA, el.udata)
	}
	e.EndNest(n)
}
