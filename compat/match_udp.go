package compat

// udp: -m udp (struct xt_udp, 10 bytes): u16 spts[2] @0, u16 dpts[2] @4,
// u8 invflags @8. Translated natively unless it tests nothing.

const (
	udpInvSrcPt = 0x01
	udpInvDstPt = 0x02
)

func init() {
	Register(&Extension{
		Name: "udp", Revision: 0, Size: 10,
		Options: []Option{
			{Name: "source-port", Aliases: []string{"sport"}, Args: 1, Invert: true, ID: 0},
			{Name: "destination-port", Aliases: []string{"dport"}, Args: 1, Invert: true, ID: 1},
		},
		Init: func(info []byte, _ *ParseContext) { putLe16(info[2:], 0xffff); putLe16(info[6:], 0xffff) },
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
			lo, hi, err := parseAnyPortRange(args[0], "udp")
			if err != nil {
				return err
			}
			at, bit := 0, byte(udpInvSrcPt)
			if opt.ID == 1 {
				at, bit = 4, udpInvDstPt
			}
			putLe16(info[at:], lo)
			putLe16(info[at+2:], hi)
			if invert {
				info[8] |= bit
			}
			return nil
		},
		Final: func(info []byte, ctx *ParseContext) error { return protoCheck(ctx, 17, "udp", "UDP") },
		Save: func(info []byte, w *Writer) {
			spts, dpts := portsOf(info)
			if !isFullRange(spts) {
				w.portRangeOpt(info[8]&udpInvSrcPt != 0, "sport", spts[0], spts[1])
			}
			if !isFullRange(dpts) {
				w.portRangeOpt(info[8]&udpInvDstPt != 0, "dport", dpts[0], dpts[1])
			}
		},
		Print: func(info []byte, w *Writer) {
			w.WriteString(" udp")
			w.proto = "udp"
			spts, dpts := portsOf(info)
			printPorts(w, "spt", spts[0], spts[1], info[8]&udpInvSrcPt != 0)
			printPorts(w, "dpt", dpts[0], dpts[1], info[8]&udpInvDstPt != 0)
		},
		Native: func(info []byte, ctx EncodeContext, b []byte) ([]byte, bool) {
			spts, dpts := portsOf(info)
			if ctx.Spec.Proto != 17 {
				return b, false // as tcp: keep a kernel rule's xt form
			}
			if info[8]&^(udpInvSrcPt|udpInvDstPt) != 0 || (isFullRange(spts) && isFullRange(dpts)) {
				return b, false
			}
			return appendTCPUDPPorts(b, spts, dpts, info[8]&udpInvSrcPt != 0, info[8]&udpInvDstPt != 0), true
		},
	})
	registerNative(func(d *decoder) (bool, error) {
		if d.spec.Proto != 17 {
			return false, nil
		}
		return decodePorts(d, func() *Instance { return d.instance("udp") }, 8, udpInvSrcPt, udpInvDstPt), nil
	})
}
