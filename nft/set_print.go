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
	name     string
	handle   uint64
	flags    uint32
	keyType  uint32
	keyLen   uint32
	dataType uint32
	dataLen  uint32
	timeout  uint64
	udata    []byte
	elems    []kElem
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
			keyType: a.u32(unix.NFTA_SET_KEY_TYPE), keyLen: a.u32(unix.NFTA_SET_KEY_LEN), dataType: a.u32(unix.NFTA_SET_DATA_TYPE),
			dataLen: a.u32(unix.NFTA_SET_DATA_LEN), timeout: a.u64(unix.NFTA_SET_TIMEOUT), udata: append([]byte(nil), a[unix.NFTA_SET_USERDATA]...)}
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
				if ea.has(nftaSetElemKeyEnd) {
					e.keyEnd = append([]byte(nil), ea.value(nftaSetElemKeyEnd)...)
				}
				if code, ch, ok := ea.verdict(unix.NFTA_SET_ELEM_DATA); ok {
					e.isVerd, e.vcode, e.vchain = true, code, ch
				} else if ea.has(unix.NFTA_SET_ELEM_DATA) {
					e.data = append([]byte(nil), ea.value(unix.NFTA_SET_ELEM_DATA)...)
				}
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
	fmt.Fprintf(b, "%s\ttype %s", ind, typeNames(kts))
	var dt *Datatype
	if s.flags&setMap != 0 {
		if s.dataType == unix.NFT_DATA_VERDICT {
			b.WriteString(" : verdict")
		} else {
			dt = keyTypes(s.dataType, s.dataLen)[0]
			fmt.Fprintf(b, " : %s", dt.Name)
		}
	}
	b.WriteString("\n")
	var flags []string
	if s.flags&setConstant != 0 {
		flags = append(flags, "constant")
	}
	if s.flags&setInterval != 0 {
		flags = append(flags, "interval")
	}
	if s.flags&setTimeout != 0 {
		flags = append(flags, "timeout")
	}
	if s.flags&setEval != 0 {
		flags = append(flags, "dynamic")
	}
	if len(flags) > 0 {
		fmt.Fprintf(b, "%s\tflags %s\n", ind, strings.Join(flags, ","))
	}
	if s.timeout != 0 {
		fmt.Fprintf(b, "%s\ttimeout %s\n", ind, formatTime(s.timeout))
	}
	if len(s.elems) > 0 {
		fmt.Fprintf(b, "%s\telements = { %s }\n", ind, strings.Join(setElemTexts(s, kts, dt, udataOrder(s.udata, orderHostDefault(kts)), o), ", "))
	}
	b.WriteString(ind + "}\n")
}

func orderHostDefault(kts []*Datatype) byteOrder {
	if len(kts) == 1 {
		return kts[0].Order
	}
	return orderBig
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
	elems := append([]kElem(nil), s.elems...)
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
			if i+1 < len(elems) && elems[i+1].flags&elemIntervalEnd != 0 {
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
	var out []string
	for _, e := range elems {
		out = append(out, keyText(kts, e.key, order, o)+elemData(e, s, dt, o))
	}
	return out
}

func sortElems(elems []kElem, order byteOrder) {
	for i := 1; i < len(elems); i++ {
		for j := i; j > 0 && bytes.Compare(fromReg(elems[j].key, order), fromReg(elems[j-1].key, order)) < 0; j-- {
			elems[j], elems[j-1] = elems[j-1], elems[j]
		}
	}
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
	n := numericOptions(o)
	return formatValue(dt, lo, n) + "-" + formatValue(dt, hi, n)
}

// numericOptions are o for printing a range: nft prints both ends as
// numbers, without service or user names.
func numericOptions(o *PrintOptions) *PrintOptions {
	n := PrintOptions{}
	if o != nil {
		n = *o
	}
	n.Numeric, n.Services = true, false
	return &n
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
		// the key as its expression loaded it (meta protocol is
		// big-endian though ether_type is host); strings are never swapped
		if kts[0].root() == dtString {
			order = orderBig
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
		po := dt.Order
		if dt.root() == dtString {
			po = orderBig
		}
		parts = append(parts, formatValue(dt, fromReg(key[off:off+n], po), o))
		off += int(regSpace(n)) * 4
	}
	return parts
}

func elemData(e kElem, s *kSet, dt *Datatype, o *PrintOptions) string {
	if s.flags&setMap == 0 {
		return ""
	}
	if e.isVerd {
		v := verdictName(e.vcode)
		if e.vchain != "" {
			v += " " + e.vchain
		}
		return " : " + v
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
