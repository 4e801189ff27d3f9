package nft

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// Sets as the kernel holds them, and their printing.

type kSet struct {
	name       string
	handle     uint64
	flags      uint32
	keyType    uint32
	keyLen     uint32
	dataType   uint32
	dataLen    uint32
	timeout    uint64
	size       uint32  // NFTA_SET_DESC_SIZE, 0 when unbounded
	policy     uint32  // NFTA_SET_POLICY
	gcInterval uint32  // ms
	exprs      []kExpr // stateful expressions every element gets (counter)
	udata      []byte
	elems      []kElem
	objType    uint32 // an object map's (NFTA_SET_OBJ_TYPE)
}

type kElem struct {
	key    []byte
	keyEnd []byte
	flags  uint32
	data   []byte
	vcode  int32
	vchain string
	isVerd bool
	udata  []byte // comment
	// timeout and expiration (time left) in ms, 0 when none
	timeout, expiration uint64
	exprs               []kExpr // stateful expressions (counter)
	objref              string  // an object map's value (NFTA_SET_ELEM_OBJREF)
}

func readSets(c *xtnl.Conn, rs *ruleset, fam xtnl.Family, table string) error {
	var filter []byte
	if table != "" {
		var ab attrBuf
		ab.str(unix.NFTA_SET_TABLE, table)
		filter = ab.b
	}
	type pset struct {
		fam   xtnl.Family
		table string
		s     *kSet
	}
	var sets []pset
	err := c.DumpRaw(unix.NFT_MSG_GETSET, fam, filter, func() { sets = nil }, func(m xtnl.RawMessage) error {
		a := attrsOf(m.Attrs)
		s := &kSet{name: a.str(unix.NFTA_SET_NAME), handle: a.u64(nftaSetHandle), flags: a.u32(unix.NFTA_SET_FLAGS),
			keyType: a.u32(unix.NFTA_SET_KEY_TYPE), keyLen: a.u32(unix.NFTA_SET_KEY_LEN), dataType: a.u32(unix.NFTA_SET_DATA_TYPE), objType: a.u32(unix.NFTA_SET_OBJ_TYPE),
			dataLen: a.u32(unix.NFTA_SET_DATA_LEN), timeout: a.u64(unix.NFTA_SET_TIMEOUT), udata: append([]byte(nil), a[unix.NFTA_SET_USERDATA]...)}
		s.policy, s.gcInterval = a.u32(nftaSetPolicy), a.u32(nftaSetGCInterval)
		s.exprs = kStateful(a, nftaSetExpr, nftaSetExpressions)
		if desc, ok := a[unix.NFTA_SET_DESC]; ok {
			s.size = attrsOf(desc).u32(unix.NFTA_SET_DESC_SIZE)
		}
		sets = append(sets, pset{m.Family, a.str(unix.NFTA_SET_TABLE), s})
		return nil
	})
	if err != nil {
		return fmt.Errorf("list sets: %w", err)
	}
	for _, p := range sets {
		t := rs.table(p.fam, p.table)
		if t == nil {
			continue
		}
		var ab attrBuf
		ab.str(unix.NFTA_SET_ELEM_LIST_TABLE, p.table)
		ab.str(unix.NFTA_SET_ELEM_LIST_SET, p.s.name)
		s := p.s
		err := c.DumpRaw(unix.NFT_MSG_GETSETELEM, p.fam, ab.b, func() { s.elems = nil }, func(m xtnl.RawMessage) error {
			a := attrsOf(m.Attrs)
			for _, el := range parseAttrs(a[unix.NFTA_SET_ELEM_LIST_ELEMENTS]) {
				ea := attrsOf(el.data)
				e := kElem{key: append([]byte(nil), ea.value(unix.NFTA_SET_ELEM_KEY)...), flags: ea.u32(unix.NFTA_SET_ELEM_FLAGS),
					udata: append([]byte(nil), ea[unix.NFTA_SET_ELEM_USERDATA]...)}
				e.timeout, e.expiration = ea.u64(unix.NFTA_SET_ELEM_TIMEOUT), ea.u64(unix.NFTA_SET_ELEM_EXPIRATION)
				e.exprs = kStateful(ea, unix.NFTA_SET_ELEM_EXPR, nftaSetElemExpressions)
				if ea.has(nftaSetElemKeyEnd) {
					e.keyEnd = append([]byte(nil), ea.value(nftaSetElemKeyEnd)...)
				}
				if code, ch, ok := ea.verdict(unix.NFTA_SET_ELEM_DATA); ok {
					e.isVerd, e.vcode, e.vchain = true, code, ch
				} else if ea.has(unix.NFTA_SET_ELEM_DATA) {
					e.data = append([]byte(nil), ea.value(unix.NFTA_SET_ELEM_DATA)...)
				}
				e.objref = ea.str(unix.NFTA_SET_ELEM_OBJREF)
				s.elems = append(s.elems, e)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("list set %s: %w", s.name, err)
		}
		t.sets = append(t.sets, s)
	}
	return nil
}

func (t *kTable) set(name string) *kSet {
	for _, s := range t.sets {
		if s.name == name {
			return s
		}
	}
	return nil
}

// keyTypes splits a set's key type id into its parts.
func keyTypes(id uint32, keyLen uint32) []*Datatype {
	var ids []uint32
	for id != 0 {
		ids = append([]uint32{id & (1<<typeBits - 1)}, ids...)
		id >>= typeBits
	}
	var out []*Datatype
	for _, i := range ids {
		dt := typeByID(i)
		if dt == nil {
			dt = &Datatype{ID: i, Name: "integer", Bits: int(keyLen) * 8, Order: orderHost, Base: dtInteger}
		}
		out = append(out, dt)
	}
	if len(out) == 0 {
		out = append(out, &Datatype{ID: typeInteger, Name: "integer", Bits: int(keyLen) * 8, Order: orderHost, Base: dtInteger})
	}
	return out
}

func typeNames(dts []*Datatype) string {
	n := make([]string, len(dts))
	for i, d := range dts {
		n[i] = d.Name
	}
	return strings.Join(n, " . ")
}

func printSet(b *strings.Builder, t *kTable, s *kSet, o *PrintOptions, ind string) {
	kw := "set"
	if s.flags&setMap != 0 {
		kw = "map"
	}
	fmt.Fprintf(b, "%s%s %s {", ind, kw, s.name)
	if o.Handles {
		fmt.Fprintf(b, " # handle %d", s.handle)
	}
	b.WriteString("\n")
	kts := keyTypes(s.keyType, s.keyLen)
	if t := typeofText(s.udata); t != "" {
		fmt.Fprintf(b, "%s\ttypeof %s", ind, t)
	} else {
		fmt.Fprintf(b, "%s\ttype %s", ind, typeNames(kts))
	}
	var dt *Datatype
	if s.flags&setMap != 0 {
		if s.dataType == unix.NFT_DATA_VERDICT {
			b.WriteString(" : verdict")
		} else {
			dts := keyTypes(s.dataType, s.dataLen)
			dt = dts[0]
			if t := dataTypeofText(s.udata); t != "" {
				fmt.Fprintf(b, " : %s", t)
			} else {
				fmt.Fprintf(b, " : %s", typeNames(dts))
			}
		}
	}
	b.WriteString("\n")
	b.WriteString(setPolicyLine(s, ind))
	if s.size > 0 && s.flags&setConstant == 0 {
		fmt.Fprintf(b, "%s\tsize %d\n", ind, s.size)
	}
	b.WriteString(setFlagsLine(s, ind))
	b.WriteString(setStatefulLine(s, ind))
	b.WriteString(setTrailerLines(s, ind, o))
	if len(s.elems) > 0 && !o.terse {
		fmt.Fprintf(b, "%s\telements = { %s }\n", ind, joinElems(s.keyType, setElemTexts(s, kts, dt, elemKeyOrder(s, kts), o)))
	}
	b.WriteString(ind + "}\n")
}

func orderHostDefault(kts []*Datatype) byteOrder {
	if len(kts) == 1 {
		return kts[0].Order
	}
	return orderBig
}

// elemKeyOrder is the byte order of a set's element keys: the key's, but
// an interval set holds a host-endian number in network order
// (netlink_delinearize_setelem switches only outside interval sets).
func elemKeyOrder(s *kSet, kts []*Datatype) byteOrder {
	order := udataOrder(s.udata, orderHostDefault(kts))
	if s.flags&setInterval != 0 && order == orderHost && len(kts) == 1 && kts[0].root() != dtString {
		return orderBig
	}
	return order
}

// udataOrder reads the key byte order nft stored in the set's user data.
func udataOrder(u []byte, def byteOrder) byteOrder {
	for len(u) >= 2 {
		t, l := u[0], int(u[1])
		if 2+l > len(u) {
			break
		}
		if t == 0 && l == 4 {
			return byteOrder(u[2])
		}
		u = u[2+l:]
	}
	return def
}

// setElemTexts prints a set's elements: intervals joined back from their
// start and end elements.
func setElemTexts(s *kSet, kts []*Datatype, dt *Datatype, order byteOrder, o *PrintOptions) []string {
	elems, catchall := splitCatchall(s.elems)
	out := setElemTextsKeyed(s, elems, kts, dt, order, o)
	if catchall != nil {
		out = append(out, "*"+elemData(*catchall, s, dt, o))
	}
	return out
}

// setElemTextsKeyed prints the elements that have a key.
func setElemTextsKeyed(s *kSet, elems []kElem, kts []*Datatype, dt *Datatype, order byteOrder, o *PrintOptions) []string {
	if s.flags&setInterval != 0 && len(kts) == 1 {
		// the kernel dumps intervals from high to low: sort ascending by
		// value
		sortElems(elems, order)
		var out []string
		for i := 0; i < len(elems); i++ {
			e := elems[i]
			if e.flags&elemIntervalEnd != 0 {
				continue
			}
			lo := fromReg(e.key, order)
			var hi []byte
			if i+1 < len(elems) {
				// an interval ends before the next one's end marker or,
				// when they are adjacent, before the next one's start
				end := fromReg(elems[i+1].key, order)
				hi = decrement(end)
			} else {
				hi = bytes.Repeat([]byte{0xff}, len(lo))
			}
			out = append(out, intervalText(kts[0], lo, hi, o)+elemData(e, s, dt, o))
		}
		return out
	}
	// nft prints a hash set's elements sorted by value; the kernel dumps
	// them in hash order.
	sortElems(elems, order)
	if len(kts) == 1 && kts[0].Bitmask {
		elems = flagOrder(elems, order)
	}
	if order == orderInvalid && len(kts) > 1 && s.flags&setInterval == 0 {
		// a concatenation's key: as nft's mergesort orders it
		elems = concatSorted(elems, kts)
	}
	var out []string
	for _, e := range elems {
		if len(kts) > 1 && e.keyEnd != nil {
			out = append(out, concatRangeText(kts, e.key, e.keyEnd, o)+elemData(e, s, dt, o))
			continue
		}
		out = append(out, keyText(kts, e.key, order, o)+elemData(e, s, dt, o))
	}
	return out
}

func sortElems(elems []kElem, order byteOrder) {
	if order == orderInvalid {
		return // already in the order nft lists them (concatSorted)
	}
	for i := 1; i < len(elems); i++ {
		for j := i; j > 0 && elemLess(elems[j], elems[j-1], order); j-- {
			elems[j], elems[j-1] = elems[j-1], elems[j]
		}
	}
}

// elemLess orders elements by key; at the same key an interval's end
// comes before the next interval's start (192.168.0.0/24 ends where
// 192.168.1.0/24 starts).
func elemLess(a, b kElem, order byteOrder) bool {
	if c := bytes.Compare(fromReg(a.key, order), fromReg(b.key, order)); c != 0 {
		return c < 0
	}
	return a.flags&elemIntervalEnd != 0 && b.flags&elemIntervalEnd == 0
}

func fromReg(b []byte, o byteOrder) []byte { return regBytes(b, o) }

func decrement(b []byte) []byte {
	out := append([]byte(nil), b...)
	for i := len(out) - 1; i >= 0; i-- {
		out[i]--
		if out[i] != 0xff {
			break
		}
	}
	return out
}

// intervalText prints [lo, hi] as a value, a prefix or a range.
func intervalText(dt *Datatype, lo, hi []byte, o *PrintOptions) string {
	if bytes.Equal(lo, hi) {
		return formatValue(dt, lo, o)
	}
	if plen, ok := prefixLen(lo, hi); ok && (dt == dtIPv4 || dt == dtIPv6) {
		return fmt.Sprintf("%s/%d", formatValue(dt, lo, o), plen)
	}
	ro := rangeOptions(o) // a range prints numerically
	return formatValue(dt, lo, ro) + "-" + formatValue(dt, hi, ro)
}

func prefixLen(lo, hi []byte) (int, bool) {
	bits := len(lo) * 8
	n := 0
	for i := 0; i < bits; i++ {
		bl := lo[i/8] >> (7 - i%8) & 1
		bh := hi[i/8] >> (7 - i%8) & 1
		if bl == bh {
			if n != i {
				return 0, false
			}
			n++
			continue
		}
		if bl != 0 || bh != 1 {
			return 0, false
		}
	}
	return n, true
}

func keyText(kts []*Datatype, key []byte, order byteOrder, o *PrintOptions) string {
	return strings.Join(keyParts(kts, key, order, o), " . ")
}

// keyParts prints each part of a (concatenated) key.
func keyParts(kts []*Datatype, key []byte, order byteOrder, o *PrintOptions) []string {
	if len(kts) == 1 {
		if kts[0].root() == dtString {
			order = orderBig // strings sit in registers as written
		}
		return []string{formatValue(kts[0], fromReg(key, order), o)}
	}
	var parts []string
	off := 0
	for _, dt := range kts {
		n := dt.bytesLen()
		if off+n > len(key) {
			break
		}
		parts = append(parts, formatValue(dt, fromReg(key[off:off+n], partOrder(dt)), o))
		off += int(regSpace(n)) * 4
	}
	return parts
}

// partOrder is how a concatenation part's bytes sit in its register:
// strings as written, others in their type's order.
func partOrder(dt *Datatype) byteOrder {
	if dt.root() == dtString {
		return orderBig
	}
	return dt.Order
}

// elemData prints what follows an element's key: its timeout, time
// left and comment, then a map's value.
func elemData(e kElem, s *kSet, dt *Datatype, o *PrintOptions) string {
	return elemExtras(e, s, o) + elemValue(e, s, dt, o)
}

func elemValue(e kElem, s *kSet, dt *Datatype, o *PrintOptions) string {
	if s.flags&setMap == 0 {
		return ""
	}
	if t, ok := mapDataText(e, s, o); ok {
		return " : " + t
	}
	if e.isVerd {
		v := verdictName(e.vcode)
		if e.vchain != "" {
			v += " " + e.vchain
		}
		return " : " + v
	}
	if parts := keyTypes(s.dataType, s.dataLen); len(parts) > 1 && e.data != nil {
		return " : " + keyText(parts, e.data, orderBig, o)
	}
	if dt != nil && e.data != nil {
		return " : " + formatValue(dt, fromReg(e.data, dt.Order), o)
	}
	return ""
}

func formatTime(ms uint64) string {
	var b strings.Builder
	units := []struct {
		n uint64
		s string
	}{{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}}
	for _, u := range units {
		if ms >= u.n {
			fmt.Fprintf(&b, "%d%s", ms/u.n, u.s)
			ms %= u.n
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}

// joinElems joins a named set's element texts as nft does: a few to a
// line for small types (five integers, services, marks...; two IPv4
// addresses or conntrack states), otherwise one a line; continuation
// lines are indented by a fixed three tabs and five spaces.
func joinElems(keyType uint32, texts []string) string {
	per := 1
	switch keyType {
	case typeNfproto, typeInteger, typeArpOp, typeInetProto, typeInetService, typeTCPFlag, dtDCCPType.ID, typeMark,
		typeIfIndex, typeClassID, typeUID, typeGID, typeCtDir:
		per = 5
	case typeIPAddr, typeCtState, typeCtStatus, typePktType:
		per = 2
	}
	var b strings.Builder
	for i, t := range texts {
		if i > 0 {
			if i%per == 0 {
				b.WriteString(",\n\t\t\t     ")
			} else {
				b.WriteString(", ")
			}
		}
		b.WriteString(t)
	}
	return b.String()
}

// setFlagsLine is a set declaration's flags line, in nft's order
// (constant, dynamic, interval, timeout). A default timeout implies the
// timeout flag: with no other flag, the line is left out (but with
// another, nft lists timeout too).
func setFlagsLine(s *kSet, ind string) string {
	if s.flags&(setConstant|setEval|setInterval) == 0 && (s.flags&setTimeout == 0 || s.timeout != 0) {
		return ""
	}
	var flags []string
	if s.flags&setConstant != 0 {
		flags = append(flags, "constant")
	}
	if s.flags&setEval != 0 {
		flags = append(flags, "dynamic")
	}
	if s.flags&setInterval != 0 {
		flags = append(flags, "interval")
	}
	if s.flags&setTimeout != 0 {
		flags = append(flags, "timeout")
	}
	return ind + "\tflags " + strings.Join(flags, ",") + "\n"
}

// elemExtras prints an element's own timeout (when the kernel reports
// one), its time left unless stateless, and its comment, as nft does.
func elemExtras(e kElem, s *kSet, o *PrintOptions) string {
	var b strings.Builder
	b.WriteString(statefulElemText(e.exprs, o))
	if e.timeout != 0 && e.timeout != s.timeout {
		b.WriteString(" timeout " + durationText(e.timeout, o))
	}
	if e.expiration != 0 && (o == nil || !o.Stateless) {
		b.WriteString(" expires " + formatTime(e.expiration))
	}
	if c := udataString(e.udata, 0); c != "" {
		fmt.Fprintf(&b, " comment %q", c)
	}
	return b.String()
}
