package compat

import "strconv"

// cpu: -m cpu [!] --cpu N (struct xt_cpu_info, 8 bytes): u32 cpu, u32
// invert.

type cpuInfo struct{ cpu, invert uint32 }

func (c *cpuInfo) unmarshal(b []byte) {
	c.cpu, c.invert = hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:])
}

func (c *cpuInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], c.cpu)
	hostOrder.PutUint32(b[4:], c.invert)
}

func init() {
	Register(&Extension{
		Name: "cpu", Revision: 0, Size: 8,
		Options: []Option{{Name: "cpu", Type: TypeUint32, Flags: Invert | Mandatory}},
		Parse: func(info []byte, c *OptionCall) error {
			p := cpuInfo{cpu: uint32(c.Val.Uint), invert: oneIf[uint32](c.Invert)}
			p.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var p cpuInfo
			p.unmarshal(info)
			w.Opt(p.invert != 0, "cpu", strconv.FormatUint(uint64(p.cpu), 10))
		},
		Print: func(info []byte, w *Writer) {
			var p cpuInfo
			p.unmarshal(info)
			w.WriteString(" cpu " + map[bool]string{true: "! "}[p.invert != 0] + strconv.FormatUint(uint64(p.cpu), 10))
		},
	})
}
