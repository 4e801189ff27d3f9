package compat

import (
	"fmt"
	"strings"
)

// set: -m set, revision 4 (struct xt_set_info_match_v4, 44 bytes → 48,
// host order): struct xt_set_info { u16 index @0 (the ipset id, per
// network namespace); u8 dim @2; u8 flags @3 (INV_MATCH=1, bit N set:
// dimension N is src) }; struct ip_set_counter_match packets { u64 value
// @8; u8 op @16 } and bytes { u64 value @24; u8 op @32 } (op NONE=0 EQ=1
// NE=2 LT=3 GT=4); u32 flags @40 (SKIP_COUNTER_UPDATE=8,
// SKIP_SUBCOUNTER_UPDATE=0x10, RETURN_NOMATCH=0x80). The set name is
// turned into its index when parsing and back when printing, through
// setIndexResolver / setNameResolver (set_index.go).

const (
	setIndex   = 0
	setDim     = 2
	setSFlags  = 3
	setPackets = 8
	setBytes   = 24
	setFlags   = 40

	setInvMatch      = 0x01
	setSkipCounters  = 0x08
	setSkipSubCounts = 0x10
	setReturnNomatch = 0x80
	setDimMax        = 6

	setCounterNone = 0
	setCounterEQ   = 1
	setCounterNE   = 2
	setCounterLT   = 3
	setCounterGT   = 4
)

const (
	setOptMatchSet = iota
	setOptReturnNomatch
	setOptUpdateCounters
	setOptUpdateSubcounters
	setOptPacketsEq
	setOptPacketsLt
	setOptPacketsGt
	setOptBytesEq
	setOptBytesLt
	setOptBytesGt
)

func init() {
	Register(&Extension{
		Name: "set", Revision: 4, Size: 44,
		Options: []Option{
			{Name: "match-set", Aliases: []string{"set"}, Args: 2, Invert: true, Multi: true, ID: setOptMatchSet},
			{Name: "return-nomatch", Invert: true, Multi: true, ID: setOptReturnNomatch},
			{Name: "update-counters", Invert: true, Multi: true, ID: setOptUpdateCounters},
			{Name: "update-subcounters", Invert: true, Multi: true, ID: setOptUpdateSubcounters},
			{Name: "packets-eq", Args: 1, Invert: true, Multi: true, ID: setOptPacketsEq},
			{Name: "packets-lt", Args: 1, Invert: true, Multi: true, ID: setOptPacketsLt},
			{Name: "packets-gt", Args: 1, Invert: true, Multi: true, ID: setOptPacketsGt},
			{Name: "bytes-eq", Args: 1, Invert: true, Multi: true, ID: setOptBytesEq},
			{Name: "bytes-lt", Args: 1, Invert: true, Multi: true, ID: setOptBytesLt},
			{Name: "bytes-gt", Args: 1, Invert: true, Multi: true, ID: setOptBytesGt},
		},
		LegacyParse: setParse,
		Final: func(info []byte, _ *ParseContext) error {
			if info[setDim] == 0 {
				return badSpec("set", "You must specify `--match-set' with proper arguments")
			}
			return nil
		},
		Save: setSave,
	})
}

func setParse(info []byte, opt *Option, args []string, invert bool, ctx *ParseContext) error {
	flags := le32(info[setFlags:])
	switch opt.ID {
	case setOptMatchSet:
		if info[setDim] != 0 {
			return badSpec("--match-set", "--match-set can be specified only once")
		}
		if invert {
			info[setSFlags] |= setInvMatch
		}
		name, dirs := args[0], args[1]
		if dirs == "" || dirs[0] == '-' || dirs[0] == '!' {
			return badSpec("--match-set", "--match-set requires two args.")
		}
		if len(name) > ipSetMaxNameLen-1 {
			return badSpec(name, "setname `%s' too long, max %d characters.", name, ipSetMaxNameLen-1)
		}
		idx, err := setIndexResolver(ctx, name)
		if err != nil {
			return err
		}
		putLe16(info[setIndex:], idx)
		parts := strings.Split(dirs, ",")
		if len(parts) > setDimMax {
			return badSpec(dirs, "Can't be more src/dst options than %d.", setDimMax)
		}
		for _, p := range parts {
			info[setDim]++
			switch {
			case strings.HasPrefix(p, "src"):
				info[setSFlags] |= 1 << info[setDim]
			case strings.HasPrefix(p, "dst"):
			default:
				return badSpec(dirs, "You must spefify (the comma separated list of) 'src' or 'dst'.")
			}
		}
	case setOptReturnNomatch:
		if invert {
			return badSpec("--return-nomatch", "--return-nomatch flag cannot be inverted")
		}
		flags |= setReturnNomatch
	case setOptUpdateCounters:
		if invert {
			flags |= setSkipCounters
		}
	case setOptUpdateSubcounters:
		if invert {
			flags |= setSkipSubCounts
		}
	default:
		off, what := setPackets, "packets"
		if opt.ID >= setOptBytesEq {
			off, what = setBytes, "bytes"
		}
		if info[off+8] != setCounterNone {
			return badSpec("--"+opt.Name, "only one of the --%s-[eq|lt|gt] is allowed", what)
		}
		op := byte(setCounterEQ)
		switch opt.ID {
		case setOptPacketsEq, setOptBytesEq:
			if invert {
				op = setCounterNE
			}
		case setOptPacketsLt, setOptBytesLt:
			op = setCounterLT
		case setOptPacketsGt, setOptBytesGt:
			op = setCounterGT
		}
		if invert && op != setCounterNE {
			return badSpec("--"+opt.Name, "--%s option cannot be inverted", opt.Name)
		}
		v, ok := parseUint(strings.TrimLeft(args[0], cSpaces), 0, ^uint64(0))
		if !ok {
			return badSpec(args[0], "Cannot parse %s as a counter value", args[0])
		}
		info[off+8] = op
		putLe64(info[off:], v)
	}
	putLe32(info[setFlags:], flags)
	return nil
}

func setSave(info []byte, w *Writer) {
	idx := le16(info[setIndex:])
	name, err := setNameResolver(w, idx)
	if err != nil {
		// iptables stops with "Set with index N in kernel doesn't exist.";
		// Save cannot fail, so the index is shown instead of a name.
		name = fmt.Sprintf("#%d", idx)
	}
	w.Opt(info[setSFlags]&setInvMatch != 0, "match-set", name)
	for i := 1; i <= int(info[setDim]) && i < 8; i++ {
		sep := ","
		if i == 1 {
			sep = " "
		}
		w.WriteString(sep)
		if info[setSFlags]&(1<<i) != 0 {
			w.WriteString("src")
		} else {
			w.WriteString("dst")
		}
	}
	flags := le32(info[setFlags:])
	if flags&setReturnNomatch != 0 {
		w.Opt(false, "return-nomatch")
	}
	if flags&setSkipCounters != 0 {
		w.Opt(true, "update-counters")
	}
	if flags&setSkipSubCounts != 0 {
		w.Opt(true, "update-subcounters")
	}
	for _, c := range []struct {
		off  int
		name string
	}{{setPackets, "packets"}, {setBytes, "bytes"}} {
		v := utoa(le64(info[c.off:]))
		switch info[c.off+8] {
		case setCounterEQ:
			w.Opt(false, c.name+"-eq", v)
		case setCounterNE:
			w.Opt(true, c.name+"-eq", v)
		case setCounterLT:
			w.Opt(false, c.name+"-lt", v)
		case setCounterGT:
			w.Opt(false, c.name+"-gt", v)
		}
	}
}
