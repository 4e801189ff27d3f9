package compat

// devgroup: -m devgroup [!] --src-group G[/M] [!] --dst-group G[/M]
// (struct xt_devgroup_info, 20 bytes): u32 flags (MATCH_SRC 1, INVERT_SRC
// 2, MATCH_DST 4, INVERT_DST 8), u32 src_group, u32 src_mask, u32
// dst_group, u32 dst_mask. Names come from /etc/iproute2/group ("default"
// is 0). The kernel allows --src-group only in PREROUTING, INPUT and
// FORWARD, --dst-group only in FORWARD, OUTPUT and POSTROUTING.

type devgroupInfo struct {
	flags uint32
	// groups are the source and destination group and mask.
	groups [2][2]uint32
}

const (
	devgroupFile      = "/etc/iproute2/group"
	devgroupMatchSrc  = 0x1
	devgroupInvertSrc = 0x2
	devgroupMatchDst  = 0x4
	devgroupInvertDst = 0x8
)

func (d *devgroupInfo) unmarshal(b []byte) {
	d.flags = hostOrder.Uint32(b[0:])
	for i := range 4 {
		d.groups[i/2][i%2] = hostOrder.Uint32(b[4+4*i:])
	}
}

func (d *devgroupInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], d.flags)
	for i := range 4 {
		hostOrder.PutUint32(b[4+4*i:], d.groups[i/2][i%2])
	}
}

func init() {
	Register(&Extension{
		Name: "devgroup", Revision: 0, Size: 20,
		Options: []Option{
			{Name: "src-group", ID: 0, Type: TypeMarkMask, Flags: Invert, NameFile: devgroupFile,
				Hooks: []string{"PREROUTING", "INPUT", "FORWARD"}},
			{Name: "dst-group", ID: 1, Type: TypeMarkMask, Flags: Invert, NameFile: devgroupFile,
				Hooks: []string{"FORWARD", "OUTPUT", "POSTROUTING"}},
		},
		OneOf: &OneOf{IDs: 0x3, Token: "-m devgroup", Msg: "devgroup match: You must specify either '--src-group' or '--dst-group'"},
		Parse: func(info []byte, c *OptionCall) error {
			var d devgroupInfo
			d.unmarshal(info)
			k := c.Option.ID
			d.groups[k] = [2]uint32{c.Val.Mark, c.Val.Mask}
			d.flags |= devgroupMatchSrc << (2 * k)
			if c.Invert {
				d.flags |= devgroupInvertSrc << (2 * k)
			}
			d.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) { devgroupShow(info, w, "--", lmap(devgroupFile)) },
		Print: func(info []byte, w *Writer) {
			var names []lmapEntry // group names from iproute2's file, but with -n
			if !w.Numeric() {
				names = lmap(devgroupFile)
			}
			devgroupShow(info, w, "", names)
		},
	})
}

func devgroupShow(info []byte, w *Writer, pfx string, names []lmapEntry) {
	var d devgroupInfo
	d.unmarshal(info)
	for k, name := range []string{"src-group", "dst-group"} {
		if d.flags&(devgroupMatchSrc<<(2*k)) == 0 {
			continue
		}
		if d.flags&(devgroupInvertSrc<<(2*k)) != 0 {
			w.WriteString(" !")
		}
		w.WriteString(" " + pfx + name + formatValMask(d.groups[k][0], d.groups[k][1], names))
	}
}
