package compat

import (
	"fmt"
	"strings"
)

// sctp: -p sctp -m sctp [!] --sport P[:P] [!] --dport P[:P]
// [!] --chunk-types all|any|only CHUNK[:FLAGS][,...] (struct xt_sctp_info,
// 292 bytes): u16 dpts[2], u16 spts[2], u32 chunkmap[64] (bit N = chunk
// type N), u32 chunk_match_type (ANY 1, ALL 2, ONLY 4), struct {u8
// chunktype, flag, flag_mask} flag_info[4] (chunktype starts at 0xff),
// int flag_count, u32 flags (SRC 1, DEST 2, CHUNK_TYPES 4), u32 invflags.
// The kernel refuses it without -p sctp.
//
// As in iptables, flag_info[].chunktype holds the index of the chunk in
// iptables' name table, not its type, and -S looks flags up by type: this
// only agrees for DATA, ABORT and SHUTDOWN_COMPLETE, the chunks with flags
// below index 15 (I_DATA flags are stored but never printed).

type sctpInfo struct {
	dpts, spts     [2]uint16
	chunkmap       [64]uint32
	chunkMatchType uint32
	flagInfo       [sctpNumFlags]sctpFlagInfo
	flagCount      int32
	flags          uint32
	invflags       uint32
}

// sctpFlagInfo is struct xt_sctp_flag_info.
type sctpFlagInfo struct{ chunktype, flag, flagMask uint8 }

const (
	sctpSrcPorts   = 0x01
	sctpDestPorts  = 0x02
	sctpChunkTypes = 0x04
	sctpNumFlags   = 4
)

func (t *sctpInfo) unmarshal(b []byte) {
	t.dpts = [2]uint16{hostOrder.Uint16(b[0:]), hostOrder.Uint16(b[2:])}
	t.spts = [2]uint16{hostOrder.Uint16(b[4:]), hostOrder.Uint16(b[6:])}
	for i := range t.chunkmap {
		t.chunkmap[i] = hostOrder.Uint32(b[8+4*i:])
	}
	t.chunkMatchType = hostOrder.Uint32(b[264:])
	for i := range t.flagInfo {
		f := b[268+3*i:]
		t.flagInfo[i] = sctpFlagInfo{f[0], f[1], f[2]}
	}
	t.flagCount = int32(hostOrder.Uint32(b[280:]))
	t.flags, t.invflags = hostOrder.Uint32(b[284:]), hostOrder.Uint32(b[288:])
}

func (t *sctpInfo) marshal(b []byte) {
	hostOrder.PutUint16(b[0:], t.dpts[0])
	hostOrder.PutUint16(b[2:], t.dpts[1])
	hostOrder.PutUint16(b[4:], t.spts[0])
	hostOrder.PutUint16(b[6:], t.spts[1])
	for i, m := range t.chunkmap {
		hostOrder.PutUint32(b[8+4*i:], m)
	}
	hostOrder.PutUint32(b[264:], t.chunkMatchType)
	for i, f := range t.flagInfo {
		b[268+3*i], b[269+3*i], b[270+3*i] = f.chunktype, f.flag, f.flagMask
	}
	hostOrder.PutUint32(b[280:], uint32(t.flagCount))
	hostOrder.PutUint32(b[284:], t.flags)
	hostOrder.PutUint32(b[288:], t.invflags)
}

var sctpChunkNames = []struct {
	name  string
	typ   int
	flags string
}{
	{"DATA", 0, "----IUBE"},
	{"INIT", 1, "--------"},
	{"INIT_ACK", 2, "--------"},
	{"SACK", 3, "--------"},
	{"HEARTBEAT", 4, "--------"},
	{"HEARTBEAT_ACK", 5, "--------"},
	{"ABORT", 6, "-------T"},
	{"SHUTDOWN", 7, "--------"},
	{"SHUTDOWN_ACK", 8, "--------"},
	{"ERROR", 9, "--------"},
	{"COOKIE_ECHO", 10, "--------"},
	{"COOKIE_ACK", 11, "--------"},
	{"ECN_ECNE", 12, "--------"},
	{"ECN_CWR", 13, "--------"},
	{"SHUTDOWN_COMPLETE", 14, "-------T"},
	{"I_DATA", 64, "----IUBE"},
	{"RE_CONFIG", 130, "--------"},
	{"PAD", 132, "--------"},
	{"ASCONF", 193, "--------"},
	{"ASCONF_ACK", 128, "--------"},
	{"FORWARD_TSN", 192, "--------"},
	{"I_FORWARD_TSN", 194, "--------"},
}

var sctpMatchTypes = []struct {
	name string
	v    uint32
}{{"any", 1}, {"all", 2}, {"only", 4}}

func init() {
	Register(&Extension{
		Name: "sctp", Revision: 0, Size: 292, Proto: 132,
		Options: []Option{
			{Name: "source-port", Aliases: []string{"sport"}, ID: 0, Type: TypeString, Flags: Invert},
			{Name: "destination-port", Aliases: []string{"dport"}, ID: 1, Type: TypeString, Flags: Invert},
			{Name: "chunk-types", ID: 2, Type: TypeString2, Flags: Invert},
		},
		Init: func(info []byte, _ *ParseContext) {
			var t sctpInfo
			for i := range t.flagInfo {
				t.flagInfo[i].chunktype = 0xff
			}
			t.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error {
			var t sctpInfo
			t.unmarshal(info)
			if err := t.parse(c); err != nil {
				return err
			}
			t.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var t sctpInfo
			t.unmarshal(info)
			if t.flags&sctpSrcPorts != 0 {
				w.portRangeOpt(t.invflags&sctpSrcPorts != 0, "sport", t.spts[0], t.spts[1])
			}
			if t.flags&sctpDestPorts != 0 {
				w.portRangeOpt(t.invflags&sctpDestPorts != 0, "dport", t.dpts[0], t.dpts[1])
			}
			if t.flags&sctpChunkTypes != 0 {
				w.Opt(t.invflags&sctpChunkTypes != 0, "chunk-types")
				w.WriteString(t.chunks(false))
			}
		},
		Print: func(info []byte, w *Writer) {
			var t sctpInfo
			t.unmarshal(info)
			w.WriteString(" sctp")
			if t.flags&sctpSrcPorts != 0 {
				printPorts(w, "spt", t.spts[0], t.spts[1], t.invflags&sctpSrcPorts != 0)
			}
			if t.flags&sctpDestPorts != 0 {
				printPorts(w, "dpt", t.dpts[0], t.dpts[1], t.invflags&sctpDestPorts != 0)
			}
			if t.flags&sctpChunkTypes != 0 {
				if t.invflags&sctpChunkTypes != 0 {
					w.WriteString(" !")
				}
				w.WriteString(t.chunks(w.Numeric()))
			}
		},
	})
}

func (t *sctpInfo) parse(c *OptionCall) error {
	var bit uint32
	switch c.Option.ID {
	case 0, 1:
		r, err := parsePortRange(c.Arg(), "sctp")
		if err != nil {
			return err
		}
		if c.Option.ID == 0 {
			t.spts, bit = r, sctpSrcPorts
		} else {
			t.dpts, bit = r, sctpDestPorts
		}
	case 2:
		if a := c.Args[1]; a != "" && (a[0] == '-' || a[0] == '!') {
			return badSpec("--chunk-types", "--chunk-types requires two args")
		}
		bit = sctpChunkTypes
		mt := uint32(0)
		for _, m := range sctpMatchTypes {
			if strings.EqualFold(c.Args[0], m.name) {
				mt = m.v
			}
		}
		if mt == 0 {
			return badSpec(c.Args[0], "Match type has to be one of \"ALL\", \"ANY\" or \"ONLY\"")
		}
		t.chunkMatchType = mt
		if err := t.parseChunks(c.Args[1]); err != nil {
			return err
		}
	}
	t.flags |= bit
	if c.Invert {
		t.invflags |= bit
	}
	return nil
}

func (t *sctpInfo) parseChunks(chunks string) error {
	clear(t.chunkmap[:])
	switch {
	case strings.EqualFold(chunks, "ALL"):
		for i := range t.chunkmap {
			t.chunkmap[i] = 0xffffffff
		}
		return nil
	case strings.EqualFold(chunks, "NONE"):
		return nil
	}
	for _, tok := range strings.Split(chunks, ",") {
		if tok == "" {
			continue
		}
		name, flags, _ := strings.Cut(tok, ":")
		idx := -1
		for i, c := range sctpChunkNames {
			if strings.EqualFold(c.name, name) {
				idx = i
				break
			}
		}
		if idx < 0 {
			return badSpec(name, "Unknown sctp chunk `%s'", name)
		}
		typ := sctpChunkNames[idx].typ
		t.chunkmap[typ/32] |= 1 << (typ % 32)
		for j := 0; j < len(flags); j++ {
			c := flags[j]
			up := c
			if c >= 'a' && c <= 'z' {
				up = c - 'a' + 'A'
			}
			p := strings.IndexByte(sctpChunkNames[idx].flags, up)
			if p < 0 {
				return badSpec(tok, "Invalid flags for chunk type %d", idx)
			}
			if err := t.saveFlag(byte(idx), 7-p, c >= 'A' && c <= 'Z'); err != nil {
				return err
			}
		}
	}
	return nil
}

// saveFlag is save_chunk_flag_info: one more flag bit for a chunk.
func (t *sctpInfo) saveFlag(chunk byte, bit int, set bool) error {
	count := int(t.flagCount)
	for i := 0; i < count && i < sctpNumFlags; i++ {
		fi := &t.flagInfo[i]
		if fi.chunktype == chunk {
			fi.flagMask |= 1 << bit
			if set {
				fi.flag |= 1 << bit
			}
			return nil
		}
	}
	if count >= sctpNumFlags {
		return badSpec("--chunk-types", "Number of chunk types with flags exceeds currently allowed limit. Increasing this limit involves changing IPT_NUM_SCTP_FLAGS and recompiling both the kernel space and user space modules")
	}
	fi := &t.flagInfo[count]
	fi.chunktype = chunk
	fi.flagMask |= 1 << bit
	if set {
		fi.flag |= 1 << bit
	}
	t.flagCount = int32(count + 1)
	return nil
}

// chunks is print_chunks: " any ALL", " all DATA:Be,INIT", ...
func (t *sctpInfo) chunks(numeric bool) string {
	var sb strings.Builder
	switch t.chunkMatchType {
	case 1:
		sb.WriteString(" any")
	case 2:
		sb.WriteString(" all")
	case 4:
		sb.WriteString(" only")
	default:
		sb.WriteString("Never reach here\n")
	}
	clearMap, allSet := true, true
	for _, v := range t.chunkmap {
		clearMap = clearMap && v == 0
		allSet = allSet && v == 0xffffffff
	}
	switch {
	case clearMap:
		sb.WriteString(" NONE")
		return sb.String()
	case allSet:
		sb.WriteString(" ALL")
		return sb.String()
	}
	count := min(int(t.flagCount), sctpNumFlags)
	first := true
	for i := 0; i < 256; i++ {
		if t.chunkmap[i/32]&(1<<(i%32)) == 0 {
			continue
		}
		if first {
			sb.WriteByte(' ')
		} else {
			sb.WriteByte(',')
		}
		first = false
		if numeric {
			fmt.Fprintf(&sb, "0x%04X", i)
		} else {
			for _, c := range sctpChunkNames {
				if c.typ == i {
					sb.WriteString(c.name)
				}
			}
		}
		for _, fi := range t.flagInfo[:max(count, 0)] {
			if int(fi.chunktype) != i {
				continue
			}
			if fi.flagMask != 0 {
				sb.WriteByte(':')
			}
			if i >= len(sctpChunkNames) {
				continue
			}
			valid := sctpChunkNames[i].flags
			for b := 7; b >= 0; b-- {
				if fi.flagMask&(1<<b) == 0 {
					continue
				}
				c := valid[7-b]
				if fi.flag&(1<<b) == 0 && c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				sb.WriteByte(c)
			}
		}
	}
	return sb.String()
}
