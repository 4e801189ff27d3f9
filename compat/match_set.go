package compat

import (
	"fmt"
	"strings"
)

// set: -m set, revision 4 (struct xt_set_info_match_v4, 44 bytes → 48):
// struct xt_set_info { u16 index (the ipset id, per network namespace);
// u8 dim; u8 flags (INV_MATCH=1, bit N set: dimension N is src) }; struct
// ip_set_counter_match packets and bytes { u64 value; u8 op } (op NONE=0
// EQ=1 NE=2 LT=3 GT=4); u32 flags (SKIP_COUNTER_UPDATE=8,
// SKIP_SUBCOUNTER_UPDATE=0x10, RETURN_NOMATCH=0x80). The set name is
// turned into its index when parsing and back when printing, through
// setIndexResolver / setNameResolver (set_index.go).

type setInfo struct {
	index          uint16
	dim, setFlags  uint8
	packets, bytes setCounter
	flags          uint32
}

// setCounter is struct ip_set_counter_match.
type setCounter struct {
	value uint64
	op    uint8
}

func (t *setInfo) unmarshal(b []byte) {
	t.index, t.dim, t.setFlags = hostOrder.Uint16(b[0:]), b[2], b[3]
	t.packets = setCounter{hostOrder.Uint64(b[8:]), b[16]}
	t.bytes = setCounter{hostOrder.Uint64(b[24:]), b[32]}
	t.flags = hostOrder.Uint32(b[40:])
}

func (t *setInfo) marshal(b []byte) {
	hostOrder.PutUint16(b[0:], t.index)
	b[2], b[3] = t.dim, t.setFlags
	hostOrder.PutUint64(b[8:], t.packets.value)
	b[16] = t.packets.op
	hostOrder.PutUint64(b[24:], t.bytes.value)
	b[32] = t.bytes.op
	hostOrder.PutUint32(b[40:], t.flags)
}

const (
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
	const multi = Invert | Multi
	Register(&Extension{
		Name: "set", Revision: 4, Size: 44,
		Options: []Option{
			{Name: "match-set", Aliases: []string{"set"}, ID: setOptMatchSet, Type: TypeString2, Flags: multi},
			{Name: "return-nomatch", ID: setOptReturnNomatch, Flags: multi},
			{Name: "update-counters", ID: setOptUpdateCounters, Flags: multi},
			{Name: "update-subcounters", ID: setOptUpdateSubcounters, Flags: multi},
			{Name: "packets-eq", ID: setOptPacketsEq, Type: TypeString, Flags: multi},
			{Name: "packets-lt", ID: setOptPacketsLt, Type: TypeString, Flags: multi},
			{Name: "packets-gt", ID: setOptPacketsGt, Type: TypeString, Flags: multi},
			{Name: "bytes-eq", ID: setOptBytesEq, Type: TypeString, Flags: multi},
			{Name: "bytes-lt", ID: setOptBytesLt, Type: TypeString, Flags: multi},
			{Name: "bytes-gt", ID: setOptBytesGt, Type: TypeString, Flags: multi},
		},
		OneOf: &OneOf{IDs: 1 << setOptMatchSet, Token: "set", Msg: "You must specify `--match-set' with proper arguments"},
		Parse: func(info []byte, c *OptionCall) error {
			var t setInfo
			t.unmarshal(info)
			if err := t.parse(c); err != nil {
				return err
			}
			t.marshal(info)
			return nil
		},
		Save:  setSave,
		Print: setPrint,
	})
}

func (t *setInfo) parse(c *OptionCall) error {
	switch id := c.Option.ID; id {
	case setOptMatchSet:
		if t.dim != 0 {
			return badSpec("--match-set", "--match-set can be specified only once")
		}
		if c.Invert {
			t.setFlags |= setInvMatch
		}
		name, dirs := c.Args[0], c.Args[1]
		if dirs == "" || dirs[0] == '-' || dirs[0] == '!' {
			return badSpec("--match-set", "--match-set requires two args.")
		}
		if len(name) > ipSetMaxNameLen-1 {
			return badSpec(name, "setname `%s' too long, max %d characters.", name, ipSetMaxNameLen-1)
		}
		idx, err := setIndexResolver(c.ParseContext, name)
		if err != nil {
			return err
		}
		t.index = idx
		parts := strings.Split(dirs, ",")
		if len(parts) > setDimMax {
			return badSpec(dirs, "Can't be more src/dst options than %d.", setDimMax)
		}
		for _, p := range parts {
			t.dim++
			switch {
			case strings.HasPrefix(p, "src"):
				t.setFlags |= 1 << t.dim
			case strings.HasPrefix(p, "dst"):
			default:
				return badSpec(dirs, "You must spefify (the comma separated list of) 'src' or 'dst'.")
			}
		}
	case setOptReturnNomatch:
		if c.Invert {
			return badSpec("--return-nomatch", "--return-nomatch flag cannot be inverted")
		}
		t.flags |= setReturnNomatch
	case setOptUpdateCounters:
		if c.Invert {
			t.flags |= setSkipCounters
		}
	case setOptUpdateSubcounters:
		if c.Invert {
			t.flags |= setSkipSubCounts
		}
	default:
		cnt, what := &t.packets, "packets"
		if id >= setOptBytesEq {
			cnt, what = &t.bytes, "bytes"
		}
		if cnt.op != setCounterNone {
			return badSpec("--"+c.Option.Name, "only one of the --%s-[eq|lt|gt] is allowed", what)
		}
		op := byte(setCounterEQ)
		switch id {
		case setOptPacketsEq, setOptBytesEq:
			if c.Invert {
				op = setCounterNE
			}
		case setOptPacketsLt, setOptBytesLt:
			op = setCounterLT
		case setOptPacketsGt, setOptBytesGt:
			op = setCounterGT
		}
		if c.Invert && op != setCounterNE {
			return badSpec("--"+c.Option.Name, "--%s option cannot be inverted", c.Option.Name)
		}
		v, ok := parseUint(strings.TrimLeft(c.Arg(), cSpaces), 0, ^uint64(0))
		if !ok {
			return badSpec(c.Arg(), "Cannot parse %s as a counter value", c.Arg())
		}
		*cnt = setCounter{value: v, op: op}
	}
	return nil
}

func setSave(info []byte, w *Writer) { setWrite(info, w, "--") }

// setPrint is what -L shows: the options as -S writes them, without
// their dashes ("match-set s4 src packets-gt 10").
func setPrint(info []byte, w *Writer) { setWrite(info, w, "") }

func setWrite(info []byte, w *Writer, sep string) {
	opt := func(invert bool, name string, values ...string) {
		if invert {
			w.WriteString(" !")
		}
		w.WriteString(" " + sep + name)
		for _, v := range values {
			w.WriteString(" " + v)
		}
	}
	var t setInfo
	t.unmarshal(info)
	name, err := setNameResolver(w, t.index)
	if err != nil {
		// iptables stops with "Set with index N in kernel doesn't exist.";
		// Save cannot fail, so the index is shown instead of a name.
		name = fmt.Sprintf("#%d", t.index)
	}
	opt(t.setFlags&setInvMatch != 0, "match-set", name)
	for i := 1; i <= int(t.dim) && i < 8; i++ {
		sep := ","
		if i == 1 {
			sep = " "
		}
		w.WriteString(sep)
		if t.setFlags&(1<<i) != 0 {
			w.WriteString("src")
		} else {
			w.WriteString("dst")
		}
	}
	if t.flags&setReturnNomatch != 0 {
		opt(false, "return-nomatch")
	}
	if t.flags&setSkipCounters != 0 {
		opt(true, "update-counters")
	}
	if t.flags&setSkipSubCounts != 0 {
		opt(true, "update-subcounters")
	}
	for _, c := range []struct {
		cnt  setCounter
		name string
	}{{t.packets, "packets"}, {t.bytes, "bytes"}} {
		v := utoa(c.cnt.value)
		switch c.cnt.op {
		case setCounterEQ:
			opt(false, c.name+"-eq", v)
		case setCounterNE:
			opt(true, c.name+"-eq", v)
		case setCounterLT:
			opt(false, c.name+"-lt", v)
		case setCounterGT:
			opt(false, c.name+"-gt", v)
		}
	}
}
