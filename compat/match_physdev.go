package compat

// physdev: -m physdev (struct xt_physdev_info, 66 bytes → 72): char
// physindev[16], u8 in_mask[16], char physoutdev[16], u8 out_mask[16], u8
// invert, u8 bitmask (IN=1 OUT=2 BRIDGED=4 ISIN=8 ISOUT=0x10). Names and
// masks as xtables_parse_interface fills them ("br+" is a prefix match).
// The kernel refuses --physdev-out and --physdev-is-out in
// OUTPUT/FORWARD/POSTROUTING unless --physdev-is-bridged.

type physdevInfo struct {
	physindev, inMask   [ifnamsiz]byte
	physoutdev, outMask [ifnamsiz]byte
	invert, bitmask     uint8
}

const (
	pdOpIn      = 0x01
	pdOpOut     = 0x02
	pdOpBridged = 0x04
	pdOpIsIn    = 0x08
	pdOpIsOut   = 0x10
)

func (p *physdevInfo) unmarshal(b []byte) {
	copy(p.physindev[:], b[0:16])
	copy(p.inMask[:], b[16:32])
	copy(p.physoutdev[:], b[32:48])
	copy(p.outMask[:], b[48:64])
	p.invert, p.bitmask = b[64], b[65]
}

func (p *physdevInfo) marshal(b []byte) {
	copy(b[0:16], p.physindev[:])
	copy(b[16:32], p.inMask[:])
	copy(b[32:48], p.physoutdev[:])
	copy(b[48:64], p.outMask[:])
	b[64], b[65] = p.invert, p.bitmask
}

// physdevBits are the bitmask bits of the options, by ID.
var physdevBits = [...]uint8{pdOpIn, pdOpOut, pdOpIsIn, pdOpIsOut, pdOpBridged}

func init() {
	Register(&Extension{
		Name: "physdev", Revision: 0, Size: 66,
		Options: []Option{
			{Name: "physdev-in", ID: 0, Type: TypeString, Flags: Invert},
			{Name: "physdev-out", ID: 1, Type: TypeString, Flags: Invert},
			{Name: "physdev-is-in", ID: 2, Flags: Invert},
			{Name: "physdev-is-out", ID: 3, Flags: Invert},
			{Name: "physdev-is-bridged", ID: 4, Flags: Invert},
		},
		OneOf: &OneOf{IDs: 0x1f, Token: "physdev", Msg: "PHYSDEV: no physdev option specified"},
		Parse: func(info []byte, c *OptionCall) error {
			var p physdevInfo
			p.unmarshal(info)
			var err error
			bit := physdevBits[c.Option.ID]
			switch bit {
			case pdOpIn:
				p.physindev, p.inMask, err = parseIfaceMask(c.Arg(), c.Arg())
			case pdOpOut:
				p.physoutdev, p.outMask, err = parseIfaceMask(c.Arg(), c.Arg())
			}
			if err != nil {
				return err
			}
			p.bitmask |= bit
			if c.Invert {
				p.invert |= bit
			}
			p.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			// -L shows the options as -S does, after a title.
			w.WriteString(" PHYSDEV match")
			physdevSave(info, w)
		},
		Save: physdevSave,
	})
}

func physdevSave(info []byte, w *Writer) {
	var p physdevInfo
	p.unmarshal(info)
	if p.bitmask&pdOpIsIn != 0 {
		w.Opt(p.invert&pdOpIsIn != 0, "physdev-is-in")
	}
	if p.bitmask&pdOpIn != 0 {
		w.Opt(p.invert&pdOpIn != 0, "physdev-in", cString(p.physindev[:]))
	}
	if p.bitmask&pdOpIsOut != 0 {
		w.Opt(p.invert&pdOpIsOut != 0, "physdev-is-out")
	}
	if p.bitmask&pdOpOut != 0 {
		w.Opt(p.invert&pdOpOut != 0, "physdev-out", cString(p.physoutdev[:]))
	}
	if p.bitmask&pdOpBridged != 0 {
		w.Opt(p.invert&pdOpBridged != 0, "physdev-is-bridged")
	}
}
