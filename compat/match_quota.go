package compat

import "strconv"

// quota: -m quota [!] --quota BYTES (struct xt_quota_info, 24 bytes): u32
// flags (XT_QUOTA_INVERT 1), u32 pad, u64 quota, a kernel pointer (sent
// as zero).

const quotaInvert = 0x1

type quotaInfo struct {
	flags uint32
	quota uint64
}

func (q *quotaInfo) unmarshal(b []byte) {
	q.flags, q.quota = hostOrder.Uint32(b[0:]), hostOrder.Uint64(b[8:])
}

func (q *quotaInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], q.flags)
	hostOrder.PutUint64(b[8:], q.quota)
}

func init() {
	Register(&Extension{
		Name: "quota", Revision: 0, Size: 24,
		Options: []Option{{Name: "quota", Type: TypeUint64, Flags: Invert | Mandatory}},
		Parse: func(info []byte, c *OptionCall) error {
			q := quotaInfo{quota: c.Val.Uint}
			if c.Invert {
				q.flags |= quotaInvert
			}
			q.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var q quotaInfo
			q.unmarshal(info)
			w.Opt(q.flags&quotaInvert != 0, "quota", strconv.FormatUint(q.quota, 10))
		},
		Print: func(info []byte, w *Writer) {
			var q quotaInfo
			q.unmarshal(info)
			w.WriteString(" quota: " + strconv.FormatUint(q.quota, 10) + " bytes")
		},
	})
}
