package compat

// physdev: -m physdev (struct xt_physdev_info, 66 bytes → 72): char
// physindev[16] @0, u8 in_mask[16] @16, char physoutdev[16] @32, u8
// out_mask[16] @48, u8 invert @64, u8 bitmask @65 (IN=1 OUT=2 BRIDGED=4
// ISIN=8 ISOUT=0x10). Names and masks as xtables_parse_interface fills
// them ("br+" is a prefix match). The kernel refuses --physdev-out and
// --physdev-is-out in OUTPUT/FORWARD/POSTROUTING unless --physdev-is-bridged.

const (
	pdIn      = 0
	pdInMask  = 16
	pdOut     = 32
	pdOutMask = 48
	pdInvert  = 64
	pdBitmask = 65

	pdOpIn      = 0x01
	pdOpOut     = 0x02
	pdOpBridged = 0x04
	pdOpIsIn    = 0x08
	pdOpIsOut   = 0x10
)

func init() {
	Register(&Extension{
		Name: "physdev", Revision: 0, Size: 66,
		Options: []Option{
			{Name: "physdev-in", Args: 1, Invert: true, ID: pdOpIn},
			{Name: "physdev-out", Args: 1, Invert: true, ID: pdOpOut},
			{Name: "physdev-is-in", Invert: true, ID: pdOpIsIn},
			{Name: "physdev-is-out", Invert: true, ID: pdOpIsOut},
			{Name: "physdev-is-bridged", Invert: true, ID: pdOpBridged},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
			bit := byte(opt.ID)
			switch bit {
			case pdOpIn:
				if err := mbParseIface(args[0], args[0], info[pdIn:pdIn+16], info[pdInMask:pdInMask+16]); err != nil {
					return err
				}
			case pdOpOut:
				if err := mbParseIface(args[0], args[0], info[pdOut:pdOut+16], info[pdOutMask:pdOutMask+16]); err != nil {
					return err
				}
			}
			info[pdBitmask] |= bit
			if invert {
				info[pdInvert] |= bit
			}
			return nil
		},
		Final: func(info []byte, _ *ParseContext) error {
			if info[pdBitmask] == 0 {
				return badSpec("physdev", "PHYSDEV: no physdev option specified")
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			bm, inv := info[pdBitmask], info[pdInvert]
			if bm&pdOpIsIn != 0 {
				w.Opt(inv&pdOpIsIn != 0, "physdev-is-in")
			}
			if bm&pdOpIn != 0 {
				w.Opt(inv&pdOpIn != 0, "physdev-in", cString(info[pdIn:pdIn+16]))
			}
			if bm&pdOpIsOut != 0 {
				w.Opt(inv&pdOpIsOut != 0, "physdev-is-out")
			}
			if bm&pdOpOut != 0 {
				w.Opt(inv&pdOpOut != 0, "physdev-out", cString(info[pdOut:pdOut+16]))
			}
			if bm&pdOpBridged != 0 {
				w.Opt(inv&pdOpBridged != 0, "physdev-is-bridged")
			}
		},
	})
}
