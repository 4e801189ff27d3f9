package expr

import (
	"bytes"
	"encoding/binary"

	nftexpr "github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// decodeFast decodes the expressions iptables-nft rules are made of
// straight from their attributes, without the decode-and-re-encode check
// of the general path: re-reading a large chain spends its time here. It
// accepts only attribute sets it represents completely, so what it returns
// re-encodes to what the kernel said; anything else (an attribute more, a
// flag) returns ok false and takes the general path. With dec nil, the
// values are new and own their bytes; otherwise they are dec's (Decoder).
func decodeFast(name string, data []byte, dec *Decoder) (e nftexpr.Any, ok bool) {
	var a [8]fastAttr
	n, ok := splitAttrs(data, a[:])
	if !ok {
		return nil, false
	}
	at := a[:n]
	switch name {
	case "meta":
		key, ok1 := u32Of(at, unix.NFTA_META_KEY)
		if dreg, ok2 := u32Of(at, unix.NFTA_META_DREG); ok1 && ok2 && n == 2 {
			m := dec.meta()
			*m = nftexpr.Meta{Key: nftexpr.MetaKey(key), Register: dreg}
			return m, true
		}
		if sreg, ok2 := u32Of(at, unix.NFTA_META_SREG); ok1 && ok2 && n == 2 {
			m := dec.meta()
			*m = nftexpr.Meta{Key: nftexpr.MetaKey(key), SourceRegister: true, Register: sreg}
			return m, true
		}
	case "cmp":
		sreg, ok1 := u32Of(at, unix.NFTA_CMP_SREG)
		op, ok2 := u32Of(at, unix.NFTA_CMP_OP)
		v, ok3 := dataValueOf(at, unix.NFTA_CMP_DATA)
		if ok1 && ok2 && ok3 && n == 3 {
			c := dec.cmp()
			*c = nftexpr.Cmp{Op: nftexpr.CmpOp(op), Register: sreg, Data: dec.bytes(v)}
			return c, true
		}
	case "payload":
		dreg, ok1 := u32Of(at, unix.NFTA_PAYLOAD_DREG)
		base, ok2 := u32Of(at, unix.NFTA_PAYLOAD_BASE)
		off, ok3 := u32Of(at, unix.NFTA_PAYLOAD_OFFSET)
		l, ok4 := u32Of(at, unix.NFTA_PAYLOAD_LEN)
		if ok1 && ok2 && ok3 && ok4 && n == 4 {
			p := dec.payload()
			*p = nftexpr.Payload{DestRegister: dreg, Base: nftexpr.PayloadBase(base), Offset: off, Len: l}
			return p, true
		}
	case "bitwise":
		sreg, ok1 := u32Of(at, unix.NFTA_BITWISE_SREG)
		dreg, ok2 := u32Of(at, unix.NFTA_BITWISE_DREG)
		l, ok3 := u32Of(at, unix.NFTA_BITWISE_LEN)
		mask, ok4 := dataValueOf(at, unix.NFTA_BITWISE_MASK)
		xor, ok5 := dataValueOf(at, unix.NFTA_BITWISE_XOR)
		want := 5
		if op, has := u32Of(at, 6 /* NFTA_BITWISE_OP */); has {
			if op != 0 { // only the mask-and-xor form
				return nil, false
			}
			want = 6
		}
		if ok1 && ok2 && ok3 && ok4 && ok5 && n == want {
			b := dec.bitwise()
			*b = nftexpr.Bitwise{SourceRegister: sreg, DestRegister: dreg, Len: l, Mask: dec.bytes(mask), Xor: dec.bytes(xor)}
			return b, true
		}
	case "counter":
		by, ok1 := u64Of(at, unix.NFTA_COUNTER_BYTES)
		pk, ok2 := u64Of(at, unix.NFTA_COUNTER_PACKETS)
		if ok1 && ok2 && n == 2 {
			c := dec.counter()
			*c = nftexpr.Counter{Bytes: by, Packets: pk}
			return c, true
		}
	case "immediate":
		dreg, ok1 := u32Of(at, unix.NFTA_IMMEDIATE_DREG)
		d, ok2 := find(at, unix.NFTA_IMMEDIATE_DATA)
		if !ok1 || !ok2 || n != 2 || dreg != unix.NFT_REG_VERDICT {
			return nil, false
		}
		var da [2]fastAttr
		dn, ok := splitAttrs(d, da[:])
		if !ok || dn != 1 || da[0].typ != unix.NFTA_DATA_VERDICT {
			return nil, false
		}
		var va [3]fastAttr
		vn, ok := splitAttrs(da[0].data, va[:])
		if !ok {
			return nil, false
		}
		code, ok := u32Of(va[:vn], unix.NFTA_VERDICT_CODE)
		if !ok {
			return nil, false
		}
		v := dec.verdict()
		*v = nftexpr.Verdict{Kind: nftexpr.VerdictKind(int32(code))}
		if ch, has := find(va[:vn], unix.NFTA_VERDICT_CHAIN); has {
			if len(ch) < 2 || ch[len(ch)-1] != 0 || bytes.IndexByte(ch[:len(ch)-1], 0) >= 0 || vn != 2 {
				return nil, false
			}
			v.Chain = dec.name(ch[:len(ch)-1])
		} else if vn != 1 {
			return nil, false
		}
		return v, true
	case "match", "target":
		nm, ok1 := find(at, 1) // NFTA_MATCH_NAME == NFTA_TARGET_NAME
		rev, ok2 := u32Of(at, 2)
		info, ok3 := find(at, 3)
		if !ok1 || !ok2 || !ok3 || n != 3 || len(nm) < 2 || nm[len(nm)-1] != 0 || bytes.IndexByte(nm[:len(nm)-1], 0) >= 0 {
			return nil, false
		}
		if name == "match" {
			m := dec.match()
			*m = nftexpr.Match{Name: dec.name(nm[:len(nm)-1]), Rev: rev, Info: dec.info(info)}
			return m, true
		}
		t := dec.target()
		*t = nftexpr.Target{Name: dec.name(nm[:len(nm)-1]), Rev: rev, Info: dec.info(info)}
		return t, true
	}
	return nil, false
}

type fastAttr struct {
	typ  uint16
	data []byte
}

// splitAttrs splits one level of attributes into a, refusing repeats and
// more attributes than a holds.
func splitAttrs(b []byte, a []fastAttr) (int, bool) {
	n := 0
	for len(b) > 0 {
		if n == len(a) {
			return 0, false
		}
		typ, payload, rest, err := nextAttr(b)
		if err != nil {
			return 0, false
		}
		t := typ &^ unix.NLA_F_NESTED
		for i := 0; i < n; i++ {
			if a[i].typ == t {
				return 0, false
			}
		}
		a[n] = fastAttr{typ: t, data: payload}
		n++
		b = rest
	}
	return n, true
}

func find(a []fastAttr, typ uint16) ([]byte, bool) {
	for _, x := range a {
		if x.typ == typ {
			return x.data, true
		}
	}
	return nil, false
}

func u32Of(a []fastAttr, typ uint16) (uint32, bool) {
	d, ok := find(a, typ)
	if !ok || len(d) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(d), true
}

func u64Of(a []fastAttr, typ uint16) (uint64, bool) {
	d, ok := find(a, typ)
	if !ok || len(d) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(d), true
}

// dataValueOf reads a nested attribute holding exactly one
// NFTA_DATA_VALUE (its bytes, not a copy).
func dataValueOf(a []fastAttr, typ uint16) ([]byte, bool) {
	d, ok := find(a, typ)
	if !ok {
		return nil, false
	}
	var in [2]fastAttr
	n, ok := splitAttrs(d, in[:])
	if !ok || n != 1 || in[0].typ != unix.NFTA_DATA_VALUE {
		return nil, false
	}
	return in[0].data, true
}
