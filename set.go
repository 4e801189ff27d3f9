package xtnl

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// Set attributes and flags x/sys/unix does not export (linux/netfilter/
// nf_tables.h).
const (
	setAttrHandle      = nfnl.NFTA_SET_HANDLE
	nftaSetDescConcat  = nfnl.NFTA_SET_DESC_CONCAT
	nftaSetFieldLen    = nfnl.NFTA_SET_FIELD_LEN
	setElemAttrKeyEnd  = nfnl.NFTA_SET_ELEM_KEY_END
	nftSetConcat       = nfnl.NFT_SET_CONCAT
	nftSetElemCatchAll = nfnl.NFT_SET_ELEM_CATCHALL
)

// User data tags libnftnl defines for sets (libnftnl/udata.h). nft keeps the
// key's byte order there: without it `nft list set` prints addresses and
// ports of our sets as raw integers.
const (
	udataSetKeyByteOrder  = 0 // NFTNL_UDATA_SET_KEYBYTEORDER
	udataSetDataByteOrder = 1 // NFTNL_UDATA_SET_DATABYTEORDER
	udataSetDataInterval  = 6 // NFTNL_UDATA_SET_DATA_INTERVAL
	udataSetComment       = 7 // NFTNL_UDATA_SET_COMMENT
	udataSetElemComment   = 0 // NFTNL_UDATA_SET_ELEM_COMMENT

	byteOrderInvalid = 0 // concatenations, verdicts
	byteOrderHost    = 1
	byteOrderBig     = 2
)

// SetType is the data type of a set's keys or of a map's values, as nft
// names and numbers it (a set's type is kept by the kernel as an opaque
// number that nft interprets). Use the predefined types and Concat; the
// zero SetType means "none" (the value type of a plain set).
type SetType struct {
	// Name is nft's spelling: "ipv4_addr", "ipv4_addr . inet_service".
	Name string
	// ID is nft's datatype number; a concatenation packs its parts' numbers
	// six bits each, first part highest.
	ID uint32
	// Len is the length of a key (or value) in bytes. In a concatenation
	// each part is padded to four bytes.
	Len   uint32
	order uint32 // byte order recorded in the set's user data
}

// The data types of keys and values nft knows by name.
var (
	TypeIPv4Addr    = SetType{Name: "ipv4_addr", ID: 7, Len: 4, order: byteOrderBig}
	TypeIPv6Addr    = SetType{Name: "ipv6_addr", ID: 8, Len: 16, order: byteOrderBig}
	TypeEtherAddr   = SetType{Name: "ether_addr", ID: 9, Len: 6, order: byteOrderBig}
	TypeInetProto   = SetType{Name: "inet_proto", ID: 12, Len: 1, order: byteOrderBig}
	TypeInetService = SetType{Name: "inet_service", ID: 13, Len: 2, order: byteOrderBig}
	TypeMark        = SetType{Name: "mark", ID: 19, Len: 4, order: byteOrderHost}
	TypeIfaceIndex  = SetType{Name: "iface_index", ID: 20, Len: 4, order: byteOrderHost}
	TypeIfname      = SetType{Name: "ifname", ID: 41, Len: 16, order: byteOrderHost}
	// TypeVerdict is the value type of a verdict map (accept, drop, jump
	// CHAIN, ...): elements carry a Verdict instead of Data.
	TypeVerdict = SetType{Name: "verdict", ID: unix.NFT_DATA_VERDICT, Len: 0}
)

var knownTypes = []SetType{TypeIPv4Addr, TypeIPv6Addr, TypeEtherAddr, TypeInetProto,
	TypeInetService, TypeMark, TypeIfaceIndex, TypeIfname}

const typeBits = 6 // nft's TYPE_BITS: width of one part of a concatenation's number

// Concat returns the concatenation of types ("ipv4_addr . inet_service"):
// keys are the parts' values one after the other, each padded to a multiple
// of four bytes (see ConcatKey).
func Concat(types ...SetType) SetType {
	var c SetType
	names := make([]string, 0, len(types))
	for _, t := range types {
		c.ID = c.ID<<typeBits | t.ID
		c.Len += pad4(t.Len)
		names = append(names, t.Name)
	}
	c.Name = strings.Join(names, " . ")
	c.order = byteOrderInvalid
	return c
}

func pad4(n uint32) uint32 { return (n + 3) &^ 3 }

// Fields returns the parts of a concatenation, or t itself for a simple
// type.
func (t SetType) Fields() []SetType {
	if !t.IsConcat() {
		return []SetType{t}
	}
	var out []SetType
	for id := t.ID; id != 0; id >>= typeBits {
		k, _ := knownType(id & (1<<typeBits - 1))
		out = append([]SetType{k}, out...)
	}
	return out
}

// IsConcat reports whether t is a concatenation of several types.
func (t SetType) IsConcat() bool { return strings.Contains(t.Name, " . ") }

// String returns nft's name of the type.
func (t SetType) String() string { return t.Name }

func knownType(id uint32) (SetType, bool) {
	for _, k := range knownTypes {
		if k.ID == id {
			return k, true
		}
	}
	return SetType{}, false
}

// typeFromKernel names the type the kernel reports for a set: a known type,
// a concatenation of known types whose length matches, or an unnamed one
// that keeps the number and length.
func typeFromKernel(id, length uint32) SetType {
	if id == unix.NFT_DATA_VERDICT {
		return TypeVerdict
	}
	if k, ok := knownType(id); ok && k.Len == length {
		return k
	}
	if id >= 1<<typeBits {
		var parts []SetType
		ok := true
		for v := id; v != 0 && ok; v >>= typeBits {
			var k SetType
			k, ok = knownType(v & (1<<typeBits - 1))
			parts = append([]SetType{k}, parts...)
		}
		if ok {
			if c := Concat(parts...); c.Len == length {
				return c
			}
		}
	}
	return SetType{Name: fmt.Sprintf("type(%d)", id), ID: id, Len: length}
}

// Set is a named nf_tables set, or a map when DataType is set: a set of
// keys that rules look packets up in (expr.Lookup), holding any number of
// elements that change without touching the rules.
type Set struct {
	Family Family
	Table  string
	Name   string
	// KeyType is the type of the keys, e.g. TypeIPv4Addr or
	// Concat(TypeIPv4Addr, TypeInetService).
	KeyType SetType
	// DataType makes the set a map: TypeVerdict for a verdict map (vmap),
	// or a value type such as TypeMark for a data map. Zero for a set.
	DataType SetType
	// Constant sets cannot change once created with their elements.
	Constant bool
	// Interval sets hold ranges and prefixes (SetElement.KeyEnd).
	Interval bool
	// Timeouts lets elements carry timeouts; implied by Timeout > 0.
	Timeouts bool
	// Dynamic sets can be updated from the packet path (NFT_SET_EVAL).
	Dynamic bool
	// Timeout is the default lifetime of elements added without one
	// (millisecond precision).
	Timeout time.Duration
	// GCInterval is how often expired elements are collected; zero lets
	// the kernel choose.
	GCInterval time.Duration
	// Size bounds the number of elements; zero means no bound.
	Size uint32
	// Comment is kept in the set's user data, where nft shows it.
	Comment string
	// Flags holds NFT_SET_* flags beyond those the fields above express
	// (sent as they are, and read back).
	Flags uint32
	// ID names the set within the transaction that adds it, so rules and
	// elements added in the same transaction can refer to it
	// (expr.Lookup.SetID). AddSet assigns one when it is zero.
	ID uint32
	// Handle is set by the kernel; read back only.
	Handle uint64

	udata []byte // NFTA_SET_USERDATA as read back, for tests
}

func (s *Set) String() string {
	return fmt.Sprintf("set %s %s %s", s.Family, s.Table, s.Name)
}

// IsMap reports whether s maps keys to values.
func (s *Set) IsMap() bool { return s.DataType != (SetType{}) }

func (s *Set) check() error {
	if !s.Family.valid() {
		return invalidf("%s: unknown family %d", s, byte(s.Family))
	}
	if err := checkName("table", s.Table); err != nil {
		return err
	}
	if len(s.Comment) > maxCommentLen {
		return invalidf("%s: comment of %d bytes, nft allows %d", s, len(s.Comment), maxCommentLen)
	}
	return checkName("set", s.Name)
}

// maxCommentLen is nft's limit on set and element comments (NFT_USERDATA_MAXLEN
// bounds the whole user data at 256 bytes).
const maxCommentLen = 128

// flags returns the NFT_SET_* flags s is created with, as nft chooses them.
func (s *Set) flags() uint32 {
	f := s.Flags
	if s.Constant {
		f |= unix.NFT_SET_CONSTANT
	}
	if s.Interval {
		f |= unix.NFT_SET_INTERVAL
		if s.KeyType.IsConcat() {
			f |= nftSetConcat // a range per field: the pipapo backend
		}
	}
	if s.IsMap() {
		f |= unix.NFT_SET_MAP
	}
	if s.Timeouts || s.Timeout > 0 {
		f |= unix.NFT_SET_TIMEOUT
	}
	if s.Dynamic {
		f |= unix.NFT_SET_EVAL
	}
	return f
}

// setFlagsNamed are the flags Set's boolean fields stand for; the rest stays
// in Flags on read back.
const setFlagsNamed = unix.NFT_SET_CONSTANT | unix.NFT_SET_INTERVAL | unix.NFT_SET_MAP |
	unix.NFT_SET_TIMEOUT | unix.NFT_SET_EVAL | nftSetConcat

// userData encodes what nft records about the set in NFTA_SET_USERDATA,
// byte for byte as nft 1.0.x writes it.
func (s *Set) userData() []byte {
	u := udataU32(nil, udataSetKeyByteOrder, s.KeyType.order)
	if s.IsMap() {
		u = udataU32(u, udataSetDataByteOrder, s.DataType.order)
		u = udataU32(u, udataSetDataInterval, 0)
	}
	if s.Comment != "" {
		u = udataStrz(u, udataSetComment, s.Comment)
	}
	return u
}

// udataU32 appends a libnftnl TLV holding a host-order uint32.
func udataU32(u []byte, typ byte, v uint32) []byte {
	u = append(u, typ, 4)
	return binary.NativeEndian.AppendUint32(u, v)
}

// udataStrz appends a libnftnl TLV holding a NUL-terminated string.
func udataStrz(u []byte, typ byte, s string) []byte {
	u = append(u, typ, byte(len(s)+1))
	u = append(u, s...)
	return append(u, 0)
}

// udataGet returns the value of TLV typ in libnftnl user data.
func udataGet(u []byte, typ byte) ([]byte, bool) {
	for len(u) >= 2 {
		t, l := u[0], int(u[1])
		if 2+l > len(u) {
			return nil, false
		}
		if t == typ {
			return u[2 : 2+l], true
		}
		u = u[2+l:]
	}
	return nil, false
}

func udataString(u []byte, typ byte) string {
	v, _ := udataGet(u, typ)
	return string(bytes.TrimRight(v, "\x00"))
}

// setIDs hands out NFTA_SET_ID values. They only need to be unique within
// one transaction; a process-wide counter makes them unique across all.
var setIDs atomic.Uint32

// AddSet adds the set, or leaves an identical existing one as it is. When
// s.ID is zero it is given one, which rules added in the same transaction
// can name in expr.Lookup.SetID.
func (tx *Tx) AddSet(s *Set) { tx.set("add set", s, unix.NLM_F_CREATE) }

// CreateSet adds the set and fails with ErrExist if it exists.
func (tx *Tx) CreateSet(s *Set) { tx.set("create set", s, unix.NLM_F_CREATE|unix.NLM_F_EXCL) }

func (tx *Tx) set(op string, s *Set, flags uint16) {
	if err := s.check(); err != nil {
		tx.fail(err)
		return
	}
	if s.KeyType.Len == 0 {
		tx.fail(invalidf("%s: no key type", s))
		return
	}
	if s.KeyType == TypeVerdict {
		tx.fail(invalidf("%s: verdicts cannot be keys", s))
		return
	}
	if s.ID == 0 {
		for s.ID == 0 {
			s.ID = setIDs.Add(1)
		}
	}
	e := &tx.enc
	st := tx.msg(op, "", unix.NFT_MSG_NEWSET, flags, byte(s.Family))
	e.String(unix.NFTA_SET_TABLE, s.Table)
	e.String(unix.NFTA_SET_NAME, s.Name)
	e.Uint32(unix.NFTA_SET_FLAGS, s.flags())
	e.Uint32(unix.NFTA_SET_KEY_TYPE, s.KeyType.ID)
	e.Uint32(unix.NFTA_SET_KEY_LEN, s.KeyType.Len)
	if s.IsMap() {
		e.Uint32(unix.NFTA_SET_DATA_TYPE, s.DataType.ID)
		e.Uint32(unix.NFTA_SET_DATA_LEN, s.DataType.Len)
	}
	if s.Size > 0 || (s.Interval && s.KeyType.IsConcat()) {
		d := e.Nest(unix.NFTA_SET_DESC)
		if s.Size > 0 {
			e.Uint32(unix.NFTA_SET_DESC_SIZE, s.Size)
		}
		if s.Interval && s.KeyType.IsConcat() {
			// The pipapo backend needs each field's length.
			cn := e.Nest(nftaSetDescConcat)
			for _, f := range s.KeyType.Fields() {
				fn := e.Nest(unix.NFTA_LIST_ELEM)
				e.Uint32(nftaSetFieldLen, f.Len)
				e.EndNest(fn)
			}
			e.EndNest(cn)
		}
		e.EndNest(d)
	}
	e.Uint32(unix.NFTA_SET_ID, s.ID)
	if s.Timeout > 0 {
		e.Uint64(unix.NFTA_SET_TIMEOUT, uint64(s.Timeout.Milliseconds()))
	}
	if s.GCInterval > 0 {
		e.Uint32(unix.NFTA_SET_GC_INTERVAL, uint32(s.GCInterval.Milliseconds()))
	}
	e.Bytes(unix.NFTA_SET_USERDATA, s.userData())
	e.End(st)
}

// DelSet deletes the set; it fails with ErrBusy while a rule refers to it.
func (tx *Tx) DelSet(s *Set) {
	if err := s.check(); err != nil {
		tx.fail(err)
		return
	}
	st := tx.msg("delete set", "", unix.NFT_MSG_DELSET, 0, byte(s.Family))
	tx.enc.String(unix.NFTA_SET_TABLE, s.Table)
	tx.enc.String(unix.NFTA_SET_NAME, s.Name)
	tx.enc.End(st)
}

// FlushSet deletes every element of the set.
func (tx *Tx) FlushSet(s *Set) {
	if err := s.check(); err != nil {
		tx.fail(err)
		return
	}
	st := tx.msg("flush set", "", unix.NFT_MSG_DELSETELEM, 0, byte(s.Family))
	tx.enc.String(unix.NFTA_SET_ELEM_LIST_TABLE, s.Table)
	tx.enc.String(unix.NFTA_SET_ELEM_LIST_SET, s.Name)
	tx.enc.End(st)
}

// AddSet adds s in its own transaction.
func (c *Conn) AddSet(s *Set) error { return c.single(func(tx *Tx) { tx.AddSet(s) }) }

// DelSet deletes s in its own transaction.
func (c *Conn) DelSet(s *Set) error { return c.single(func(tx *Tx) { tx.DelSet(s) }) }

// FlushSet empties s in its own transaction.
func (c *Conn) FlushSet(s *Set) error { return c.single(func(tx *Tx) { tx.FlushSet(s) }) }

// ListSets returns the named sets and maps of a table (of every table of
// fam when table is ""). Anonymous sets, which nft makes for rules such as
// "tcp dport { 22, 80 }", are left out.
func (c *Conn) ListSets(fam Family, table string) ([]*Set, error) {
	if fam == 0 {
		return nil, invalidf("listing sets needs a family")
	}
	what := fmt.Sprintf("sets of %s %s", fam, table)
	var out []*Set
	err := c.dump(what, unix.NFT_MSG_GETSET, byte(fam), func(e *nfnl.Encoder) {
		if table != "" {
			e.String(unix.NFTA_SET_TABLE, table)
		}
	}, func() { out = out[:0] }, func(m message) error {
		s, err := decodeSet(m.Data)
		if err != nil {
			return fmt.Errorf("xtnl: decode %s: %w", what, err)
		}
		if s.Flags&unix.NFT_SET_ANONYMOUS == 0 {
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// GetSet returns one set; the error matches ErrNotExist when there is no
// such set (or table).
func (c *Conn) GetSet(fam Family, table, name string) (*Set, error) {
	sets, err := c.ListSets(fam, table)
	if err != nil {
		return nil, err
	}
	for _, s := range sets {
		if s.Name == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("xtnl: set %s %s %s: %w (%w)", fam, table, name, unix.ENOENT, ErrNotExist)
}

func decodeSet(b []byte) (*Set, error) {
	if len(b) < nfgenmsgLen {
		return nil, ErrTruncated
	}
	s := &Set{Family: Family(b[0])}
	var keyType, keyLen, dataType, dataLen, flags uint32
	var udata []byte
	a := nlattr.NewDecoder(b[nfgenmsgLen:])
	for a.Next() {
		switch a.Type() {
		case unix.NFTA_SET_TABLE:
			s.Table = a.String()
		case unix.NFTA_SET_NAME:
			s.Name = a.String()
		case setAttrHandle:
			s.Handle = a.Uint64()
		case unix.NFTA_SET_FLAGS:
			flags = a.Uint32()
		case unix.NFTA_SET_KEY_TYPE:
			keyType = a.Uint32()
		case unix.NFTA_SET_KEY_LEN:
			keyLen = a.Uint32()
		case unix.NFTA_SET_DATA_TYPE:
			dataType = a.Uint32()
		case unix.NFTA_SET_DATA_LEN:
			dataLen = a.Uint32()
		case unix.NFTA_SET_ID:
			s.ID = a.Uint32()
		case unix.NFTA_SET_TIMEOUT:
			s.Timeout = time.Duration(a.Uint64()) * time.Millisecond
		case unix.NFTA_SET_GC_INTERVAL:
			s.GCInterval = time.Duration(a.Uint32()) * time.Millisecond
		case unix.NFTA_SET_USERDATA:
			udata = a.Bytes()
			s.udata = bytes.Clone(a.Bytes())
		case unix.NFTA_SET_DESC:
			d := nlattr.NewDecoder(a.Bytes())
			for d.Next() {
				if d.Type() == unix.NFTA_SET_DESC_SIZE {
					s.Size = d.Uint32()
				}
			}
			if d.Err() != nil {
				return nil, malformed(d.Err())
			}
		}
	}
	if a.Err() != nil {
		return nil, malformed(a.Err())
	}
	s.KeyType = typeFromKernel(keyType, keyLen)
	if v, ok := udataGet(udata, udataSetKeyByteOrder); ok && len(v) == 4 && s.KeyType.order == 0 && !s.KeyType.IsConcat() {
		s.KeyType.order = binary.NativeEndian.Uint32(v)
	}
	if flags&unix.NFT_SET_MAP != 0 {
		s.DataType = typeFromKernel(dataType, dataLen)
		if v, ok := udataGet(udata, udataSetDataByteOrder); ok && len(v) == 4 && s.DataType.order == 0 && s.DataType != TypeVerdict {
			s.DataType.order = binary.NativeEndian.Uint32(v)
		}
	}
	s.Constant = flags&unix.NFT_SET_CONSTANT != 0
	s.Interval = flags&unix.NFT_SET_INTERVAL != 0
	s.Timeouts = flags&unix.NFT_SET_TIMEOUT != 0
	s.Dynamic = flags&unix.NFT_SET_EVAL != 0
	s.Flags = flags &^ setFlagsNamed
	s.Comment = udataString(udata, udataSetComment)
	return s, nil
}
