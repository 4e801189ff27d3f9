package compat

import "strconv"

// NFQUEUE: -j NFQUEUE [--queue-num n | --queue-balance first:last]
// [--queue-bypass] [--queue-cpu-fanout], revision 3 (struct
// xt_NFQ_info_v3, 6 bytes → 8): u16 queuenum, u16 queues_total (default
// 1), u16 flags (BYPASS 1, CPU_FANOUT 2). -S prints --queue-balance when
// queues_total > 1, else --queue-num (also when no option was given:
// "--queue-num 0"), then --queue-bypass and --queue-cpu-fanout. iptables
// 1.8.9 has no --fail-open. --queue-balance reads both bounds up to 65535,
// so "0:65535" makes queues_total wrap to 0, which the kernel refuses (as
// it refuses queues beyond 65535): iptables-nft sends it, and so does
// this, for the kernel's answer (exit status 4).

type nfqueueInfo struct{ queuenum, queuesTotal, flags uint16 }

func (q *nfqueueInfo) unmarshal(b []byte) {
	q.queuenum, q.queuesTotal, q.flags = hostOrder.Uint16(b[0:]), hostOrder.Uint16(b[2:]), hostOrder.Uint16(b[4:])
}

func (q *nfqueueInfo) marshal(b []byte) {
	hostOrder.PutUint16(b[0:], q.queuenum)
	hostOrder.PutUint16(b[2:], q.queuesTotal)
	hostOrder.PutUint16(b[4:], q.flags)
}

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
			{Name: "queue-num", ID: nfqOptNum, Type: TypeUint16},
			{Name: "queue-balance", ID: nfqOptBalance, Type: TypeUint16Range},
			{Name: "queue-bypass", ID: nfqOptBypass},
			{Name: "queue-cpu-fanout", ID: nfqOptCPUFanout, Also: 1 << nfqOptBalance},
		},
		Init: func(info []byte, _ *ParseContext) {
			q := nfqueueInfo{queuesTotal: 1}
			q.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error {
			var q nfqueueInfo
			q.unmarshal(info)
			switch c.Option.ID {
			case nfqOptNum:
				q.queuenum = uint16(c.Val.Uint)
			case nfqOptBalance:
				r := c.Val.Range
				if c.Val.N != 2 {
					return badSpec(c.Arg(), "Bad range \"%s\"", c.Arg())
				}
				if r[0] >= r[1] {
					return badSpec(c.Arg(), "%d should be less than %d", r[0], r[1])
				}
				q.queuenum, q.queuesTotal = uint16(r[0]), uint16(r[1]-r[0]+1)
			case nfqOptBypass:
				q.flags |= 1
			case nfqOptCPUFanout:
				q.flags |= 2
			}
			q.marshal(info)
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			// Named as libxt_NFQUEUE's table has them, --queue-num first.
			if given := ctx.given(); given&(1<<nfqOptNum) != 0 && given&(1<<nfqOptBalance) != 0 {
				return badSpec("--queue-num", "NFQUEUE: option \"--queue-num\" cannot be used together with \"--queue-balance\".")
			}
			// A balance whose total wraps to 0 ("0:65535", ":") goes to
			// the kernel, which refuses it, as iptables-nft lets it.
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var q nfqueueInfo
			q.unmarshal(info)
			if q.queuesTotal > 1 {
				w.Opt(false, "queue-balance", q.balance())
			} else {
				w.Opt(false, "queue-num", strconv.Itoa(int(q.queuenum)))
			}
			if q.flags&1 != 0 {
				w.Opt(false, "queue-bypass")
			}
			if q.flags&2 != 0 {
				w.Opt(false, "queue-cpu-fanout")
			}
		},
		Print: func(info []byte, w *Writer) {
			var q nfqueueInfo
			q.unmarshal(info)
			if q.queuesTotal > 1 {
				w.WriteString(" NFQUEUE balance " + q.balance())
			} else {
				w.WriteString(" NFQUEUE num " + strconv.Itoa(int(q.queuenum)))
			}
			if q.flags&1 != 0 {
				w.WriteString(" bypass")
			}
			if q.flags&2 != 0 {
				w.WriteString(" cpu-fanout")
			}
		},
	})
}

// balance is "first:last" of a --queue-balance.
func (q *nfqueueInfo) balance() string {
	return strconv.Itoa(int(q.queuenum)) + ":" + strconv.FormatUint(uint64(uint32(q.queuesTotal)+uint32(q.queuenum)-1), 10)
}
