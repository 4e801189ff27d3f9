package nft

import (
	"bytes"
	"fmt"

	"golang.org/x/sys/unix"
)

// NAT maps whose values are more than one address (stmt_evaluate_nat_map,
// netlink_gen_nat_stmt): "ADDR . PORT" values map address and port at
// once, ranges and prefixes ("192.168.2.0/24", "10.0.0.1 . 80-90") make
// the data an interval. The map's result fills consecutive 32-bit
// registers from the lookup's destination: address, then port (padded to
// 4 bytes), then for intervals the same again for the upper bounds; the
// nat expression names each of them.

// natMapShape says what a nat map's values hold.
type natMapShape struct {
	withPort bool // values are ADDR . PORT
	interval bool // values are ranges: lows, then highs
}

// natMapShapeOf looks at a literal map's values.
func natMapShapeOf(s *setExpr) natMapShape {
	var sh natMapShape
	for _, e := range s.elems {
		m, ok := e.(*mappingExpr)
		if !ok {
			continue
		}
		parts := []Expr{m.val}
		if c, ok := m.val.(*concatExpr); ok {
			sh.withPort = true
			parts = c.parts
		}
		for _, p := range parts {
			switch p.(type) {
			case *rangeExpr, *prefixExpr:
				sh.interval = true
			}
		}
	}
	return sh
}

// natMapValue resolves one value of a nat map into its data bytes.
func (r *ruleCtx) natMapValue(e Expr, addr *Datatype, sh natMapShape) ([]byte, error) {
	parts := []Expr{e}
	types := []*Datatype{addr}
	if sh.withPort {
		c, ok := e.(*concatExpr)
		if !ok || len(c.parts) != 2 {
			return nil, r.cc.errAt(e.span(), "datatype mismatch: expected address . port")
		}
		parts = c.parts
		types = append(types, dtInetService)
	}
	var lo, hi []byte
	for i, p := range parts {
		dt := types[i]
		li := &lhsInfo{dt: dt, bits: dt.Bits, order: dt.Order, lenBytes: dt.bytesLen()}
		iv, err := r.natBounds(p, li)
		if err != nil {
			return nil, err
		}
		pad := make([]byte, int(regSpace(dt.bytesLen()))*4-dt.bytesLen())
		lo = append(append(lo, iv.lo...), pad...)
		hi = append(append(hi, iv.hi...), pad...)
	}
	if sh.interval {
		return append(lo, hi...), nil
	}
	return lo, nil
}

// natBounds is the lowest and highest value of a constant, range or
// prefix.
func (r *ruleCtx) natBounds(e Expr, li *lhsInfo) (interval, error) {
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
		return interval{lo: lo, hi: hi}, nil
	case *prefixExpr:
		v, err := r.constValue(x.x, li)
		if err != nil {
			return interval{}, err
		}
		if x.plen < 0 || x.plen > li.bits {
			return interval{}, r.cc.errAt(x.srcSpan, "invalid prefix length")
		}
		lo, hi := prefixBounds(v, x.plen)
		return interval{lo: lo, hi: hi}, nil
	}
	v, err := r.constValue(e, li)
	if err != nil {
		return interval{}, err
	}
	return interval{lo: v, hi: v}, nil
}

// natMapRegs are the registers a nat expression reads a map's result
// from.
type natMapRegs struct{ addrMin, addrMax, protoMin, protoMax uint32 }

// loadNatMap looks the address (and port) up in a literal map whose
// values are ADDR . PORT or intervals; ok is false for maps of single
// addresses, which loadArg handles.
func (r *ruleCtx) loadNatMap(a *stmtArg, addr *Datatype) (regs natMapRegs, width int, ok bool, err error) {
	if ref, isRef := a.m.m.(*setRefExpr); isRef {
		return r.loadNamedNatMap(a, ref, addr)
	}
	lit, isLit := a.m.m.(*setExpr)
	if !isLit {
		return regs, 0, false, nil
	}
	sh := natMapShapeOf(lit)
	if !sh.withPort && !sh.interval {
		return regs, 0, false, nil
	}
	li, err := r.natMapKey(a)
	if err != nil {
		return regs, 0, true, err
	}
	as, err := r.buildAnonSet(lit, li, func(e Expr) ([]byte, *verdictExpr, error) {
		d, err := r.natMapValue(e, addr, sh)
		return d, nil, err
	})
	if err != nil {
		return regs, 0, true, err
	}
	unit := int(regSpace(addr.bytesLen())) * 4
	as.dataType = addr.ID
	if sh.withPort {
		unit += 4
		as.dataType = addr.ID<<typeBits | dtInetService.ID
	}
	width = unit
	if sh.interval {
		width *= 2
	}
	// the data's byte order: an address's, none for address . port
	o := orderInvalid
	if dt := typeByID(as.dataType); dt != nil {
		o = dt.Order
	}
	as.udata = anonUdata(li, as.flags&setInterval != 0, true, false, o, sh.interval)
	as.flags |= setMap
	as.hasData = true
	as.dataLen = uint32(width)
	r.addAnonSet(as)
	dreg := r.reg
	reg := as.loadKey(r, li)
	r.emitLookup(reg, dreg, true, as.name, as.id, false)
	r.putReg(li.lenBytes)
	// The registers as netlink_gen_nat_stmt counts them: each step is
	// an address's width, also past a port (for IPv6 intervals that is
	// not where the data puts the upper bounds, but it is what nft
	// writes).
	base := r.getReg(width)
	step := regSpace(addr.bytesLen())
	regs.addrMin = base
	next := base
	if sh.interval {
		next += step
		if sh.withPort {
			regs.protoMin = next
		} else {
			regs.addrMax = next
		}
	}
	if sh.withPort {
		if sh.interval {
			next += step
			regs.addrMax = next
			regs.protoMax = next + step
		} else {
			regs.protoMin = next + step
		}
	}
	return regs, width, true, nil
}

// mapDataText prints a map element's data where one type does not say
// it: concatenations (ADDR . PORT) and intervals (nat maps), as nft
// prints them; ok is false for other data.
func mapDataText(e kElem, s *kSet, o *PrintOptions) (string, bool) {
	kts := keyTypes(s.dataType, s.dataLen)
	v, ok := udataU32(s.udata, udataSetDataInterval)
	interval := ok && v == 1
	if len(kts) < 2 && !interval || e.data == nil || s.dataType == unix.NFT_DATA_VERDICT {
		return "", false
	}
	width := 0
	for _, dt := range kts {
		width += int(regSpace(dt.bytesLen())) * 4
	}
	lo, hi := e.data, e.data
	if interval && len(e.data) >= 2*width {
		lo, hi = e.data[:width], e.data[width:2*width]
	}
	var parts []string
	off := 0
	for _, dt := range kts {
		n := dt.bytesLen()
		if off+n > len(lo) || off+n > len(hi) {
			return "", false
		}
		l, h := fromReg(lo[off:off+n], dt.Order), fromReg(hi[off:off+n], dt.Order)
		parts = append(parts, natIntervalText(dt, l, h, o))
		off += int(regSpace(n)) * 4
	}
	return joinDot(parts), true
}

// natIntervalText prints [lo, hi] as a value, a prefix or a range "lo-hi".
func natIntervalText(dt *Datatype, lo, hi []byte, o *PrintOptions) string {
	if bytes.Equal(lo, hi) {
		return formatValue(dt, lo, o)
	}
	if dt == dtIPv4 || dt == dtIPv6 {
		if n := rangePrefix(lo, hi); n >= 0 {
			return fmt.Sprintf("%s/%d", formatValue(dt, lo, o), n)
		}
	}
	return formatValue(dt, lo, o) + "-" + formatValue(dt, hi, o)
}

func joinDot(parts []string) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += " . "
		}
		s += p
	}
	return s
}

// loadNamedNatMap looks the address and port up in a map of the script
// whose values are ADDR . PORT (dnat ip addr . port to KEY map @m, or
// dnat ip to KEY map @m); ok is false for other maps, which loadArg
// handles.
func (r *ruleCtx) loadNamedNatMap(a *stmtArg, ref *setRefExpr, addr *Datatype) (regs natMapRegs, width int, ok bool, err error) {
	si := r.cc.setInfos[setKey(&Command{Family: r.fam, Table: r.table, Name: ref.name})]
	if si == nil || si.dli == nil || !si.dli.concat || len(si.dli.sels) != 2 || si.interval {
		return regs, 0, false, nil
	}
	li, err := r.natMapKey(a)
	if err != nil {
		return regs, 0, true, err
	}
	dreg := r.reg
	id := r.cc.namedSetID(r.table, ref.name)
	reg := r.loadSetRefKey(li, ref.name)
	r.emitLookup(reg, dreg, true, ref.name, id, false)
	r.putReg(li.lenBytes)
	width = int(regSpace(addr.bytesLen()))*4 + 4
	base := r.getReg(width)
	regs.addrMin = base
	regs.protoMin = base + regSpace(addr.bytesLen())
	return regs, width, true, nil
}

// natMapKey evaluates a nat map's key and adds its selectors' dependencies.
func (r *ruleCtx) natMapKey(a *stmtArg) (*lhsInfo, error) {
	li, err := r.evalLHS(a.m.key)
	if err != nil {
		return nil, err
	}
	for _, s := range li.sels {
		if err := s.deps(r); err != nil {
			return nil, err
		}
	}
	return li, nil
}
