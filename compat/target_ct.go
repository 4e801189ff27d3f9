package compat

import (
	"math"
	"strconv"
	"strings"
)

// CT: -j CT, revision 2 (struct xt_ct_target_info_v1, 72 bytes): u16
// flags @0 (NOTRACK 1, NOTRACK_ALIAS 2, ZONE_DIR_ORIG 4, ZONE_DIR_REPL 8,
// ZONE_MARK 0x10), u16 zone @2, u32 ct_events @4, u32 exp_events @8 (host
// order; bit n for event n), char helper[16] @12, char timeout[32] @28,
// kernel pointer @64 (0). -j NOTRACK is the same payload with flags
// NOTRACK|NOTRACK_ALIAS (see target_notrack.go): each claims its own
// payloads by the alias bit. The kernel allows CT only in the raw table
// (PREROUTING and OUTPUT). --helper needs the helper's module and
// --timeout a timeout policy made with nfct: without them the kernel
// refuses the rule.

const (
	ctFlagNotrack      = 0x01
	ctFlagNotrackAlias = 0x02
	ctFlagZoneOrig     = 0x04
	ctFlagZoneReply    = 0x08
	ctFlagZoneMark     = 0x10
)

const (
	ctOptNotrack = iota
	ctOptHelper
	ctOptTimeout
	ctOptCtevents
	ctOptExpevents
	ctOptZone
	ctOptZoneOrig
	ctOptZoneReply
)

// ctEvents and ctExpEvents name the event bits (IPCT_*, IPEXP_*) in the
// order iptables prints them.
var ctEvents = []struct {
	name string
	bit  uint
}{
	{"new", 0}, {"related", 1}, {"destroy", 2}, {"reply", 3}, {"assured", 4},
	{"protoinfo", 5}, {"helper", 6}, {"mark", 7}, {"natseqinfo", 8}, {"secmark", 9},
}

var ctExpEvents = ctEvents[:1]

const ctSize = 72

func init() {
	Register(&Extension{
		Name: "CT", Target: true, Revision: 2, Size: ctSize,
		Options: []Option{
			{Name: "notrack", ID: ctOptNotrack},
			{Name: "helper", Args: 1, ID: ctOptHelper},
			{Name: "timeout", Args: 1, ID: ctOptTimeout},
			{Name: "ctevents", Args: 1, ID: ctOptCtevents},
			{Name: "expevents", Args: 1, ID: ctOptExpevents},
			{Name: "zone-orig", Args: 1, ID: ctOptZoneOrig},
			{Name: "zone-reply", Args: 1, ID: ctOptZoneReply},
			{Name: "zone", Args: 1, ID: ctOptZone},
		},
		LegacyParse: ctParse,
		Save:        ctSave,
		SaveName:    ctSaveName,
		Claims:      func(info []byte) bool { return len(info) >= 2 && le16(info)&ctFlagNotrackAlias == 0 },
		Tables:      []string{"raw"},
	})
}

func ctParse(info []byte, opt *Option, args []string, _ bool, _ *ParseContext) error {
	flags := le16(info)
	switch opt.ID {
	case ctOptNotrack:
		flags |= ctFlagNotrack
	case ctOptHelper:
		putCString(info[12:28], args[0])
	case ctOptTimeout:
		putCString(info[28:60], args[0])
	case ctOptCtevents, ctOptExpevents:
		tbl, off := ctEvents, 4
		if opt.ID == ctOptExpevents {
			tbl, off = ctExpEvents, 8
		}
		var mask uint32
		for _, e := range strings.Split(args[0], ",") {
			found := false
			for _, t := range tbl {
				if t.name == e {
					mask |= 1 << t.bit
					found = true
					break
				}
			}
			if !found {
				return badSpec(args[0], "Unknown event type \"%s\"", e)
			}
		}
		putLe32(info[off:], mask)
	case ctOptZone, ctOptZoneOrig, ctOptZoneReply:
		switch opt.ID {
		case ctOptZoneOrig:
			flags |= ctFlagZoneOrig
		case ctOptZoneReply:
			flags |= ctFlagZoneReply
		}
		zone := uint64(0)
		if strings.EqualFold(args[0], "mark") {
			flags |= ctFlagZoneMark
		} else {
			v, ok := xtParseUint(args[0], 0, math.MaxUint16)
			if !ok {
				return badSpec(args[0], "Cannot parse %s as a zone ID", args[0])
			}
			zone = v
		}
		putLe16(info[2:], uint16(zone))
	}
	putLe16(info, flags)
	return nil
}

func ctSaveName(info []byte) string {
	if len(info) >= 2 && le16(info)&ctFlagNotrackAlias != 0 {
		return "NOTRACK"
	}
	return "CT"
}

func ctSave(info []byte, w *Writer) {
	if len(info) < 60 {
		return
	}
	flags := le16(info)
	if flags&ctFlagNotrackAlias != 0 {
		return
	}
	if flags&ctFlagNotrack != 0 {
		w.Opt(false, "notrack")
	}
	if h := cString(info[12:28]); h != "" {
		w.Opt(false, "helper", h)
	}
	if t := cString(info[28:60]); t != "" {
		w.Opt(false, "timeout", t)
	}
	events := func(name string, tbl []struct {
		name string
		bit  uint
	}, mask uint32) {
		if mask == 0 {
			return
		}
		var names []string
		for _, t := range tbl {
			if mask&(1<<t.bit) != 0 {
				names = append(names, t.name)
			}
		}
		w.Opt(false, name, strings.Join(names, ","))
	}
	events("ctevents", ctEvents, le32(info[4:]))
	events("expevents", ctExpEvents, le32(info[8:]))
	if zone := le16(info[2:]); flags&ctFlagZoneMark != 0 || zone != 0 {
		name := "zone"
		switch flags & (ctFlagZoneOrig | ctFlagZoneReply) {
		case ctFlagZoneOrig:
			name = "zone-orig"
		case ctFlagZoneReply:
			name = "zone-reply"
		}
		if flags&ctFlagZoneMark != 0 {
			w.Opt(false, name, "mark")
		} else {
			w.Opt(false, name, strconv.Itoa(int(zone)))
		}
	}
}
