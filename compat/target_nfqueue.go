package compat

import (
	"math"
	"strconv"
)

// NFQUEUE: -j NFQUEUE [--queue-num n | --queue-balance first:last]
// [--queue-bypass] [--queue-cpu-fanout], revision 3 (struct
// xt_NFQ_info_v3, 6 bytes → 8): u16 queuenum @0, u16 queues_total @2
// (default 1), u16 flags @4 (BYPASS 1, CPU_FANOUT 2), host order. -S
// prints --queue-balance when queues_total > 1, else --queue-num (also
// when no option was given: "--queue-num 0"), then --queue-bypass and
// --queue-cpu-fanout. iptables 1.8.9 has no --fail-open. --queue-balance
// reads both bounds up to 65535, so "0:65535" makes queues_total wrap to
// 0, which the kernel refuses (as it refuses queues beyond 65535).

const (
	nfqOptNum = iota
	nfqOptBalance
	nfqOptBypass
	nfqOptCPUFanout
)

func init() {
	Register(&Extension{
		Name: "NFQUEUE", Target: true, Revision: 3, Size: 6,
		Options: []Option{
			{Name: "queue-num", Args: 1, ID: nfqOptNum},
			{Name: "queue-balance", Args: 1, ID: nfqOptBalance},
			{Name: "queue-bypass", ID: nfqOptBypass},
			{Name: "queue-cpu-fanout", ID: nfqOptCPUFanout},
		},
		Init: func(info []byte, ctx *ParseContext) { putLe16(info[2:], 1) },
		LegacyParse: func(info []byte, opt *Option, args []string, _ bool, ctx *ParseContext) error {
			ctx.markGiven(1 << opt.ID)
			switch opt.ID {
			case nfqOptNum:
				v, ok := xtParseUint(args[0], 0, math.MaxUint16)
				if !ok {
					return badSpec(args[0], "NFQUEUE: bad value for option \"--queue-num\", or out of range (0-65535).")
				}
				putLe16(info[0:], uint16(v))
			case nfqOptBalance:
				r, err := parseMint("NFQUEUE", "queue-balance", args[0], math.MaxUint16, 2)
				if err != nil {
					return err
				}
				if len(r) != 2 {
					return badSpec(args[0], "Bad range \"%s\"", args[0])
				}
				if r[0] >= r[1] {
					return badSpec(args[0], "%d should be less than %d", r[0], r[1])
				}
				putLe16(info[0:], uint16(r[0]))
				putLe16(info[2:], uint16(r[1]-r[0]+1))
			case nfqOptBypass:
				putLe16(info[4:], le16(info[4:])|1)
			case nfqOptCPUFanout:
				putLe16(info[4:], le16(info[4:])|2)
			}
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			given := ctx.given()
			if given&(1<<nfqOptNum) != 0 && given&(1<<nfqOptBalance) != 0 {
				return badSpec("--queue-num", "NFQUEUE: option \"--queue-num\" cannot be used together with \"--queue-balance\".")
			}
			if given&(1<<nfqOptCPUFanout) != 0 && given&(1<<nfqOptBalance) == 0 {
				return badSpec("--queue-cpu-fanout", "NFQUEUE: option \"--queue-cpu-fanout\" also requires \"--queue-balance\".")
			}
			total := int(le16(info[2:]))
			if total == 0 {
				return badSpec("--queue-balance", "NFQUEUE: number of total queues is 0")
			}
			if int(le16(info[0:]))+total-1 > math.MaxUint16 {
				return badSpec("--queue-balance", "NFQUEUE: number of queues (%d) out of range", total)
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			num, total, flags := le16(info[0:]), le16(info[2:]), le16(info[4:])
			if total > 1 {
				w.Opt(false, "queue-balance", strconv.Itoa(int(num))+":"+strconv.FormatUint(uint64(uint32(total)+uint32(num)-1), 10))
			} else {
				w.Opt(false, "queue-num", strconv.Itoa(int(num)))
			}
			if flags&1 != 0 {
				w.Opt(false, "queue-bypass")
			}
			if flags&2 != 0 {
				w.Opt(false, "queue-cpu-fanout")
			}
		},
		Print: func(info []byte, w *Writer) {
			num, total, flags := le16(info[0:]), le16(info[2:]), le16(info[4:])
			if total > 1 {
				w.WriteString(" NFQUEUE balance " + strconv.Itoa(int(num)) + ":" + strconv.FormatUint(uint64(uint32(total)+uint32(num)-1), 10))
			} else {
				w.WriteString(" NFQUEUE num " + strconv.Itoa(int(num)))
			}
			if flags&1 != 0 {
				w.WriteString(" bypass")
			}
			if flags&2 != 0 {
				w.WriteString(" cpu-fanout")
			}
		},
	})
}
