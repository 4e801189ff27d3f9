package nft

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// attrBuf builds netlink attributes in the order libnftnl lays them out.
type attrBuf struct{ b []byte }

func (a *attrBuf) raw(typ uint16, data []byte) {
	a.header(typ, len(data))
	a.b = append(a.b, data...)
	a.pad()
}

// header appends an attribute's length and type for n bytes of data.
// The first append reserves room for a typical expression, so that
// building one costs one allocation rather than one per doubling.
func (a *attrBuf) header(typ uint16, n int) {
	if a.b == nil {
		a.b = make([]byte, 0, 64)
	}
	a.b = binary.NativeEndian.AppendUint16(a.b, uint16(4+n))
	a.b = binary.NativeEndian.AppendUint16(a.b, typ)
}

// pad aligns the buffer to 4 bytes, as netlink aligns attributes.
func (a *attrBuf) pad() {
	if n := len(a.b) % 4; n != 0 {
		a.b = append(a.b, make([]byte, 4-n)...)
	}
}

func (a *attrBuf) u32(typ uint16, v uint32) {
	a.header(typ, 4)
	a.b = binary.BigEndian.AppendUint32(a.b, v)
}

func (a *attrBuf) u64(typ uint16, v uint64) {
	a.header(typ, 8)
	a.b = binary.BigEndian.AppendUint64(a.b, v)
}

func (a *attrBuf) str(typ uint16, s string) {
	a.header(typ, len(s)+1)
	a.b = append(a.b, s...)
	a.b = append(a.b, 0)
	a.pad()
}

func (a *attrBuf) nest(typ uint16) int {
	start := len(a.b)
	a.header(typ|unix.NLA_F_NESTED, 0)
	return start
}

func (a *attrBuf) end(start int) {
	binary.NativeEndian.PutUint16(a.b[start:], uint16(len(a.b)-start))
}

// data writes an NFTA_DATA_VALUE nested in attribute typ.
func (a *attrBuf) data(typ uint16, v []byte) {
	n := a.nest(typ)
	a.raw(unix.NFTA_DATA_VALUE, v)
	a.end(n)
}

// verdictData writes an NFTA_DATA_VERDICT nested in attribute typ.
func (a *attrBuf) verdictData(typ uint16, code int32, chain string) {
	n := a.nest(typ)
	v := a.nest(unix.NFTA_DATA_VERDICT)
	a.u32(unix.NFTA_VERDICT_CODE, uint32(code))
	if chain != "" {
		a.str(unix.NFTA_VERDICT_CHAIN, chain)
	}
	a.end(v)
	a.end(n)
}

// nexpr is one kernel expression: its name and NFTA_EXPR_DATA content.
type nexpr struct {
	name string
	data []byte
}

// attrs is a decoded attribute list.
type nlattr struct {
	typ  uint16
	data []byte
}

func parseAttrs(b []byte) []nlattr {
	var out []nlattr
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b))
		t := binary.NativeEndian.Uint16(b[2:]) &^ (unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER)
		if l < 4 || l > len(b) {
			break
		}
		out = append(out, nlattr{t, b[4:l]})
		al := (l + 3) &^ 3
		if al > len(b) {
			al = len(b)
		}
		b = b[al:]
	}
	return out
}

type attrMap map[uint16][]byte

func attrsOf(b []byte) attrMap {
	m := attrMap{}
	for _, a := range parseAttrs(b) {
		m[a.typ] = a.data
	}
	return m
}

func (m attrMap) has(t uint16) bool { _, ok := m[t]; return ok }

func (m attrMap) u32(t uint16) uint32 {
	if b := m[t]; len(b) >= 4 {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (m attrMap) u64(t uint16) uint64 {
	if b := m[t]; len(b) >= 8 {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (m attrMap) str(t uint16) string {
	b := m[t]
	if i := indexZero(b); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// value returns the NFTA_DATA_VALUE inside attribute t.
func (m attrMap) value(t uint16) []byte {
	return attrsOf(m[t])[unix.NFTA_DATA_VALUE]
}

// verdict returns the verdict code and chain inside attribute t.
func (m attrMap) verdict(t uint16) (code int32, chain string, ok bool) {
	v, ok := attrsOf(m[t])[unix.NFTA_DATA_VERDICT]
	if !ok {
		return 0, "", false
	}
	vm := attrsOf(v)
	return int32(vm.u32(unix.NFTA_VERDICT_CODE)), vm.str(unix.NFTA_VERDICT_CHAIN), true
}
