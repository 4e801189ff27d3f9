package xtnl

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// SetElement is one element of a set or map. Keys and values are bytes as
// the kernel compares them (the register format): build them with AddrKey,
// PortKey, MarkKey, IfnameKey, EtherKey and ConcatKey, or PrefixElement
// for a prefix.
type SetElement struct {
	// Key is the element's key, or the first key of a range.
	Key []byte
	// KeyEnd is the last key (inclusive) of a range in an interval set;
	// nil for a single key. Elements read back from an interval set have
	// it only when the range holds more than one key.
	KeyEnd []byte
	// Data is the value of the key in a data map.
	Data []byte
	// Verdict is the value of the key in a verdict map (accept, drop,
	// jump/goto with Chain, ...).
	Verdict *nftexpr.Verdict
	// Timeout overrides the set's default timeout (millisecond precision);
	// the set needs Timeouts.
	Timeout time.Duration
	// Expiration is the time the element has left; read back only.
	Expiration time.Duration
	// Comment is kept in the element's user data, where nft shows it.
	Comment string
}

// AddrKey returns the key of an IPv4 (4 bytes) or IPv6 (16 bytes) address.
func AddrKey(a netip.Addr) []byte { return a.AsSlice() }

// PortKey returns the key of a port (inet_service: network byte order).
func PortKey(p uint16) []byte { return binary.BigEndian.AppendUint16(nil, p) }

// MarkKey returns the key of a packet mark (host byte order, as meta mark
// loads it).
func MarkKey(m uint32) []byte { return binary.NativeEndian.AppendUint32(nil, m) }

// IfnameKey returns the key of an interface name (16 bytes, NUL padded).
func IfnameKey(name string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b[:unix.IFNAMSIZ-1], name)
	return b
}

// EtherKey returns the key of a MAC address (6 bytes).
func EtherKey(mac net.HardwareAddr) []byte { return bytes.Clone(mac) }

// ConcatKey joins the parts of a concatenated key (ipv4_addr .
// inet_service), padding each to a multiple of four bytes as the kernel's
// registers hold them.
func ConcatKey(parts ...[]byte) []byte {
	var k []byte
	for _, p := range parts {
		k = append(k, p...)
		for len(k)%4 != 0 {
			k = append(k, 0)
		}
	}
	return k
}

// PrefixElement returns the element of an interval set covering prefix p.
func PrefixElement(p netip.Prefix) SetElement {
	p = p.Masked()
	first := p.Addr().AsSlice()
	last := bytes.Clone(first)
	for i := p.Bits(); i < len(last)*8; i++ {
		last[i/8] |= 0x80 >> (i % 8)
	}
	e := SetElement{Key: first}
	if !bytes.Equal(first, last) {
		e.KeyEnd = last
	}
	return e
}

// Prefix returns the address prefix e covers, when its key is an address
// and its range (if any) is exactly one prefix.
func (e SetElement) Prefix() (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(e.Key)
	if !ok {
		return netip.Prefix{}, false
	}
	end := e.KeyEnd
	if end == nil {
		end = e.Key
	}
	if len(end) != len(e.Key) {
		return netip.Prefix{}, false
	}
	for bits := 0; bits <= len(e.Key)*8; bits++ {
		p := netip.PrefixFrom(a, bits)
		if p.Masked().Addr() != a {
			continue
		}
		if pe := PrefixElement(p); bytes.Equal(orKey(pe), end) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// orKey is the last key of e's range.
func orKey(e SetElement) []byte {
	if e.KeyEnd != nil {
		return e.KeyEnd
	}
	return e.Key
}

// maxElemsBytes bounds the NFTA_SET_ELEM_LIST_ELEMENTS attribute of one
// message: an attribute's length is 16 bits, so a large batch of elements
// is split over several messages of the same transaction.
const maxElemsBytes = 0xffff - 256

// AddElements adds elements to s (a set added earlier in the same
// transaction is found through s.ID). Elements already present are left as
// they are. Any number of elements may be added in one transaction.
func (tx *Tx) AddElements(s *Set, elems []SetElement) {
	tx.elements("add elements", s, elems, unix.NFT_MSG_NEWSETELEM, unix.NLM_F_CREATE)
}

// CreateElements adds elements to s and fails with ErrExist (changing
// nothing) if any of them is already present.
func (tx *Tx) CreateElements(s *Set, elems []SetElement) {
	tx.elements("create elements", s, elems, unix.NFT_MSG_NEWSETELEM, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
}

// DelElements deletes elements from s; the commit fails with ErrNotExist
// (changing nothing) if one of them is missing. Ranges are deleted by
// giving the same range that was added.
func (tx *Tx) DelElements(s *Set, elems []SetElement) {
	tx.elements("delete elements", s, elems, unix.NFT_MSG_DELSETELEM, 0)
}

// AddElements adds elements to s in their own transaction.
func (c *Conn) AddElements(s *Set, elems []SetElement) error {
	return c.single(func(tx *Tx) { tx.AddElements(s, elems) })
}

// DelElements deletes elements from s in their own transaction.
func (c *Conn) DelElements(s *Set, elems []SetElement) error {
	return c.single(func(tx *Tx) { tx.DelElements(s, elems) })
}

func (tx *Tx) elements(op string, s *Set, elems []SetElement, typ uint16, flags uint16) {
	if err := s.check(); err != nil {
		tx.fail(err)
		return
	}
	if len(elems) == 0 {
		return
	}
	for i := range elems {
		if err := s.checkElem(&elems[i]); err != nil {
			tx.fail(fmt.Errorf("%s: element %d: %w", s, i, err))
			return
		}
	}
	if s.Interval && !s.KeyType.IsConcat() {
		// nft sends ranges in key order; overlapping ones are refused by
		// the kernel either way.
		elems = slices.Clone(elems)
		slices.SortStableFunc(elems, func(a, b SetElement) int { return bytes.Compare(a.Key, b.Key) })
	}
	e := &tx.enc
	first := 0 // index of the first element in the current message
	var msgStart, nest int
	open := func() {
		msgStart = tx.msg(op, s.String(), typ, flags, byte(s.Family))
		e.String(unix.NFTA_SET_ELEM_LIST_TABLE, s.Table)
		e.String(unix.NFTA_SET_ELEM_LIST_SET, s.Name)
		if s.ID != 0 {
			e.Uint32(unix.NFTA_SET_ELEM_LIST_SET_ID, s.ID)
		}
		nest = e.Nest(unix.NFTA_SET_ELEM_LIST_ELEMENTS)
	}
	closeMsg := func(last int) {
		e.EndNest(nest)
		e.End(msgStart)
		tx.nameLast(fmt.Sprintf("elements %d-%d of %s", first, last, s))
	}
	open()
	for i := range elems {
		mark := len(e.B)
		s.appendElem(e, &elems[i])
		if len(e.B)-nest > maxElemsBytes && mark > nest+4 {
			enc := bytes.Clone(e.B[mark:])
			e.B = e.B[:mark]
			closeMsg(i - 1)
			first = i
			open()
			e.B = append(e.B, enc...)
		}
	}
	closeMsg(len(elems) - 1)
}

func (s *Set) checkElem(el *SetElement) error {
	kl := int(s.KeyType.Len)
	if len(el.Key) != kl {
		return invalidf("key of %d bytes, %s keys have %d", len(el.Key), s.KeyType, kl)
	}
	if el.KeyEnd != nil {
		if !s.Interval {
			return invalidf("a range needs an interval set")
		}
		if len(el.KeyEnd) != kl {
			return invalidf("range end of %d bytes, %s keys have %d", len(el.KeyEnd), s.KeyType, kl)
		}
		if bytes.Compare(el.KeyEnd, el.Key) < 0 && !s.KeyType.IsConcat() {
			return invalidf("range end %x before its start %x", el.KeyEnd, el.Key)
		}
	}
	switch {
	case s.DataType == TypeVerdict:
		if el.Verdict == nil {
			return invalidf("an element of a verdict map needs a verdict")
		}
	case s.IsMap():
		if len(el.Data) != int(s.DataType.Len) {
			return invalidf("value of %d bytes, %s values have %d", len(el.Data), s.DataType, s.DataType.Len)
		}
	default:
		if el.Data != nil || el.Verdict != nil {
			return invalidf("a value for an element of a set that is not a map")
		}
	}
	if el.Timeout != 0 && !(s.Timeouts || s.Timeout > 0) {
		return invalidf("an element timeout needs a set with timeouts")
	}
	if len(el.Comment) > maxCommentLen {
		return invalidf("comment of %d bytes, nft allows %d", len(el.Comment), maxCommentLen)
	}
	if el.Timeout < 0 {
		return invalidf("negative timeout")
	}
	return nil
}

// appendElem encodes one element as nft does: in an interval set of a
// simple type a range is two elements, its start and the key just past its
// end flagged NFT_SET_ELEM_INTERVAL_END (left out when the range runs to
// the last key); in a concatenation of ranges it is one element with
// NFTA_SET_ELEM_KEY_END.
func (s *Set) appendElem(e *nfnl.Encoder, el *SetElement) {
	n := e.Nest(unix.NFTA_LIST_ELEM)
	if el.Timeout > 0 {
		e.Uint64(unix.NFTA_SET_ELEM_TIMEOUT, uint64(el.Timeout.Milliseconds()))
	}
	appendData(e, unix.NFTA_SET_ELEM_KEY, el.Key)
	if s.Interval && s.KeyType.IsConcat() {
		appendData(e, setElemAttrKeyEnd, orKey(*el))
	}
	switch {
	case el.Verdict != nil:
		d := e.Nest(unix.NFTA_SET_ELEM_DATA)
		v := e.Nest(unix.NFTA_DATA_VERDICT)
		e.Uint32(unix.NFTA_VERDICT_CODE, uint32(int32(el.Verdict.Kind)))
		if el.Verdict.Chain != "" {
			e.String(unix.NFTA_VERDICT_CHAIN, el.Verdict.Chain)
		}
		e.EndNest(v)
		e.EndNest(d)
	case el.Data != nil:
		appendData(e, unix.NFTA_SET_ELEM_DATA, el.Data)
	}
	if el.Comment != "" {
		e.Bytes(unix.NFTA_SET_ELEM_USERDATA, udataStrz(nil, udataSetElemComment, el.Comment))
	}
	e.EndNest(n)
	if !s.Interval || s.KeyType.IsConcat() {
		return
	}
	end := bytes.Clone(orKey(*el))
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			n = e.Nest(unix.NFTA_LIST_ELEM)
			e.Uint32(unix.NFTA_SET_ELEM_FLAGS, unix.NFT_SET_ELEM_INTERVAL_END)
			appendData(e, unix.NFTA_SET_ELEM_KEY, end)
			e.EndNest(n)
			return
		}
	}
	// Wrapped: the range ends at the last key, no end element.
}

// appendData appends a nested NFTA_DATA_VALUE attribute.
func appendData(e *nfnl.Encoder, typ uint16, v []byte) {
	n := e.Nest(typ)
	e.Bytes(unix.NFTA_DATA_VALUE, v)
	e.EndNest(n)
}

// ListElements returns the elements of set s, sorted by key. Ranges of an
// interval set come back as single elements with KeyEnd, however they were
// encoded. s needs Family, Table and Name; its other fields are read from
// the kernel when KeyType is unset.
func (c *Conn) ListElements(s *Set) ([]SetElement, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	def := s
	if s.KeyType.Len == 0 {
		var err error
		if def, err = c.GetSet(s.Family, s.Table, s.Name); err != nil {
			return nil, err
		}
	}
	what := "elements of " + s.String()
	var raw []rawElem
	err := c.dump(what, unix.NFT_MSG_GETSETELEM, byte(s.Family), func(e *nfnl.Encoder) {
		e.String(unix.NFTA_SET_ELEM_LIST_TABLE, s.Table)
		e.String(unix.NFTA_SET_ELEM_LIST_SET, s.Name)
	}, func() { raw = raw[:0] }, func(m message) error {
		var err error
		raw, err = decodeElems(raw, m.Data)
		if err != nil {
			return fmt.Errorf("xtnl: decode %s: %w", what, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return def.joinIntervals(raw), nil
}

// rawElem is an element as the kernel dumps it.
type rawElem struct {
	SetElement
	flags uint32
}

func decodeElems(out []rawElem, b []byte) ([]rawElem, error) {
	if len(b) < nfgenmsgLen {
		return out, ErrTruncated
	}
	a := nlattr.NewDecoder(b[nfgenmsgLen:])
	for a.Next() {
		if a.Type() != unix.NFTA_SET_ELEM_LIST_ELEMENTS {
			continue
		}
		l := nlattr.NewDecoder(a.Bytes())
		for l.Next() {
			if l.Type() != unix.NFTA_LIST_ELEM {
				continue
			}
			el, err := decodeElem(l.Bytes())
			if err != nil {
				return out, err
			}
			out = append(out, el)
		}
		if l.Err() != nil {
			return out, malformed(l.Err())
		}
	}
	return out, malformed(a.Err())
}

func decodeElem(b []byte) (rawElem, error) {
	var el rawElem
	a := nlattr.NewDecoder(b)
	for a.Next() {
		switch a.Type() {
		case unix.NFTA_SET_ELEM_KEY:
			el.Key = nfnl.DataValue(a.Bytes())
		case setElemAttrKeyEnd:
			el.KeyEnd = nfnl.DataValue(a.Bytes())
		case unix.NFTA_SET_ELEM_FLAGS:
			el.flags = a.Uint32()
		case unix.NFTA_SET_ELEM_TIMEOUT:
			el.Timeout = time.Duration(a.Uint64()) * time.Millisecond
		case unix.NFTA_SET_ELEM_EXPIRATION:
			el.Expiration = time.Duration(a.Uint64()) * time.Millisecond
		case unix.NFTA_SET_ELEM_USERDATA:
			el.Comment = udataString(a.Bytes(), udataSetElemComment)
		case unix.NFTA_SET_ELEM_DATA:
			d := nlattr.NewDecoder(a.Bytes())
			for d.Next() {
				switch d.Type() {
				case unix.NFTA_DATA_VALUE:
					el.Data = bytes.Clone(d.Bytes())
				case unix.NFTA_DATA_VERDICT:
					v := &nftexpr.Verdict{}
					va := nlattr.NewDecoder(d.Bytes())
					for va.Next() {
						switch va.Type() {
						case unix.NFTA_VERDICT_CODE:
							v.Kind = nftexpr.VerdictKind(int32(va.Uint32()))
						case unix.NFTA_VERDICT_CHAIN:
							v.Chain = va.String()
						}
					}
					if va.Err() != nil {
						return el, malformed(va.Err())
					}
					el.Verdict = v
				}
			}
			if d.Err() != nil {
				return el, malformed(d.Err())
			}
		}
	}
	return el, malformed(a.Err())
}

// joinIntervals turns the kernel's elements into the caller's view: in an
// interval set of a simple type each start element is paired with the end
// element after it (the range ends one key before it; with none, at the
// last key), and end elements disappear. Concatenated ranges already carry
// their end. Keys are sorted.
func (s *Set) joinIntervals(raw []rawElem) []SetElement {
	out := make([]SetElement, 0, len(raw))
	if !s.Interval || s.KeyType.IsConcat() {
		for _, r := range raw {
			el := r.SetElement
			if el.KeyEnd != nil && bytes.Equal(el.KeyEnd, el.Key) {
				el.KeyEnd = nil
			}
			out = append(out, el)
		}
		slices.SortFunc(out, func(a, b SetElement) int { return bytes.Compare(a.Key, b.Key) })
		return out
	}
	// At equal keys an end comes first: [1,5] and [6,9] are stored as
	// 1, end 6, 6, end 10.
	slices.SortFunc(raw, func(a, b rawElem) int {
		if c := bytes.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return int(b.flags&unix.NFT_SET_ELEM_INTERVAL_END) - int(a.flags&unix.NFT_SET_ELEM_INTERVAL_END)
	})
	for i, r := range raw {
		if r.flags&unix.NFT_SET_ELEM_INTERVAL_END != 0 || r.flags&nftSetElemCatchAll != 0 {
			continue
		}
		el := r.SetElement
		var last []byte
		if i+1 < len(raw) && raw[i+1].flags&unix.NFT_SET_ELEM_INTERVAL_END != 0 {
			last = bytes.Clone(raw[i+1].Key)
			for j := len(last) - 1; j >= 0; j-- {
				last[j]--
				if last[j] != 0xff {
					break
				}
			}
		} else {
			last = bytes.Repeat([]byte{0xff}, len(el.Key))
		}
		if !bytes.Equal(last, el.Key) {
			el.KeyEnd = last
		}
		out = append(out, el)
	}
	return out
}
