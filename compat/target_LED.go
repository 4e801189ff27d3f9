package compat

import (
	"strconv"
	"strings"
)

// LED: -j LED --led-trigger-id NAME [--led-delay MS|inf]
// [--led-always-blink] (struct xt_led_info, 40 bytes): char id[27]
// ("netfilter-" + NAME, NAME at most 16 bytes), u8 always_blink, u32
// delay (inf: all ones), a kernel pointer (0). The kernel has no LED
// module here: the rule goes to it, which answers "No such file or
// directory", as iptables-nft lets it. -S prints the id quoted, the delay
// when not 0 (as a signed number: inf prints -1, as iptables does), -L
// "led-trigger-id:"NAME" led-delay:Nms|inf [led-always-blink]".

type ledInfo struct {
	id          [27]byte
	alwaysBlink uint8
	delay       uint32
}

func (l *ledInfo) unmarshal(b []byte) {
	copy(l.id[:], b[0:27])
	l.alwaysBlink, l.delay = b[27], hostOrder.Uint32(b[28:])
}

func (l *ledInfo) marshal(b []byte) {
	copy(b[0:27], l.id[:])
	b[27] = l.alwaysBlink
	hostOrder.PutUint32(b[28:], l.delay)
}

const (
	ledOptTriggerID = iota
	ledOptDelay
	ledOptAlwaysBlink
)

// ledIDPrefix is what the kernel's trigger names start with.
const ledIDPrefix = "netfilter-"

// ledMaxID is the longest trigger id (27 bytes less the prefix and NUL).
const ledMaxID = 27 - len(ledIDPrefix) - 1

func init() {
	Register(&Extension{
		Name: "LED", Target: true, Revision: 0, Size: 40,
		Options: []Option{
			{Name: "led-trigger-id", ID: ledOptTriggerID, Type: TypeString, Flags: Mandatory},
			{Name: "led-delay", ID: ledOptDelay, Type: TypeString},
			{Name: "led-always-blink", ID: ledOptAlwaysBlink},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var l ledInfo
			l.unmarshal(info)
			switch a := c.Arg(); c.Option.ID {
			case ledOptTriggerID:
				if len(a) > ledMaxID {
					return badSpec(a, "Argument must have a maximum length of %d characters", ledMaxID)
				}
				putCString(l.id[:], ledIDPrefix+a)
			case ledOptDelay:
				if len(a) >= 3 && strings.EqualFold(a[:3], "inf") {
					l.delay = 0xffffffff
					break
				}
				v, ok := xtParseUint(a, 0, 0xffffffff)
				if !ok {
					return badSpec(a, "Delay value must be within range 0..4294967295")
				}
				l.delay = uint32(v)
			case ledOptAlwaysBlink:
				l.alwaysBlink = 1
			}
			l.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var l ledInfo
			l.unmarshal(info)
			w.WriteString(" --led-trigger-id " + ledQuoted(l.id[:]))
			if l.delay != 0 {
				w.Opt(false, "led-delay", itoa32(l.delay))
			}
			if l.alwaysBlink != 0 {
				w.Opt(false, "led-always-blink")
			}
		},
		Print: func(info []byte, w *Writer) {
			var l ledInfo
			l.unmarshal(info)
			w.WriteString(" led-trigger-id:" + ledQuoted(l.id[:]))
			if l.delay == 0xffffffff {
				w.WriteString(" led-delay:inf")
			} else {
				w.WriteString(" led-delay:" + strconv.Itoa(int(int32(l.delay))) + "ms")
			}
			if l.alwaysBlink != 0 {
				w.WriteString(" led-always-blink")
			}
		},
	})
}

// ledQuoted is the trigger id without its prefix, in double quotes, '"'
// and '\' escaped.
func ledQuoted(id []byte) string {
	s := cString(id)
	s = strings.TrimPrefix(s, ledIDPrefix)
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
