package compat

// devgroup: -m devgroup [!] --src-group G[/M] [!] --dst-group G[/M]
// (struct xt_devgroup_info, 20 bytes, host order): u32 flags @0
// (MATCH_SRC 1, INVERT_SRC 2, MATCH_DST 4, INVERT_DST 8), u32 src_group
// @4, u32 src_mask @8, u32 dst_group @12, u32 dst_mask @16. Names come
// from /etc/iproute2/group ("default" is 0). The kernel allows
// --src-group only in PREROUTING, INPUT and FORWARD, --dst-group only in
// FORWARD, OUTPUT and POSTROUTING.

const (
	devgroupFile      = "/etc/iproute2/group"
	devgroupMatchSrc  = 0x1
	devgroupInvertSrc = 0x2
	devgroupMatchDst  = 0x4
	devgroupInvertDst = 0x8
)

func init() {
	Register(&Extension{
		Name: "devgroup", Revision: 0, Size: 20,
		Options: []Option{
			{Name: "src-group", Args: 1, Invert: true, ID: 0},
			{Name: "dst-group", Args: 1, Invert: true, ID: 1},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
			v, m, err := parseValMask("devgroup", opt.Name, args[0], lmap(devgroupFile))
			if err != nil {
				return err
			}
			at, match, inv := 4, uint32(devgroupMatchSrc), uint32(devgroupInvertSrc)
			if opt.ID == 1 {
				at, match, inv = 12, devgroupMatchDst, devgroupInvertDst
			}
			putLe32(info[at:], v)
			putLe32(info[at+4:], m)
			flags := le32(info[0:]) | match
			if invert {
				flags |= inv
			}
			putLe32(info[0:], flags)
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error {
			flags := le32(info[0:])
			if flags == 0 {
				return badSpec("-m devgroup", "devgroup match: You must specify either '--src-group' or '--dst-group'")
			}
			if flags&devgroupMatchSrc != 0 {
				if err := mcHookCheck(ctx, "devgroup", "devgroup --src-group", []string{"PREROUTING", "INPUT", "FORWARD"}); err != nil {
					return err
				}
			}
			if flags&devgroupMatchDst != 0 {
				return mcHookCheck(ctx, "devgroup", "devgroup --dst-group", []string{"FORWARD", "OUTPUT", "POSTROUTING"})
			}
			return nil
		},
		Save:  func(info []byte, w *Writer) { devgroupShow(info, w, "--", lmap(devgroupFile)) },
		Print: func(info []byte, w *Writer) { devgroupShow(info, w, "", nil) },
	})
}

func devgroupShow(info []byte, w *Writer, pfx string, lmap []lmapEntry) {
	flags := le32(info[0:])
	if flags&devgroupMatchSrc != 0 {
		if flags&devgroupInvertSrc != 0 {
			w.WriteString(" !")
		}
		w.WriteString(" " + pfx + "src-group" + formatValMask(le32(info[4:]), le32(info[8:]), lmap))
	}
	if flags&devgroupMatchDst != 0 {
		if flags&devgroupInvertDst != 0 {
			w.WriteString(" !")
		}
		w.WriteString(" " + pfx + "dst-group" + formatValMask(le32(info[12:]), le32(info[16:]), lmap))
	}
}
