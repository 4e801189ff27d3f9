package compat

import (
	"math"
	"strconv"
	"strings"
)

// CT: -j CT, revision 2 (struct xt_ct_target_info_v1, 72 bytes): u16
// flags (NOTRACK 1, NOTRACK_ALIAS 2, ZONE_DIR_ORIG 4, ZONE_DIR_REPL 8,
// ZONE_MARK 0x10), u16 zone, u32 ct_events, u32 exp_events (bit n for
// event n), char helper[16], char timeout[32], a kernel pointer (0). -j
// NOTRACK is the same payload with flags NOTRACK|NOTRACK_ALIAS (see
// target_notrack.go): each claims its own payloads by the alias bit. The
// kernel allows CT only in the raw table (PREROUTING and OUTPUT). --helper
// needs the helper's module and --timeout a timeout policy made with
// nfct: without them the kernel refuses the rule.

type ctInfo struct {
	flags, zone         uint16
	ctEvents, expEvents uint32
	helper              [16]byte
	timeout             [32]byte
}

func (t *ctInfo) unmarshal(b []byte) {
	t.flags, t.zone = hostOrder.Uint16(b[0:]), hostOrder.Uint16(b[2:])
	t.ctEvents, t.expEvents = hostOrder.Uint32(b[4:]), hostOrder.Uint32(b[8:])
	copy(t.helper[:], b[12:28])
	copy(t.timeout[:], b[28:60])
}

func (t *ctInfo) marshal(b []byte) {
	hostOrder.PutUint16(b[0:], t.flags)
	hostOrder.PutUint16(b[2:], t.zone)
	hostOrder.PutUint32(b[4:], t.ctEvents)
	hostOrder.PutUint32(b[8:], t.expEvents)
	copy(b[12:28], t.helper[:])
	copy(b[28:60], t.timeout[:])
}

// ctAlias tells a payload NOTRACK wrote (flags carry the alias bit) from
// one CT wrote; too short a payload is neither.
func ctAlias(info []byte) (alias, ok bool) {
	if len(info) < 2 {
		return false, false
	}
	return hostOrder.Uint16(info)&ctFlagNotrackAlias != 0, true // flags
}

// ctClaims claims the payloads with (NOTRACK) or without (CT) the alias.
func ctClaims(alias bool) func([]byte) bool {
	return func(info []byte) bool {
		a, ok := ctAlias(info)
		return ok && a == alias
	}
}

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
			{Name: "helper", ID: ctOptHelper, Type: TypeString},
			{Name: "timeout", ID: ctOptTimeout, Type: TypeString},
			{Name: "ctevents", ID: ctOptCtevents, Type: TypeString},
			{Name: "expevents", ID: ctOptExpevents, Type: TypeString},
			{Name: "zone-orig", ID: ctOptZoneOrig, Type: TypeString},
			{Name: "zone-reply", ID: ctOptZoneReply, Type: TypeString},
			{Name: "zone", ID: ctOptZone, Type: TypeString},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var t ctInfo
			t.unmarshal(info)
			if err := t.parse(c); err != nil {
				return err
			}
			t.marshal(info)
			return nil
		},
		Print: ctPrint,
		Save:  ctSave,
		SaveName: func(info []byte) string {
			if alias, _ := ctAlias(info); alias {
				return "NOTRACK"
			}
			return "CT"
		},
		Claims: ctClaims(false),
		Tables: []string{"raw"},
	})
}

func (t *ctInfo) parse(c *OptionCall) error {
	arg := c.Arg()
	switch id := c.Option.ID; id {
	case ctOptNotrack:
		t.flags |= ctFlagNotrack
	case ctOptHelper:
		putCString(t.helper[:], arg)
	case ctOptTimeout:
		putCString(t.timeout[:], arg)
	case ctOptCtevents, ctOptExpevents:
		tbl, events := ctEvents, &t.ctEvents
		if id == ctOptExpevents {
			tbl, events = ctExpEvents, &t.expEvents
		}
		var mask uint32
		for _, e := range strings.Split(arg, ",") {
			found := false
			for _, ev := range tbl {
				if ev.name == e {
					mask |= 1 << ev.bit
					found = true
					break
				}
			}
			if !found {
				return badSpec(arg, "Unknown event type \"%s\"", e)
			}
		}
		*events = mask
	case ctOptZone, ctOptZoneOrig, ctOptZoneReply:
		switch id {
		case ctOptZoneOrig:
			t.flags |= ctFlagZoneOrig
		case ctOptZoneReply:
			t.flags |= ctFlagZoneReply
		}
		zone := uint64(0)
		if strings.EqualFold(arg, "mark") {
			t.flags |= ctFlagZoneMark
		} else {
			v, ok := xtParseUint(arg, 0, math.MaxUint16)
			if !ok {
				return badSpec(arg, "Cannot parse %s as a zone ID", arg)
			}
			zone = v
		}
		t.zone = uint16(zone)
	}
	return nil
}

// ctPrint writes what -L shows (ct_print_v1): " CT helper ftp zone 1", or
// " NOTRACK" for the alias.
func ctPrint(info []byte, w *Writer) {
	var t ctInfo
	t.unmarshal(info)
	if t.flags&ctFlagNotrackAlias != 0 {
		w.WriteString(" NOTRACK")
		return
	}
	w.WriteString(" CT")
	ctWrite(&t, w, "")
}

func ctSave(info []byte, w *Writer) {
	var t ctInfo
	t.unmarshal(info)
	if t.flags&ctFlagNotrackAlias != 0 {
		return
	}
	ctWrite(&t, w, "--")
}

// ctWrite is what -L and -S share, their words differing only by prefix.
func ctWrite(t *ctInfo, w *Writer, prefix string) {
	opt := func(name string, values ...string) {
		w.WriteString(" " + prefix + name)
		for _, v := range values {
			w.WriteString(" " + v)
		}
	}
	flags := t.flags
	if flags&ctFlagNotrack != 0 {
		opt("notrack")
	}
	if h := cString(t.helper[:]); h != "" {
		opt("helper", h)
	}
	if to := cString(t.timeout[:]); to != "" {
		opt("timeout", to)
	}
	events := func(name string, tbl []struct {
		name string
		bit  uint
	}, mask uint32) {
		if mask == 0 {
			return
		}
		var names []string
		for _, e := range tbl {
			if mask&(1<<e.bit) != 0 {
				names = append(names, e.name)
			}
		}
		opt(name, strings.Join(names, ","))
	}
	events("ctevents", ctEvents, t.ctEvents)
	events("expevents", ctExpEvents, t.expEvents)
	if flags&ctFlagZoneMark != 0 || t.zone != 0 {
		name := "zone"
		switch flags & (ctFlagZoneOrig | ctFlagZoneReply) {
		case ctFlagZoneOrig:
			name = "zone-orig"
		case ctFlagZoneReply:
			name = "zone-reply"
		}
		if flags&ctFlagZoneMark != 0 {
			opt(name, "mark")
		} else {
			opt(name, strconv.Itoa(int(t.zone)))
		}
	}
}
