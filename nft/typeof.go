package nft

import "strings"

// "typeof" set declarations (set s { typeof ip saddr . meta mark; }):
// nft keeps the key's expressions in the set's user data
// (NFTNL_UDATA_SET_KEY_TYPEOF) to print them back; a set declared by
// concatenated types keeps only that its key is a concatenation.

// Expression kinds as nft numbers them (enum expr_types) and user data
// attribute types of typeof descriptions.
const (
	exprPayload = 7
	exprMeta    = 9
	exprConcat  = 13

	udataSetKeyTypeof = 3 // NFTNL_UDATA_SET_KEY_TYPEOF
	udataTypeofExpr   = 0 // NFTNL_UDATA_SET_TYPEOF_EXPR
	udataTypeofData   = 1 // NFTNL_UDATA_SET_TYPEOF_DATA
)

// typeofDescIDs are nft's protocol description ids (enum proto_desc_id)
// of the headers whose fields are listed in nft's template order here,
// so that a field's index plus one is its template number.
var typeofDescIDs = map[*protoDesc]uint32{protoUDP: 6, protoTCP: 8, protoTH: 11, protoIP: 12, protoIP6: 13, protoARP: 15, protoVlan: 16, protoEther: 17}

func udataTLV(typ byte, v []byte) []byte { return append([]byte{typ, byte(len(v))}, v...) }

func udataLE32(typ byte, v uint32) []byte {
	return udataTLV(typ, []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
}

// typeofExprUdata describes one selector: its expression kind and data,
// ok false for one nft would describe in a way not known here.
func typeofExprUdata(s selector) (etype uint32, data []byte, ok bool) {
	switch x := s.(type) {
	case *payloadExpr:
		if x.desc == nil && x.rawBase == baseTransport && x.rawBits == 16 && (x.rawOffset == 0 || x.rawOffset == 16) {
			// nft reads @th,0,16 and @th,16,16 as th sport and th
			// dport (payload_init_raw)
			return typeofExprUdata(&payloadExpr{desc: protoTH, field: &protoTH.fields[x.rawOffset/16]})
		}
		if x.desc == nil {
			// raw payload: no description (id 0), its base as nft
			// numbers them (PROTO_BASE_LL_HDR is 1), offset and length
			data = append(udataLE32(0, 0), udataLE32(1, 0)...)
			data = append(data, udataLE32(2, uint32(x.rawBase+1))...)
			data = append(data, udataLE32(3, uint32(x.rawOffset))...)
			return exprPayload, append(data, udataLE32(4, uint32(x.rawBits))...), true
		}
		id, known := typeofDescIDs[x.desc]
		if !known || x.field == nil {
			return 0, nil, false
		}
		idx := -1
		for i := range x.desc.fields {
			if &x.desc.fields[i] == x.field {
				idx = i
			}
		}
		if idx < 0 {
			return 0, nil, false
		}
		data = append(udataLE32(0, id), udataLE32(1, uint32(idx+1))...)
		if x.field.dt.ID == typeInteger {
			data = append(data, udataLE32(4, uint32(x.field.bits))...)
		}
		return exprPayload, data, true
	case *metaExpr:
		return exprMeta, udataLE32(0, x.key), true
	}
	return 0, nil, false
}

// keyTypeofUdata is the NFTNL_UDATA_SET_KEY_TYPEOF attribute for a set's
// key, nil when nft writes none (a single type) or the key cannot be
// described.
func keyTypeofUdata(li *lhsInfo, typeofGiven bool) []byte {
	if !li.concat {
		if !typeofGiven || len(li.sels) != 1 {
			return nil
		}
		et, d, ok := typeofExprUdata(li.sels[0])
		if !ok {
			return nil
		}
		return udataTLV(udataSetKeyTypeof, append(udataLE32(udataTypeofExpr, et), udataTLV(udataTypeofData, d)...))
	}
	var parts []byte
	if typeofGiven {
		for i, s := range li.sels {
			et, d, ok := typeofExprUdata(s)
			if !ok {
				return nil
			}
			parts = append(parts, udataTLV(byte(i), append(udataLE32(0, et), udataTLV(1, d)...))...)
		}
	}
	return udataTLV(udataSetKeyTypeof, append(udataLE32(udataTypeofExpr, exprConcat), udataTLV(udataTypeofData, parts)...))
}

// The printer's side.

// udataAttrs splits user data into its attributes (type → value).
func udataAttrs(u []byte) map[byte][]byte {
	m := map[byte][]byte{}
	for len(u) >= 2 {
		t, l := u[0], int(u[1])
		if 2+l > len(u) {
			break
		}
		m[t] = u[2 : 2+l]
		u = u[2+l:]
	}
	return m
}

func le32(b []byte) (uint32, bool) {
	if len(b) != 4 {
		return 0, false
	}
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24, true
}

// typeofText prints a set's typeof key back ("ip saddr . meta mark"),
// "" when its user data has none or not one known here.
func typeofText(udata []byte) string {
	nest, ok := udataAttrs(udata)[udataSetKeyTypeof]
	if !ok {
		return ""
	}
	return typeofNestText(nest)
}

// typeofNestText prints one typeof description: an expression, or a
// concatenation of them.
func typeofNestText(nest []byte) string {
	a := udataAttrs(nest)
	et, _ := le32(a[udataTypeofExpr])
	if et != exprConcat {
		return typeofExprText(et, a[udataTypeofData])
	}
	var parts []string
	sub := udataAttrs(a[udataTypeofData])
	for i := 0; ; i++ {
		p, ok := sub[byte(i)]
		if !ok {
			break
		}
		pa := udataAttrs(p)
		pet, _ := le32(pa[0])
		t := typeofExprText(pet, pa[1])
		if t == "" {
			return ""
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "" // declared by types
	}
	return strings.Join(parts, " . ")
}

func typeofExprText(etype uint32, data []byte) string {
	a := udataAttrs(data)
	switch etype {
	case exprPayload:
		id, _ := le32(a[0])
		idx, _ := le32(a[1])
		if id == 0 {
			base, _ := le32(a[2])
			off, _ := le32(a[3])
			n, _ := le32(a[4])
			if base < 1 || n == 0 {
				return ""
			}
			return (&payloadExpr{rawBase: int(base) - 1, rawOffset: int(off), rawBits: int(n)}).text()
		}
		for d, did := range typeofDescIDs {
			if did == id && idx >= 1 && int(idx) <= len(d.fields) {
				return (&payloadExpr{desc: d, field: &d.fields[idx-1]}).text()
			}
		}
	case exprMeta:
		if key, ok := le32(a[0]); ok {
			return (&metaExpr{key: key}).text()
		}
	}
	return ""
}

// typeofDataType is the type of a map's data declared by typeof: a
// verdict, or the type of the selector written (typeof ip saddr : meta
// mark).
func typeofDataType(e Expr) *Datatype {
	switch x := e.(type) {
	case *symbolExpr:
		if x.text == "verdict" {
			return dtVerdict
		}
	case selector:
		return x.dtype()
	}
	return nil
}

// dataTypeofUdata is NFTNL_UDATA_SET_DATA_TYPEOF for a map whose data is
// declared by typeof: a selector (typeof ip saddr : meta mark) or a
// verdict.
func dataTypeofUdata(sd *setDef) []byte {
	if !sd.isMap || !sd.dataTypeofGiven {
		return nil
	}
	if sym, ok := sd.dataExpr.(*symbolExpr); ok && sym.text == "verdict" {
		// EXPR_VERDICT, with no data of its own
		return udataTLV(udataSetDataTypeof, append(udataLE32(udataTypeofExpr, 1), udataTLV(udataTypeofData, nil)...))
	}
	if c, ok := sd.dataExpr.(*concatExpr); ok {
		// ip daddr . tcp dport: each part as a key's
		var parts []byte
		for i, e := range c.parts {
			s, ok := e.(selector)
			if !ok {
				return nil
			}
			et, d, ok := typeofExprUdata(s)
			if !ok {
				return nil
			}
			parts = append(parts, udataTLV(byte(i), append(udataLE32(0, et), udataTLV(1, d)...))...)
		}
		return udataTLV(udataSetDataTypeof, append(udataLE32(udataTypeofExpr, exprConcat), udataTLV(udataTypeofData, parts)...))
	}
	s, ok := sd.dataExpr.(selector)
	if !ok {
		return nil
	}
	et, d, ok := typeofExprUdata(s)
	if !ok {
		return nil
	}
	return udataTLV(udataSetDataTypeof, append(udataLE32(udataTypeofExpr, et), udataTLV(udataTypeofData, d)...))
}

// dataTypeofText prints a map's data declared by typeof, "" if none.
func dataTypeofText(udata []byte) string {
	nest, ok := udataAttrs(udata)[udataSetDataTypeof]
	if !ok {
		return ""
	}
	return typeofNestText(nest)
}

// typeofDataTypes are the types of a map's concatenated data declared by
// typeof (ip daddr . tcp dport), nil for other data.
func typeofDataTypes(e Expr) []*Datatype {
	c, ok := e.(*concatExpr)
	if !ok {
		return nil
	}
	var dts []*Datatype
	for _, p := range c.parts {
		s, ok := p.(selector)
		if !ok {
			return nil
		}
		dts = append(dts, s.dtype())
	}
	return dts
}
