package nft

import (
	"bytes"
	"math/big"
	"sort"

	"golang.org/x/sys/unix"
)

// Anonymous sets, maps and vmaps: { ... } in a rule becomes a set named
// "__set%d" (the kernel picks the number), written before the rule and
// bound to it.

// Set flags (NFT_SET_*).
const (
	setConstant  = 0x1
	setAnonymous = 0x2
	setInterval  = 0x4
	setMap       = 0x8
	setTimeout   = 0x10
	setEval      = 0x20
	setObject    = 0x40
	setConcat    = 0x80
)

// Element flags.
const elemIntervalEnd = 0x1

// setElemWire is one element as sent.
type setElemWire struct {
	key     []byte
	keyEnd  []byte
	flags   uint32
	data    []byte
	verdict *verdictExpr
	timeout uint64
	udata   []byte
}

// anonSet is a set to create in the same batch as the rule using it.
type anonSet struct {
	name     string
	flags    uint32
	keyType  uint32
	keyLen   uint32
	dataType uint32
	dataLen  uint32
	hasData  bool
	id       uint32
	elems    []setElemWire
	udata    []byte
	concat   []uint32 // field lengths, for concatenations with intervals
	keyOrder byteOrder
	// hton: the key is host-endian and the set holds intervals, which the
	// kernel compares as big-endian bytes; the rule converts the register
	// before the lookup and the elements are big-endian (nft does so).
	hton bool
}

// interval is a resolved element key: [lo, hi] in register bytes.
type interval struct {
	lo, hi  []byte
	isRange bool
	val     Expr   // the mapped value, for maps
	udata   []byte // the element's comment, as nft's user data
}

// resolveElem resolves an element key to an interval (a single value is
// lo == hi).
func (r *ruleCtx) resolveElem(e Expr, li *lhsInfo) (interval, error) {
	if el, ok := e.(*elemExpr); ok {
		e = el.key
	}
	if li.concat {
		if c, ok := e.(*concatExpr); ok {
			v, err := r.concatValue(li, c)
			if err != nil {
				return interval{}, err
			}
			return interval{lo: v, hi: v}, nil
		}
		return interval{}, r.cc.errAt(e.span(), "datatype mismatch, expected concatenation")
	}
	switch x := e.(type) {
	case *rangeExpr:
		lo, err := r.constValue(x.lo, li)
		if err != nil {
			return interval{}, err
		}
		hi, err := r.constValue(x.hi, li)
		if err != nil {
			return interval{}, err
		}
		return interval{lo: fit(lo, li.lenBytes), hi: fit(hi, li.lenBytes), isRange: true}, nil
	case *prefixExpr:
		v, err := r.constValue(x.x, li)
		if err != nil {
			return interval{}, err
		}
		v = fit(v, li.lenBytes)
		host := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(li.bits-x.plen)), big.NewInt(1))
		lo := new(big.Int).AndNot(new(big.Int).SetBytes(v), host)
		hi := new(big.Int).Or(lo, host)
		return interval{lo: fit(lo.Bytes(), li.lenBytes), hi: fit(hi.Bytes(), li.lenBytes), isRange: true}, nil
	}
	v, err := r.constValue(e, li)
	if err != nil {
		return interval{}, err
	}
	v = fit(v, li.lenBytes)
	return interval{lo: v, hi: v}, nil
}

// buildAnonSet makes the anonymous set for elems matched against li.
// valueOf resolves a mapping's value (nil for plain sets).
func (r *ruleCtx) buildAnonSet(s *setExpr, li *lhsInfo, valueOf func(Expr) ([]byte, *verdictExpr, error)) (*anonSet, error) {
	as := &anonSet{name: "__set%d", flags: setConstant | setAnonymous, keyType: li.dt.ID, keyLen: uint32(li.lenBytes), keyOrder: li.order}
	if li.concat {
		as.keyType = li.dt.ID
	}
	var ivs []interval
	isInterval := false
	for _, e := range s.elems {
		key := e
		var val Expr
		if m, ok := e.(*mappingExpr); ok {
			key, val = m.key, m.val
		}
		iv, err := r.resolveElem(key, li)
		if err != nil {
			return nil, err
		}
		iv.val = val
		if el, ok := key.(*elemExpr); ok && el.comment != "" {
			iv.udata = udataStr(0, el.comment) // NFTNL_UDATA_SET_ELEM_COMMENT
		}
		if iv.isRange {
			isInterval = true
		}
		ivs = append(ivs, iv)
	}
	if isInterval && li.concat {
		return nil, r.cc.errAt(s.srcSpan, "intervals in concatenations are not supported yet")
	}
	elem := func(iv interval, key []byte) (setElemWire, error) {
		w := setElemWire{key: key, udata: iv.udata}
		if valueOf != nil && iv.val != nil {
			d, v, err := valueOf(iv.val)
			if err != nil {
				return w, err
			}
			w.data, w.verdict = d, v
		}
		return w, nil
	}
	if !isInterval {
		for _, iv := range ivs {
			w, err := elem(iv, li.regValue(iv.lo))
			if err != nil {
				return nil, err
			}
			if li.concat {
				w.key = iv.lo
			}
			as.elems = append(as.elems, w)
		}
	} else {
		as.flags |= setInterval
		regKey := li.regValue
		if li.order == orderHost && li.lenBytes > 1 && li.dt.root() != dtString {
			as.hton = true
			regKey = func(v []byte) []byte { return fit(v, li.lenBytes) }
		}
		sort.SliceStable(ivs, func(i, j int) bool { return bytes.Compare(ivs[i].lo, ivs[j].lo) < 0 })
		for i := 1; i < len(ivs); i++ {
			if bytes.Compare(ivs[i].lo, ivs[i-1].hi) <= 0 {
				return nil, r.cc.errAt(s.srcSpan, "conflicting intervals specified")
			}
		}
		if li.mergeAdjacent {
			ivs = mergeAdjacent(ivs)
		}
		zero := make([]byte, li.lenBytes)
		if len(ivs) > 0 && !bytes.Equal(ivs[0].lo, zero) {
			as.elems = append(as.elems, setElemWire{key: regKey(zero), flags: elemIntervalEnd})
		}
		for i, iv := range ivs {
			w, err := elem(iv, regKey(iv.lo))
			if err != nil {
				return nil, err
			}
			as.elems = append(as.elems, w)
			next, overflow := increment(iv.hi)
			if overflow {
				continue
			}
			if i+1 < len(ivs) && bytes.Equal(next, ivs[i+1].lo) {
				continue
			}
			as.elems = append(as.elems, setElemWire{key: regKey(next), flags: elemIntervalEnd})
		}
	}
	as.udata = setUdata(li.order, isInterval)
	return as, nil
}

// mergeAdjacent joins sorted intervals where one starts right after the
// one before ends (33-55, 56-88 is 33-88), as nft does in an anonymous
// set.
func mergeAdjacent(ivs []interval) []interval {
	var out []interval
	for _, iv := range ivs {
		if n := len(out); n > 0 {
			if next, overflow := increment(out[n-1].hi); !overflow && bytes.Equal(next, iv.lo) {
				out[n-1].hi = iv.hi
				out[n-1].isRange = true
				continue
			}
		}
		out = append(out, iv)
	}
	return out
}

func increment(b []byte) ([]byte, bool) {
	out := append([]byte(nil), b...)
	for i := len(out) - 1; i >= 0; i-- {
		out[i]++
		if out[i] != 0 {
			return out, false
		}
	}
	return out, true
}

// setUdata is the user data nft attaches to anonymous sets: the key's
// byte order and, for intervals, that elements merge.
func setUdata(o byteOrder, interval bool) []byte {
	var b []byte
	b = append(b, 0, 4, byte(o), 0, 0, 0)
	if interval {
		b = append(b, 2, 4, 1, 0, 0, 0)
	}
	return b
}

// matchSet is "x { ... }" and "x != { ... }".
func (r *ruleCtx) matchSet(rel *relExpr, li *lhsInfo, s *setExpr) error {
	if li.mask != nil && !li.bitfield {
		return r.cc.errAt(s.srcSpan, "unsupported set lookup")
	}
	mli := *li
	mli.mergeAdjacent = true
	as, err := r.buildAnonSet(s, &mli, nil)
	if err != nil {
		return err
	}
	r.addAnonSet(as)
	reg := r.loadSetKey(li, as)
	r.emitLookup(reg, 0, false, as.name, as.id, rel.op == "!=")
	r.putReg(li.lenBytes)
	return nil
}

// loadSetKey loads the left side for a lookup in as.
func (r *ruleCtx) loadSetKey(li *lhsInfo, as *anonSet) uint32 {
	reg := r.loadLHS(li)
	if as.hton {
		r.emitByteorder(reg, reg, unix.NFT_BYTEORDER_HTON, li.lenBytes, li.lenBytes)
	}
	return reg
}

func (r *ruleCtx) addAnonSet(as *anonSet) {
	as.id = r.cc.nextSetID()
	as.elemsDesc()
	r.sets = append(r.sets, as)
}

func (as *anonSet) elemsDesc() {}

// matchSetRef is "x @name".
func (r *ruleCtx) matchSetRef(rel *relExpr, li *lhsInfo, s *setRefExpr) error {
	id := r.cc.namedSetID(r.table, s.name)
	reg := r.loadLHS(li)
	r.emitLookup(reg, 0, false, s.name, id, rel.op == "!=")
	r.putReg(li.lenBytes)
	return nil
}

// setMsgs encodes the NEWSET and NEWSETELEM messages of an anonymous set.
func (as *anonSet) setAttrs(table string) []byte {
	var a attrBuf
	a.str(unix.NFTA_SET_TABLE, table)
	a.str(unix.NFTA_SET_NAME, as.name)
	a.u32(unix.NFTA_SET_FLAGS, as.flags)
	a.u32(unix.NFTA_SET_KEY_TYPE, as.keyType)
	a.u32(unix.NFTA_SET_KEY_LEN, as.keyLen)
	if as.hasData {
		a.u32(unix.NFTA_SET_DATA_TYPE, as.dataType)
		a.u32(unix.NFTA_SET_DATA_LEN, as.dataLen)
	}
	a.u32(unix.NFTA_SET_ID, as.id)
	n := a.nest(unix.NFTA_SET_DESC)
	a.u32(unix.NFTA_SET_DESC_SIZE, uint32(len(as.elems)))
	a.end(n)
	if len(as.udata) > 0 {
		a.raw(unix.NFTA_SET_USERDATA, as.udata)
	}
	return a.b
}

func (as *anonSet) elemAttrs(table string) []byte {
	return elemListAttrs(table, as.name, as.id, true, as.elems)
}

// elemListAttrs encodes a NEWSETELEM/DELSETELEM body.
func elemListAttrs(table, set string, id uint32, withID bool, elems []setElemWire) []byte {
	var a attrBuf
	a.str(unix.NFTA_SET_ELEM_LIST_TABLE, table)
	a.str(unix.NFTA_SET_ELEM_LIST_SET, set)
	if withID {
		a.u32(unix.NFTA_SET_ELEM_LIST_SET_ID, id)
	}
	l := a.nest(unix.NFTA_SET_ELEM_LIST_ELEMENTS)
	for _, e := range elems {
		n := a.nest(unix.NFTA_LIST_ELEM)
		if e.flags != 0 {
			a.u32(unix.NFTA_SET_ELEM_FLAGS, e.flags)
		}
		if e.timeout != 0 {
			a.u64(unix.NFTA_SET_ELEM_TIMEOUT, e.timeout)
		}
		a.data(unix.NFTA_SET_ELEM_KEY, e.key)
		if e.keyEnd != nil {
			a.data(nftaSetElemKeyEnd, e.keyEnd)
		}
		if e.verdict != nil {
			a.verdictData(unix.NFTA_SET_ELEM_DATA, verdictCode(e.verdict.kind), e.verdict.chain)
		} else if e.data != nil {
			a.data(unix.NFTA_SET_ELEM_DATA, e.data)
		}
		if len(e.udata) > 0 {
			a.raw(unix.NFTA_SET_ELEM_USERDATA, e.udata)
		}
		a.end(n)
	}
	a.end(l)
	return a.b
}
