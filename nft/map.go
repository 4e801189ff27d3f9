package nft

// Maps as values: "meta mark set ip saddr map { 10.2.3.1 : 0x17 }"
// looks the key up in a map (anonymous or @name) and leaves the value in
// a register for the statement.

// mapValue parses "map { ... }" or "map @name" after a statement's
// value, which becomes the key; e unchanged otherwise.
func (p *parser) mapValue(e Expr) Expr {
	if !p.isWord("map") {
		return e
	}
	p.i++
	m := p.mapTarget()
	return &mapExpr{srcSpan: spanOf(e.span(), m.span()), key: e, m: m}
}

// loadMap linearizes a map lookup whose values are of li's type into a
// fresh register.
func (r *ruleCtx) loadMap(m *mapExpr, li *lhsInfo) (uint32, error) {
	m.dtype, m.val = li.dt, li
	reg := r.getReg(li.lenBytes)
	// the key loads into the register the value will take
	save := r.reg
	r.reg = reg
	err := r.compileMap(m, false, reg)
	r.reg = save
	return reg, err
}

// anonUdata is the user data nft attaches to an anonymous set or map:
// the key's byte order (none for a concatenation); a map's data byte
// order (0 for verdicts); for intervals, that elements merge; the key's
// expressions (a map's only when concatenated); a vmap's data described as a verdict
// (EXPR_VERDICT, with no data of its own); for maps, whether the data are
// intervals (nat maps to address ranges).
func anonUdata(li *lhsInfo, interval, isMap, vmap bool, data byteOrder, dataInterval bool) []byte {
	ko := byte(li.order)
	if li.concat {
		ko = 0
	}
	b := []byte{0, 4, ko, 0, 0, 0}
	if isMap {
		if vmap {
			data = 0
		}
		b = append(b, 1, 4, byte(data), 0, 0, 0)
	}
	if interval {
		b = append(b, udataSetMerge, 4, 1, 0, 0, 0)
	}
	if li.concat || !isMap {
		// sets describe their key's expression; maps only a
		// concatenated key's
		b = append(b, keyTypeofUdata(li, true)...)
	}
	if vmap {
		b = append(b, udataSetDataTypeof, 8, 0, 4, 1, 0, 0, 0, 1, 0)
	}
	if isMap {
		di := byte(0)
		if dataInterval {
			di = 1
		}
		b = append(b, udataSetDataInterval, 4, di, 0, 0, 0)
	}
	return b
}

// concatDataTypes reads the rest of a map's concatenated data type
// (ipv4_addr . inet_service) after its first part.
func (p *parser) concatDataTypes(sd *setDef) {
	if !p.isPunct(".") {
		return
	}
	sd.dataTypes = []*Datatype{sd.dataType}
	for p.acceptPunct(".") {
		tt := p.next()
		dt := typeByName(tt.text)
		if dt == nil {
			p.fail(tt, "unknown datatype "+tt.text)
		}
		sd.dataTypes = append(sd.dataTypes, dt)
	}
	sd.dataType = concatType(sd.dataTypes)
}

// concatDataInfo describes a map's concatenated data as its registers
// hold it.
func concatDataInfo(dts []*Datatype) *lhsInfo {
	li := &lhsInfo{concat: true, order: orderBig}
	for _, dt := range dts {
		li.sels = append(li.sels, &typeSel{dt: dt})
		li.lenBytes += int(regSpace(dt.bytesLen())) * 4
	}
	li.dt = concatType(dts)
	li.bits = li.lenBytes * 8
	return li
}
