package nft

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// A named set's declaration beyond its types and flags: policy, size,
// timeout, gc-interval, auto-merge and comment, written in libnftnl's
// attribute order and printed back in nft's.

const (
	nftaSetPolicy     = 8 // NFTA_SET_POLICY
	nftaSetGCInterval = 12
	setPolicyMemory   = 1 // NFT_SET_POL_MEMORY
	udataSetMerge     = 2 // NFTNL_UDATA_SET_MERGE_ELEMENTS
	udataSetComment   = 7 // NFTNL_UDATA_SET_COMMENT
	// NFTNL_UDATA_SET_DATA_TYPEOF and _DATA_INTERVAL: nft describes a
	// map's data by its expression (a vmap's: the verdict) and says
	// whether it is an interval
	udataSetDataTypeof   = 4
	udataSetDataInterval = 6
)

// putSetDecl writes the attributes that follow NFTA_SET_ID: policy and
// size (not for constant sets, whose size is their element count),
// field lengths of interval concatenations, timeout and gc-interval.
func (cc *compileCtx) putSetDecl(a *attrBuf, sd *setDef, flags uint32, li *lhsInfo) error {
	var size uint32
	if flags&setConstant == 0 {
		switch sd.policy {
		case "", "performance":
		case "memory":
			a.u32(nftaSetPolicy, setPolicyMemory)
		default:
			return cc.errAt(sd.pos, fmt.Sprintf("unknown policy %s", sd.policy))
		}
		size = sd.size
	} else if sd.elems != nil {
		size = uint32(len(flattenSet(sd.elems.elems)))
	}
	concat := li.concat && flags&setInterval != 0
	if size != 0 || concat {
		n := a.nest(unix.NFTA_SET_DESC)
		if size != 0 {
			a.u32(unix.NFTA_SET_DESC_SIZE, size)
		}
		if concat {
			// nft describes the fields of interval concatenations only
			putDescConcat(a, concatFieldLens(li))
		}
		a.end(n)
	}
	if sd.timeout != "" {
		ms, ok := parseTime(sd.timeout)
		if !ok {
			return cc.errAt(sd.pos, "invalid timeout")
		}
		a.u64(unix.NFTA_SET_TIMEOUT, ms)
	}
	if sd.gcInt != "" {
		ms, ok := parseTime(sd.gcInt)
		if !ok {
			return cc.errAt(sd.pos, "invalid gc-interval")
		}
		a.u32(nftaSetGCInterval, uint32(ms))
	}
	return nil
}

// setUserdata is a named set's NFTA_SET_USERDATA: key (and data) byte
// order, auto-merge, comment.
func setUserdata(sd *setDef, li, dli *lhsInfo) []byte {
	ko := byte(li.order)
	if li.concat {
		ko = 0 // nft's concatenations have no byte order of their own
	}
	ud := []byte{0, 4, ko, 0, 0, 0}
	if sd.isMap && sd.objType == "" {
		// a verdict map's data has no byte order: nft writes 0
		var o byte
		if dli != nil {
			o = byte(dli.order)
		}
		ud = append(ud, 1, 4, o, 0, 0, 0)
	}
	if sd.autoMerge {
		ud = append(ud, udataSetMerge, 4, 1, 0, 0, 0)
	}
	ud = append(ud, keyTypeofUdata(li, sd.keyTypeofGiven)...)
	ud = append(ud, dataTypeofUdata(sd)...)
	if sd.isMap && sd.objType == "" {
		ud = append(ud, udataSetDataInterval, 4, 0, 0, 0, 0)
	}
	if sd.comment != "" {
		ud = append(ud, udataStr(udataSetComment, sd.comment)...)
	}
	return ud
}

// udataU32 finds a 32-bit user data value of type typ.
func udataU32(u []byte, typ byte) (uint32, bool) {
	for len(u) >= 2 {
		t, l := u[0], int(u[1])
		if 2+l > len(u) {
			break
		}
		if t == typ && l == 4 {
			return uint32(u[2]) | uint32(u[3])<<8 | uint32(u[4])<<16 | uint32(u[5])<<24, true
		}
		u = u[2+l:]
	}
	return 0, false
}

// The printer's side: the lines nft prints around flags.

// setPolicyLine is "policy memory" for a non-constant set that asks for
// it.
func setPolicyLine(s *kSet, ind string) string {
	if s.flags&setConstant != 0 || s.policy != setPolicyMemory {
		return ""
	}
	return ind + "\tpolicy memory\n"
}

// setTrailerLines are auto-merge, timeout, gc-interval and comment.
func setTrailerLines(s *kSet, ind string, o *PrintOptions) string {
	var b strings.Builder
	if v, ok := udataU32(s.udata, udataSetMerge); ok && v != 0 {
		b.WriteString(ind + "\tauto-merge\n")
	}
	if s.timeout != 0 {
		fmt.Fprintf(&b, "%s\ttimeout %s\n", ind, durationText(s.timeout, o))
	}
	if s.gcInterval != 0 {
		fmt.Fprintf(&b, "%s\tgc-interval %s\n", ind, durationText(uint64(s.gcInterval), o))
	}
	if c := udataString(s.udata, udataSetComment); c != "" {
		fmt.Fprintf(&b, "%s\tcomment %q\n", ind, c)
	}
	return b.String()
}

// elemTimes reads an element's own timeout and expiry.
func (r *ruleCtx) elemTimes(el *elemExpr) (timeout, expires uint64, err error) {
	for _, t := range []struct {
		s   string
		dst *uint64
	}{{el.timeout, &timeout}, {el.expires, &expires}} {
		if t.s == "" {
			continue
		}
		ms, ok := parseTime(t.s)
		if !ok {
			return 0, 0, r.cc.errAt(el.srcSpan, "Wrong time format")
		}
		*t.dst = ms
	}
	return timeout, expires, nil
}

// Stateful expressions of sets and elements: "counter" in a set's
// declaration gives every element a counter; "counter" after an element
// gives it one.

const (
	nftaSetExpr            = 17 // NFTA_SET_EXPR
	nftaSetExpressions     = 18 // NFTA_SET_EXPRESSIONS
	nftaSetElemExpressions = 11 // NFTA_SET_ELEM_EXPRESSIONS
)

// putCounterExpr writes a zeroed counter as a nested expression (nft
// sends a counter with no values: both zero).
func putCounterExpr(a *attrBuf, typ uint16) {
	n := a.nest(typ)
	a.str(unix.NFTA_EXPR_NAME, "counter")
	d := a.nest(unix.NFTA_EXPR_DATA)
	a.end(d)
	a.end(n)
}

// kStateful reads the stateful expressions of a set or element (one in
// expr, several in list).
func kStateful(a attrMap, expr, list uint16) []kExpr {
	var out []kExpr
	if raw, ok := a[expr]; ok {
		out = append(out, parseKExpr(raw))
	}
	if raw, ok := a[list]; ok {
		for _, el := range parseAttrs(raw) {
			out = append(out, parseKExpr(el.data))
		}
	}
	return out
}

// statefulElemText prints an element's stateful expressions as nft does
// after its key ("counter packets 0 bytes 0").
func statefulElemText(exprs []kExpr, o *PrintOptions) string {
	var b strings.Builder
	for _, e := range exprs {
		if e.name != "counter" {
			continue
		}
		if o != nil && o.Stateless {
			b.WriteString(" counter")
			continue
		}
		fmt.Fprintf(&b, " counter packets %d bytes %d", e.a.u64(unix.NFTA_COUNTER_PACKETS), e.a.u64(unix.NFTA_COUNTER_BYTES))
	}
	return b.String()
}

// setStatefulLine is the set declaration's line of stateful statements,
// printed without values ("counter").
func setStatefulLine(s *kSet, ind string) string {
	var names []string
	for _, e := range s.exprs {
		if e.name == "counter" {
			names = append(names, "counter")
		}
	}
	if len(names) == 0 {
		return ""
	}
	return ind + "\t" + strings.Join(names, " ") + "\n"
}

// durationText prints a set's or element's time as nft does: 1h30m, or
// with -n or -T (NFT_CTX_OUTPUT_NUMERIC_TIME) whole seconds.
func durationText(ms uint64, o *PrintOptions) string {
	if o != nil && o.numericTime {
		return fmt.Sprintf("%ds", ms/1000)
	}
	return formatTime(ms)
}
