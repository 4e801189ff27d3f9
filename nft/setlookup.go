package nft

import (
	"fmt"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// Sets the script does not declare: element commands need the set's key
// and data types, which nft reads from the kernel (its cache). A Lookup
// that also implements SetLookup answers that; ConnLookup does.

// SetLookup is what the compiler may ask about a set or map already in
// the kernel. A Lookup passed in Options may implement it.
type SetLookup interface {
	// Set describes a set or map, ok false if it does not exist.
	Set(fam xtnl.Family, table, name string) (desc SetDesc, ok bool)
}

// SetDesc is a set or map as the kernel holds it: what element commands
// need to encode its keys and values.
type SetDesc struct {
	Flags    uint32 // NFT_SET_* flags
	KeyType  uint32 // nft's type id (concatenations pack 6 bits a part)
	KeyLen   uint32 // bytes
	DataType uint32 // maps: the values' type id, or NFT_DATA_VERDICT
	DataLen  uint32
	// Userdata is NFTA_SET_USERDATA as nft wrote it (byte orders,
	// typeof expressions).
	Userdata []byte
}

// Set asks the kernel for one set (NFT_MSG_GETSET).
func (l connLookup) Set(fam xtnl.Family, table, name string) (SetDesc, bool) {
	var a attrBuf
	a.str(unix.NFTA_SET_TABLE, table)
	a.str(unix.NFTA_SET_NAME, name)
	var d SetDesc
	found := false
	err := l.c.GetRaw(unix.NFT_MSG_GETSET, fam, a.b, func(m xtnl.RawMessage) error {
		at := attrsOf(m.Attrs)
		d = SetDesc{Flags: at.u32(unix.NFTA_SET_FLAGS), KeyType: at.u32(unix.NFTA_SET_KEY_TYPE), KeyLen: at.u32(unix.NFTA_SET_KEY_LEN),
			DataType: at.u32(unix.NFTA_SET_DATA_TYPE), DataLen: at.u32(unix.NFTA_SET_DATA_LEN),
			Userdata: append([]byte(nil), at[unix.NFTA_SET_USERDATA]...)}
		found = true
		return nil
	})
	return d, err == nil && found
}

// kernelSetInfo builds what element commands need from a set in the
// kernel; nil when there is no such set or nothing to ask.
func (cc *compileCtx) kernelSetInfo(c *Command) *setInfo {
	sl, ok := cc.lookup.(SetLookup)
	if !ok {
		return nil
	}
	d, ok := sl.Set(c.Family, c.Table, c.Name)
	if !ok {
		return nil
	}
	kts := keyTypes(d.KeyType, d.KeyLen)
	si := &setInfo{interval: d.Flags&setInterval != 0, msg: -1}
	if len(kts) == 1 {
		dt := kts[0]
		if dt.Bits == 0 || dt.bytesLen() != int(d.KeyLen) && dt.root() != dtString {
			dt = withBits(dt, int(d.KeyLen)*8)
		}
		si.li = &lhsInfo{dt: dt, bits: int(d.KeyLen) * 8, order: udataOrder(d.Userdata, dt.Order), lenBytes: int(d.KeyLen)}
		if dt.Bits != 0 {
			si.li.bits = dt.Bits
		}
	} else {
		li := &lhsInfo{concat: true, order: orderBig}
		for _, dt := range kts {
			li.sels = append(li.sels, &typeSel{dt: dt})
			li.lenBytes += int(regSpace(dt.bytesLen())) * 4
		}
		li.dt = concatType(kts)
		li.bits = li.lenBytes * 8
		si.li = li
	}
	if d.Flags&setMap != 0 {
		if d.DataType == unix.NFT_DATA_VERDICT {
			si.vmap = true
		} else {
			dts := keyTypes(d.DataType, d.DataLen)
			dt := dts[0]
			si.dli = &lhsInfo{dt: dt, bits: dt.Bits, order: udataDataOrder(d.Userdata, dt.Order), lenBytes: dt.bytesLen()}
			if len(dts) > 1 {
				si.dli = concatDataInfo(dts)
			}
		}
	}
	return si
}

// withBits is dt as wide as a set's key says (an integer key of a typeof
// set).
func withBits(dt *Datatype, bits int) *Datatype {
	c := *dt
	c.Bits = bits
	return &c
}

// udataDataOrder reads the data byte order nft stored in a map's user
// data (NFTNL_UDATA_SET_DATABYTEORDER).
func udataDataOrder(u []byte, def byteOrder) byteOrder {
	for len(u) >= 2 {
		t, l := u[0], int(u[1])
		if 2+l > len(u) {
			break
		}
		if t == 1 && l == 4 {
			return byteOrder(u[2])
		}
		u = u[2+l:]
	}
	return def
}

// checkSetKey refuses a lookup of li in a named set whose key is of
// another type (ip6 daddr @set_of_ipv4), as nft does; integers (typeof
// keys) and concatenations go unchecked.
func (r *ruleCtx) checkSetKey(li *lhsInfo, name string, at srcSpan) error {
	if li.concat || li.dt == nil || li.dt.ID == typeInteger {
		return nil
	}
	var keyType uint32
	c := &Command{Family: r.fam, Table: r.table, Name: name}
	if si := r.cc.setInfos[setKey(c)]; si != nil {
		if si.li.concat || si.li.dt == nil {
			return nil
		}
		keyType = si.li.dt.ID
	} else if sl, ok := r.cc.lookup.(SetLookup); ok {
		d, ok := sl.Set(r.fam, r.table, name)
		if !ok {
			return nil
		}
		keyType = d.KeyType
	} else {
		return nil
	}
	if keyType == li.dt.ID || keyType == typeInteger || keyType > 1<<typeBits {
		return nil
	}
	want := typeByID(keyType)
	if want == nil {
		return nil
	}
	return r.cc.errAt(at, fmt.Sprintf("datatype mismatch, expected %s, expression has type %s", li.dt.Desc, want.Desc))
}

// setExists reports whether a set the rules name is the script's or the
// kernel's; true when there is no kernel to ask. Answers are kept: a
// script's many rules often name the same few sets.
func (cc *compileCtx) setExists(fam xtnl.Family, table, name string) bool {
	key := setKey(&Command{Family: fam, Table: table, Name: name})
	if cc.setInfos[key] != nil {
		return true
	}
	sl, ok := cc.lookup.(SetLookup)
	if !ok {
		return true
	}
	if found, ok := cc.kernelSets[key]; ok {
		return found
	}
	_, found := sl.Set(fam, table, name)
	if cc.kernelSets == nil {
		cc.kernelSets = map[string]bool{}
	}
	cc.kernelSets[key] = found
	return found
}
