package nft

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Named sets and maps: add/create/delete/flush set and map, and their
// elements.

// NFTA_* attributes x/sys/unix does not name.
const (
	nftaTableHandle   = 4
	nftaTableUserdata = 6
	nftaSetElemKeyEnd = 10
	nftaSetDescConcat = 2
	nftaSetFieldLen   = 1
)

func (cc *compileCtx) setKeyInfo(sd *setDef) (*lhsInfo, error) {
	if len(sd.keyTypes) == 0 {
		if sd.keyExpr != nil {
			r := &ruleCtx{cc: cc, reg: 1}
			return r.evalLHS(sd.keyExpr)
		}
		at := sd.pos
		if sd.namePos.Line > 0 {
			at = sd.namePos // nft points at a block's set by its name
		}
		return nil, cc.errAt(at, "set definition does not specify key")
	}
	if len(sd.keyTypes) == 1 {
		dt := sd.keyTypes[0]
		o := dt.Order
		return &lhsInfo{dt: dt, bits: dt.Bits, order: o, lenBytes: dt.bytesLen()}, nil
	}
	li := &lhsInfo{concat: true, order: orderBig}
	for _, dt := range sd.keyTypes {
		li.sels = append(li.sels, &typeSel{dt: dt})
		li.lenBytes += int(regSpace(dt.bytesLen())) * 4
	}
	li.dt = concatType(sd.keyTypes)
	li.bits = li.lenBytes * 8
	return li, nil
}

// typeSel stands for a value of a type where no expression loads it (a
// set declared by type): it resolves constants only.
type typeSel struct {
	srcSpan
	dt *Datatype
}

func (t *typeSel) dtype() *Datatype            { return t.dt }
func (t *typeSel) bits() int                   { return t.dt.Bits }
func (t *typeSel) order() byteOrder            { return t.dt.Order }
func (t *typeSel) deps(r *ruleCtx) error       { return nil }
func (t *typeSel) load(r *ruleCtx, reg uint32) {}
func (t *typeSel) geom() (int, int, bool)      { return t.dt.bytesLen(), 0, false }

func (cc *compileCtx) setCmd(c *Command) error {
	obj := objName(c.Family, c.Table, c.Name)
	var a attrBuf
	a.str(unix.NFTA_SET_TABLE, c.Table)
	if c.Name != "" {
		a.str(unix.NFTA_SET_NAME, c.Name)
	}
	switch c.Op {
	case "delete", "destroy":
		if c.Handle != 0 {
			a.u64(nftaSetHandle, c.Handle)
		}
		cc.add(unix.NFT_MSG_DELSET, 0, c.Family, "delete set", obj, a.b)
		return nil
	case "flush":
		var e attrBuf
		e.str(unix.NFTA_SET_ELEM_LIST_TABLE, c.Table)
		e.str(unix.NFTA_SET_ELEM_LIST_SET, c.Name)
		cc.add(unix.NFT_MSG_DELSETELEM, 0, c.Family, "flush set", obj, e.b)
		return nil
	case "add", "create":
	default:
		return cc.errAt(c.pos, "unsupported set command "+c.Op)
	}
	sd := c.set
	if sd == nil {
		return cc.errAt(c.pos, "set definition missing")
	}
	li, err := cc.setKeyInfo(sd)
	if err != nil {
		return err
	}
	var flags uint32
	for _, f := range sd.flags {
		switch f {
		case "constant":
			flags |= setConstant
		case "interval":
			flags |= setInterval
		case "timeout":
			flags |= setTimeout
		case "dynamic":
			flags |= setEval
		default:
			return cc.errAt(sd.pos, fmt.Sprintf("unknown set flag %s", f))
		}
	}
	if sd.timeout != "" {
		flags |= setTimeout
	}
	if sd.isMap {
		flags |= setMap
	}
	if li.concat && flags&setInterval != 0 {
		flags |= setConcat
	}
	a.u32(unix.NFTA_SET_FLAGS, flags)
	a.u32(unix.NFTA_SET_KEY_TYPE, li.dt.ID)
	a.u32(unix.NFTA_SET_KEY_LEN, uint32(li.lenBytes))
	var dli *lhsInfo
	if sd.isMap {
		dt := sd.dataType
		if dt == nil {
			dt = typeofDataType(sd.dataExpr)
			if dts := typeofDataTypes(sd.dataExpr); len(dts) > 1 {
				sd.dataTypes = dts
				dt = concatType(dts)
			}
			sd.dataType = dt
		}
		if dt == nil {
			return cc.errAt(sd.pos, "map definition does not specify data type")
		}
		if dt == dtVerdict {
			a.u32(unix.NFTA_SET_DATA_TYPE, unix.NFT_DATA_VERDICT)
			a.u32(unix.NFTA_SET_DATA_LEN, 0)
		} else {
			dli = &lhsInfo{dt: dt, bits: dt.Bits, order: dt.Order, lenBytes: dt.bytesLen()}
			if len(sd.dataTypes) > 1 {
				dli = concatDataInfo(sd.dataTypes)
			}
			a.u32(unix.NFTA_SET_DATA_TYPE, dli.dt.ID)
			a.u32(unix.NFTA_SET_DATA_LEN, uint32(dli.lenBytes))
		}
	}
	id := cc.nextNamedID()
	cc.named[c.Table+"/"+c.Name] = id
	cc.setInfos[setKey(c)] = &setInfo{li: li, dli: dli, vmap: sd.isMap && sd.dataType == dtVerdict, interval: flags&setInterval != 0}
	a.u32(unix.NFTA_SET_ID, id)
	if err := cc.putSetDecl(&a, sd, flags, li); err != nil {
		return err
	}
	ud := setUserdata(sd, li, dli)
	a.raw(unix.NFTA_SET_USERDATA, ud)
	if sd.counter {
		putCounterExpr(&a, nftaSetExpr)
	}
	fl := uint16(unix.NLM_F_CREATE)
	if c.Op == "create" {
		fl |= unix.NLM_F_EXCL
	}
	cc.setInfos[setKey(c)].msg = len(cc.prog.Messages)
	cc.add(unix.NFT_MSG_NEWSET, fl, c.Family, c.Op+" set", obj, a.b)
	if sd.elems != nil && len(sd.elems.elems) > 0 {
		return cc.elements(c, li, dli, sd.isMap && sd.dataType == dtVerdict, flags&setInterval != 0, sd.elems, unix.NFT_MSG_NEWSETELEM, unix.NLM_F_CREATE)
	}
	return nil
}

func (cc *compileCtx) nextNamedID() uint32 {
	cc.setID++
	return cc.setID
}

// setInfo is what element commands need of a set the script declared.
type setInfo struct {
	li, dli        *lhsInfo
	vmap, interval bool
	// msg is the index of the script's NEWSET message (-1 for a set
	// read from the kernel); set statements flag it dynamic.
	msg int
}

func setKey(c *Command) string { return c.Family.String() + "/" + c.Table + "/" + c.Name }

// elementCmd is add/create/delete element: the set's types come from the
// script (from the kernel: not yet).
func (cc *compileCtx) elementCmd(c *Command) error {
	si := cc.setInfos[setKey(c)]
	if si == nil {
		si = cc.kernelSetInfo(c)
	}
	if si == nil {
		if cc.lookup != nil {
			// nft's evaluation points at the set's name
			at := c.pos
			if c.nameSpan.Line > 0 {
				at = c.nameSpan
			}
			return cc.errAt(at, "No such file or directory")
		}
		return cc.errAt(c.pos, "element commands on sets not declared in the script are not supported yet")
	}
	if c.elems == nil {
		return cc.errAt(c.pos, "syntax error, element list missing")
	}
	if si.msg < 0 { // a kernel set: nft checks its intervals first
		if err := cc.checkIntervals(c, si); err != nil {
			return err
		}
	}
	cc.noFirstSegment = c.Op == "delete" || c.Op == "destroy" || si.msg < 0 && cc.kernelSetHasElements(c, si)
	defer func() { cc.noFirstSegment = false }()
	switch c.Op {
	case "add":
		return cc.elements(c, si.li, si.dli, si.vmap, si.interval, c.elems, unix.NFT_MSG_NEWSETELEM, unix.NLM_F_CREATE)
	case "create":
		return cc.elements(c, si.li, si.dli, si.vmap, si.interval, c.elems, unix.NFT_MSG_NEWSETELEM, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	case "delete", "destroy":
		return cc.elements(c, si.li, si.dli, si.vmap, si.interval, c.elems, unix.NFT_MSG_DELSETELEM, 0)
	}
	return cc.errAt(c.pos, "unsupported element command "+c.Op)
}

func (cc *compileCtx) elements(c *Command, li, dli *lhsInfo, vmap, interval bool, s *setExpr, typ uint16, flags uint16) error {
	r := &ruleCtx{cc: cc, reg: 1}
	var valueOf func(Expr) ([]byte, *verdictExpr, error)
	if vmap {
		valueOf = func(e Expr) ([]byte, *verdictExpr, error) {
			v, ok := e.(*verdictExpr)
			if !ok {
				return nil, nil, cc.errAt(e.span(), "expected a verdict")
			}
			return nil, v, nil
		}
	} else if dli != nil {
		valueOf = func(e Expr) ([]byte, *verdictExpr, error) {
			if c, ok := e.(*concatExpr); ok && dli.concat {
				v, err := r.concatValue(dli, c)
				return v, nil, err
			}
			v, err := r.constValue(e, dli)
			if err != nil {
				return nil, nil, err
			}
			return dli.regValue(v), nil, nil
		}
	}
	if interval && li.concat {
		// every element of an interval concatenation carries its
		// last key, a single value too (concat_order.go)
		ili := *li
		ili.intervalSet = true
		li = &ili
	}
	nli := *li
	nli.namedSet = true
	nli.intervalSet = interval // single values too are intervals there
	li = &nli
	as, err := r.buildAnonSet(s, li, valueOf)
	if err != nil {
		return err
	}
	if !interval && as.flags&setInterval != 0 {
		return cc.errAt(s.srcSpan, "You must add 'flags interval' to your set declaration if you want to add prefix/range elements")
	}
	obj := objName(c.Family, c.Table, c.Name)
	cc.add(typ, flags, c.Family, "add element", obj, elemListAttrs(c.Table, c.Name, 0, false, as.elems))
	return nil
}

const (
	nftaHookDevs      = 4
	nftaChainUserdata = 14
	nftaBitwiseOp     = 6
	nftaBitwiseData   = 7
	nftaSetHandle     = 16
)
