package compat

import (
	"math"
	"strconv"
)

// IDLETIMER: -j IDLETIMER, revision 1 (struct idletimer_tg_info_v1, 48
// bytes): u32 timeout, char label[28] (cut to 27 bytes), u8 send_nl_msg
// (unused, 0), u8 timer_type (1 with --alarm), a kernel pointer (0).
// --timeout and --label are required. -S prints the label unquoted, as
// iptables does. The kernel refuses a zero timeout (and one of
// INT_MAX/1000 seconds or more) and an empty label. Timers are global to
// the machine, keyed by label: a label already in use with the other
// timer type is refused by the kernel.

type idletimerInfo struct {
	timeout   uint32
	label     [28]byte
	timerType uint8
}

func (t *idletimerInfo) unmarshal(b []byte) {
	t.timeout = hostOrder.Uint32(b[0:])
	copy(t.label[:], b[4:32])
	t.timerType = b[33]
}

func (t *idletimerInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], t.timeout)
	copy(b[4:32], t.label[:])
	b[33] = t.timerType
}

const (
	idletimerOptTimeout = iota
	idletimerOptLabel
	idletimerOptAlarm
)

const idletimerMaxTimeout = math.MaxInt32 / 1000

func init() {
	Register(&Extension{
		Name: "IDLETIMER", Target: true, Revision: 1, Size: 48,
		Options: []Option{
			{Name: "timeout", ID: idletimerOptTimeout, Type: TypeUint32, Flags: Mandatory},
			{Name: "label", ID: idletimerOptLabel, Type: TypeString, Flags: Mandatory},
			{Name: "alarm", ID: idletimerOptAlarm},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var t idletimerInfo
			t.unmarshal(info)
			switch c.Option.ID {
			case idletimerOptTimeout:
				t.timeout = uint32(c.Val.Uint)
			case idletimerOptLabel:
				putCString(t.label[:], c.Arg())
			case idletimerOptAlarm:
				t.timerType = 1
			}
			t.marshal(info)
			return nil
		},
		Final: func(info []byte, _ *ParseContext) error {
			var t idletimerInfo
			t.unmarshal(info)
			if t.timeout == 0 || t.timeout >= idletimerMaxTimeout {
				return badSpec(strconv.FormatUint(uint64(t.timeout), 10), "IDLETIMER: timeout must be 1-%d seconds (refused by the kernel)", idletimerMaxTimeout-1)
			}
			if t.label[0] == 0 {
				return badSpec("--label", "IDLETIMER: label must not be empty (refused by the kernel)")
			}
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var t idletimerInfo
			t.unmarshal(info)
			w.WriteString(" timeout:" + utoa(t.timeout) + " label:" + cString(t.label[:]))
			if t.timerType == 1 {
				w.WriteString(" alarm")
			}
		},
		Save: func(info []byte, w *Writer) {
			var t idletimerInfo
			t.unmarshal(info)
			w.Opt(false, "timeout", strconv.FormatUint(uint64(t.timeout), 10))
			w.Opt(false, "label", cString(t.label[:]))
			if t.timerType == 1 {
				w.Opt(false, "alarm")
			}
		},
	})
}
