package compat

import (
	"fmt"
	"strings"
)

// sctp: -p sctp -m sctp [!] --sport P[:P] [!] --dport P[:P]
// [!] --chunk-types all|any|only CHUNK[:FLAGS][,...] (struct xt_sctp_info,
// 292 bytes, host order): u16 dpts[2] @0, u16 spts[2] @4, u32 chunkmap[64]
// @8 (bit N = chunk type N), u32 chunk_match_type @264 (ANY 1, ALL 2,
// ONLY 4), struct {u8 chunktype, flag, flag_mask} flag_info[4] @268
// (chunktype starts at 0xff), int flag_count @280, u32 flags @284 (SRC 1,
// DEST 2, CHUNK_TYPES 4), u32 invflags @288. The kernel refuses it
// without -p sctp.
//
// As in iptables, flag_info[].chunktype holds the index of the chunk in
// iptables' name table, not its type, and -S looks flags up by type: this
// only agrees for DATA, ABORT and SHUTDOWN_COMPLETE, the chunks with flags
// below index 15 (I_DATA flags are stored but never printed).

const (
	sctpSrcPorts     = 0x01
	sctpDestPorts    = 0x02
	sctpChunkTypes   = 0x04
	sctpChunkmapOff  = 8
	sctpMatchTypeOff = 264
	sctpFlagInfoOff  = 268
	sctpFlagCountOff = 280
	sctpFlagsOff     = 284
	sctpInvflagsOff  = 288
	sctpNumFlags     = 4
)

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
		Name: "sctp", Revision: 0, Size: 292,
		Options: []Option{
			{Name: "source-port", Aliases: []string{"sport"}, Args: 1, Invert: true, ID: 0},
			{Name: "destination-port", Aliases: []string{"dport"}, Args: 1, Invert: true, ID: 1},
			{Name: "chunk-types", Args: 2, Invert: true, ID: 2},
		},
		Init: func(info []byte, _ *ParseContext) {
			for i := 0; i < sctpNumFlags; i++ {
				info[sctpFlagInfoOff+3*i] = 0xff
			}
		},
		LegacyParse: sctpParse,
		Final:       func(_ []byte, ctx *ParseContext) error { return mcProtoCheck(ctx, 132, "sctp") },
		Save:        sctpSave,
		Print:       sctpPrint,
	})
}

func sctpParse(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
	var bit uint32
	switch opt.ID {
	case 0, 1:
		lo, hi, err := parsePortRange(args[0], "sctp")
		if err != nil {
			return err
		}
		at := 4
		bit = sctpSrcPorts
		if opt.ID == 1 {
			at, bit = 0, sctpDestPorts
		}
		putLe16(info[at:], lo)
		putLe16(info[at+2:], hi)
	case 2:
		if args[1] != "" && (args[1][0] == '-' || args[1][0] == '!') {
			return badSpec("--chunk-types", "--chunk-types requires two args")
		}
		bit = sctpChunkTypes
		mt := uint32(0)
		for _, t := range sctpMatchTypes {
			if strings.EqualFold(args[0], t.name) {
				mt = t.v
			}
		}
		if mt == 0 {
			return badSpec(args[0], "Match type has to be one of \"ALL\", \"ANY\" or \"ONLY\"")
		}
		putLe32(info[sctpMatchTypeOff:], mt)
		if err := sctpParseChunks(info, args[1]); err != nil {
			return err
		}
	}
	putLe32(info[sctpFlagsOff:], le32(info[sctpFlagsOff:])|bit)
	if invert {
		putLe32(info[sctpInvflagsOff:], le32(info[sctpInvflagsOff:])|bit)
	}
	return nil
}

func sctpParseChunks(info []byte, chunks string) error {
	chunkmap := info[sctpChunkmapOff:sctpMatchTypeOff]
	clear(chunkmap)
	switch {
	case strings.EqualFold(chunks, "ALL"):
		for i := range chunkmap {
			chunkmap[i] = 0xff
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
		t := sctpChunkNames[idx].typ
		putLe32(chunkmap[4*(t/32):], le32(chunkmap[4*(t/32):])|1<<(t%32))
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
			if err := sctpSaveFlag(info, byte(idx), 7-p, c >= 'A' && c <= 'Z'); err != nil {
				return err
			}
		}
	}
	return nil
}

// sctpSaveFlag is save_chunk_flag_info: one more flag bit for a chunk.
func sctpSaveFlag(info []byte, chunk byte, bit int, set bool) error {
	count := int(int32(le32(info[sctpFlagCountOff:])))
	for i := 0; i < count && i < sctpNumFlags; i++ {
		fi := info[sctpFlagInfoOff+3*i:]
		if fi[0] == chunk {
			fi[2] |= 1 << bit
			if set {
				fi[1] |= 1 << bit
			}
			return nil
		}
	}
	if count >= sctpNumFlags {
		return badSpec("--chunk-types", "Number of chunk types with flags exceeds currently allowed limit. Increasing this limit involves changing IPT_NUM_SCTP_FLAGS and recompiling both the kernel space and user space modules")
	}
	fi := info[sctpFlagInfoOff+3*count:]
	fi[0] = chunk
	fi[2] |= 1 << bit
	if set {
		fi[1] |= 1 << bit
	}
	putLe32(info[sctpFlagCountOff:], uint32(count+1))
	return nil
}

func sctpChunkmapIsSet(info []byte, t int) bool {
	return le32(info[sctpChunkmapOff+4*(t/32):])&(1<<(t%32)) != 0
}

// sctpChunks is print_chunks: " any ALL", " all DATA:Be,INIT", ...
func sctpChunks(info []byte, numeric bool) string {
	var sb strings.Builder
	switch le32(info[sctpMatchTypeOff:]) {
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
	for i := 0; i < 64; i++ {
		v := le32(info[sctpChunkmapOff+4*i:])
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
	count := int(int32(le32(info[sctpFlagCountOff:])))
	if count > sctpNumFlags {
		count = sctpNumFlags
	}
	first := true
	for i := 0; i < 256; i++ {
		if !sctpChunkmapIsSet(info, i) {
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
		for j := 0; j < count; j++ {
			fi := info[sctpFlagInfoOff+3*j:]
			if int(fi[0]) != i {
				continue
			}
			flag, mask := fi[1], fi[2]
			if mask != 0 {
				sb.WriteByte(':')
			}
			if i >= len(sctpChunkNames) {
				continue
			}
			valid := sctpChunkNames[i].flags
			for b := 7; b >= 0; b-- {
				if mask&(1<<b) == 0 {
					continue
				}
				c := valid[7-b]
				if flag&(1<<b) == 0 && c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				sb.WriteByte(c)
			}
		}
	}
	return sb.String()
}

func sctpSave(info []byte, w *Writer) {
	flags, inv := le32(info[sctpFlagsOff:]), le32(info[sctpInvflagsOff:])
	if flags&sctpSrcPorts != 0 {
		w.portRangeOpt(inv&sctpSrcPorts != 0, "sport", le16(info[4:]), le16(info[6:]))
	}
	if flags&sctpDestPorts != 0 {
		w.portRangeOpt(inv&sctpDestPorts != 0, "dport", le16(info[0:]), le16(info[2:]))
	}
	if flags&sctpChunkTypes != 0 {
		w.Opt(inv&sctpChunkTypes != 0, "chunk-types")
		w.WriteString(sctpChunks(info, false))
	}
}

func sctpPrint(info []byte, w *Writer) {
	flags, inv := le32(info[sctpFlagsOff:]), le32(info[sctpInvflagsOff:])
	w.WriteString(" sctp")
	if flags&sctpSrcPorts != 0 {
		printPorts(w, "spt", le16(info[4:]), le16(info[6:]), inv&sctpSrcPorts != 0)
	}
	if flags&sctpDestPorts != 0 {
		printPorts(w, "dpt", le16(info[0:]), le16(info[2:]), inv&sctpDestPorts != 0)
	}
	if flags&sctpChunkTypes != 0 {
		if inv&sctpChunkTypes != 0 {
			w.WriteString(" !")
		}
		w.WriteString(sctpChunks(info, true))
	}
}
