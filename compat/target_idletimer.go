package compat

import (
	"math"
	"strconv"
)

// IDLETIMER: -j IDLETIMER, revision 1 (struct idletimer_tg_info_v1, 48
// bytes): u32 timeout @0 (host order), char label[28] @4 (cut to 27
// bytes), u8 send_nl_msg @32 (unused, 0), u8 timer_type @33 (1 with
// --alarm), kernel pointer @40 (0). --timeout and --label are required.
// -S prints the label unquoted, as iptables does. The kernel refuses a
// zero timeout (and one of INT_MAX/1000 seconds or more) and an empty
// label. Timers are global to the machine, keyed by label: a label already
// in use with the other timer type is refused by the kernel.

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
			{Name: "timeout", Args: 1, Mandatory: true, ID: idletimerOptTimeout},
			{Name: "label", Args: 1, Mandatory: true, ID: idletimerOptLabel},
			{Name: "alarm", ID: idletimerOptAlarm},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, _ bool, _ *ParseContext) error {
			switch opt.ID {
			case idletimerOptTimeout:
				v, err := uintOpt("IDLETIMER", opt.Name, args[0], 0, math.MaxUint32)
				if err != nil {
					return err
				}
				putLe32(info[0:], uint32(v))
			case idletimerOptLabel:
				putCString(info[4:32], args[0])
			case idletimerOptAlarm:
				info[33] = 1
			}
			return nil
		},
		Final: func(info []byte, _ *ParseContext) error {
			if t := le32(info[0:]); t == 0 || t >= idletimerMaxTimeout {
				return badSpec(strconv.FormatUint(uint64(t), 10), "IDLETIMER: timeout must be 1-%d seconds (refused by the kernel)", idletimerMaxTimeout-1)
			}
			if info[4] == 0 {
				return badSpec("--label", "IDLETIMER: label must not be empty (refused by the kernel)")
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			w.Opt(false, "timeout", strconv.FormatUint(uint64(le32(info[0:])), 10))
			w.Opt(false, "label", cString(info[4:32]))
			if info[33] == 1 {
				w.Opt(false, "alarm")
			}
		},
	})
}
