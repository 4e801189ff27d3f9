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
	setAnonymous = 0x1
	setConstant  = 0x2
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
	expires uint64 // NFTA_SET_ELEM_EXPIRATION, ms
	udata   []byte
	counter bool   // the element has its own counter
	objref  string // an object map's value: the object's name
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
	// descSize is the size declared for a meter's set (0: none);
	// declareOnly sets (meters) are created without elements.
	descSize    uint32
	declareOnly bool
	// hton: the keys are big-endian intervals of a host-endian selector,
	// whose register the lookup converts first (nft's byteorder_conversion
	// for interval sets).
	hton bool
	// htonParts are the parts of a concatenation with intervals that
	// the lookup converts to network order (concat_order.go).
	htonParts []bool
	// objType is an object map's object type (NFTA_SET_OBJ_TYPE).
	objType uint32
}

// interval is a resolved element key: [lo, hi] in register bytes.
type interval struct {
	lo, hi  []byte
	isRange bool
	val     Expr   // the mapped value, for maps
	udata   []byte // the element's comment, as nft's user data
	// timeout and expires are the element's own, in ms (0: none)
	timeout, expires uint64
	counter          bool
}

// resolveElem resolves an element key to an interval (a single value is
// lo == hi).
func (r *ruleCtx) resolveElem(e Expr, li *lhsInfo) (interval, error) {
	if el, ok := e.(*elemExpr); ok {
		e = el.key
	}
	if li.concat {
		if c, ok := e.(*concatExpr); ok {
			lo, hi, isRange, err := r.concatInterval(li, c)
			if err != nil {
				return interval{}, err
			}
			return interval{lo: lo, hi: hi, isRange: isRange}, nil
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
	var catchall Expr // the value of "*", or the "*" of a set
	for _, e := range flattenSet(s.elems) {
		key := e
		var val Expr
		if m, ok := e.(*mappingExpr); ok {
			key, val = m.key, m.val
		}
		if isCatchall(key) {
			catchall = key
			if val != nil {
				catchall = val
			}
			continue
		}
		iv, err := r.resolveElem(key, li)
		if err != nil {
			return nil, err
		}
		iv.val = val
		if el, ok := key.(*elemExpr); ok {
			if el.comment != "" {
				iv.udata = udataStr(0, el.comment) // NFTNL_UDATA_SET_ELEM_COMMENT
			}
			iv.counter = el.counter
			if iv.timeout, iv.expires, err = r.elemTimes(el); err != nil {
				return nil, err
			}
		}
		if iv.isRange {
			isInterval = true
		}
		ivs = append(ivs, iv)
	}
	elem := func(iv interval, key []byte) (setElemWire, error) {
		w := setElemWire{key: key, udata: iv.udata, timeout: iv.timeout, expires: iv.expires, counter: iv.counter}
		if valueOf != nil && iv.val != nil {
			d, v, err := valueOf(iv.val)
			if err != nil {
				return w, err
			}
			w.data, w.verdict = d, v
		}
		return w, nil
	}
	if (isInterval || li.intervalSet) && li.concat {
		// each element carries its last key; no interval end elements
		as.flags |= setInterval | setConcat
		as.concat = concatFieldLens(li)
		as.htonParts = concatHostParts(li) // concat_order.go
		for _, iv := range ivs {
			if as.htonParts != nil {
				iv.lo, iv.hi = swapConcatParts(iv.lo, li, as.htonParts), swapConcatParts(iv.hi, li, as.htonParts)
			}
			w, err := elem(iv, iv.lo)
			if err != nil {
				return nil, err
			}
			w.keyEnd = iv.hi
			as.elems = append(as.elems, w)
		}
	} else if !isInterval && !li.intervalSet {
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
		if li.order == orderHost && li.lenBytes > 1 && li.dt.root() != dtString {
			as.hton = true
			big := *li
			big.order = orderBig
			li = &big
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
		if len(ivs) > 0 && !bytes.Equal(ivs[0].lo, zero) && !r.cc.noFirstSegment {
			as.elems = append(as.elems, setElemWire{key: li.regValue(zero), flags: elemIntervalEnd})
		}
		for i, iv := range ivs {
			w, err := elem(iv, li.regValue(iv.lo))
			if err != nil {
				return nil, err
			}
			as.elems = append(as.elems, w)
			next, overflow := increment(iv.hi)
			if overflow {
				// The interval runs to the key's end: no end element, the
				// element is flagged open (NFTNL_UDATA_SET_ELEM_FLAGS,
				// NFTNL_SET_ELEM_F_INTERVAL_OPEN) instead.
				last := &as.elems[len(as.elems)-1]
				last.udata = append(append([]byte(nil), last.udata...), 1, 4, 1, 0, 0, 0)
				continue
			}
			if i+1 < len(ivs) && bytes.Equal(next, ivs[i+1].lo) && !li.namedSet {
				continue // an anonymous set's next start ends this one
			}
			as.elems = append(as.elems, setElemWire{key: li.regValue(next), flags: elemIntervalEnd})
		}
	}
	if catchall != nil {
		w := catchallWire()
		if valueOf != nil && !isCatchall(catchall) {
			d, v, err := valueOf(catchall)
			if err != nil {
				return nil, err
			}
			w.data, w.verdict = d, v
		}
		as.elems = append(as.elems, w)
	}
	uli := *li
	uli.order = as.keyOrder // the selector's order, also when hton
	as.udata = anonUdata(&uli, as.flags&setInterval != 0, false, false, 0, false)
	return as, nil
}

// flattenSet lifts the elements of sets nested in a set literal ({ { a,
// b }, c }) into it, as nft does.
func flattenSet(elems []Expr) []Expr {
	var out []Expr
	for _, e := range elems {
		if n, ok := e.(*setExpr); ok {
			out = append(out, flattenSet(n.elems)...)
			continue
		}
		out = append(out, e)
	}
	return out
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
	if rel.op == "" && as.flags&setInterval == 0 && !li.concat {
		r.learnFromSet(rel.l, as, li)
	}
	reg := as.loadKey(r, li)
	r.emitLookup(reg, 0, false, as.name, as.id, rel.op == "!=")
	r.putReg(li.lenBytes)
	return nil
}

// learnFromSet records what a match on a set of protocols tells, as nft
// 1.0.6 does: of network protocols the last element stays (ether type {
// ip, ip6 } ip saddr conflicts, { ip6, ip } does not); several transport
// protocols leave one that no header matches without conflict (ip
// protocol { tcp, udp } tcp dport is "conflicting protocols specified:
// udp vs. tcp"), though the transport is known (dnat to :80 may follow).
func (r *ruleCtx) learnFromSet(lhs Expr, as *anonSet, li *lhsInfo) {
	before := r.proto[baseTransport]
	for _, el := range as.elems {
		r.learn(lhs, fromReg(el.key, li.order))
	}
	if d := r.proto[baseTransport]; d != before && len(as.elems) > 1 {
		ambiguous := *d
		r.proto[baseTransport] = &ambiguous
	}
}

func (r *ruleCtx) addAnonSet(as *anonSet) {
	if as.flags&setMap != 0 {
		as.name = "__map%d" // as nft names anonymous maps
	}
	as.id = r.cc.nextSetID()
	r.sets = append(r.sets, as)
}

// matchSetRef is "x @name".
func (r *ruleCtx) matchSetRef(rel *relExpr, li *lhsInfo, s *setRefExpr) error {
	if !r.cc.setExists(r.fam, r.table, s.name) {
		// nft's evaluation looks the set up in its cache
		return r.cc.errAt(s.srcSpan, "No such file or directory")
	}
	if err := r.checkSetKey(li, s.name, s.srcSpan); err != nil {
		return err
	}
	id := r.cc.namedSetID(r.table, s.name)
	reg := r.loadSetRefKey(li, s.name) // concat_order.go
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
	if as.objType != 0 {
		a.u32(unix.NFTA_SET_OBJ_TYPE, as.objType)
	}
	size := uint32(len(as.elems))
	if as.declareOnly {
		size = as.descSize
	}
	if size > 0 || as.concat != nil {
		n := a.nest(unix.NFTA_SET_DESC)
		if size > 0 {
			a.u32(unix.NFTA_SET_DESC_SIZE, size)
		}
		if as.concat != nil {
			putDescConcat(&a, as.concat)
		}
		a.end(n)
	}
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
		if e.expires != 0 {
			a.u64(unix.NFTA_SET_ELEM_EXPIRATION, e.expires)
		}
		if e.key != nil {
			a.data(unix.NFTA_SET_ELEM_KEY, e.key)
		}
		if e.keyEnd != nil {
			a.data(nftaSetElemKeyEnd, e.keyEnd)
		}
		if e.verdict != nil {
			a.verdictData(unix.NFTA_SET_ELEM_DATA, verdictCode(e.verdict.kind), e.verdict.chain)
		} else if e.data != nil {
			a.data(unix.NFTA_SET_ELEM_DATA, e.data)
		}
		if e.objref != "" {
			a.str(unix.NFTA_SET_ELEM_OBJREF, e.objref)
		}
		if len(e.udata) > 0 {
			a.raw(unix.NFTA_SET_ELEM_USERDATA, e.udata)
		}
		if e.counter {
			putCounterExpr(&a, unix.NFTA_SET_ELEM_EXPR)
		}
		a.end(n)
	}
	a.end(l)
	return a.b
}

// convert puts a register loaded for the set in the keys' byte order.
func (as *anonSet) convert(r *ruleCtx, reg uint32) {
	if as.hton {
		r.emitByteorder(reg, reg, unix.NFT_BYTEORDER_HTON, int(as.keyLen), int(as.keyLen))
	}
}
