package compat

// udp: -m udp (struct xt_udp, 10 bytes): u16 spts[2], u16 dpts[2], u8
// invflags (the same bits as tcp's). Translated natively unless it tests
// nothing.

type udpInfo struct {
	portRanges
	invflags uint8
}

func (u *udpInfo) unmarshal(b []byte) {
	u.portRanges.unmarshal(b)
	u.invflags = b[8]
}

func (u *udpInfo) marshal(b []byte) {
	u.portRanges.marshal(b)
	b[8] = u.invflags
}

func init() {
	Register(&Extension{
		Name: "udp", Revision: 0, Size: 10, Proto: 17, ProtoUserspace: true,
		Options: []Option{
			{Name: "source-port", Aliases: []string{"sport"}, ID: 0, Type: TypeString, Flags: Invert},
			{Name: "destination-port", Aliases: []string{"dport"}, ID: 1, Type: TypeString, Flags: Invert},
		},
		Init: func(info []byte, _ *ParseContext) {
			u := udpInfo{portRanges: fullPortRanges}
			u.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error {
			r, err := parseAnyPortRange(c.Arg(), "udp")
			if err != nil {
				return err
			}
			var u udpInfo
			u.unmarshal(info)
			u.set(c.Option.ID == 1, r, c.Invert, &u.invflags)
			u.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var u udpInfo
			u.unmarshal(info)
			u.save(w, u.invflags)
		},
		Print: func(info []byte, w *Writer) {
			var u udpInfo
			u.unmarshal(info)
			w.WriteString(" udp")
			w.proto = "udp"
			u.print(w, u.invflags)
		},
		Native: func(info []byte, ctx EncodeContext, b []byte) ([]byte, bool) {
			var u udpInfo
			u.unmarshal(info)
			if ctx.Spec.Proto != 17 {
				return b, false // as tcp: keep a kernel rule's xt form
			}
			// The xt match unless it is all zero (udp_all_zero, negations
			// included): "! --sport :" goes native and writes nothing.
			if u.invflags&^(portsInvSrc|portsInvDst) != 0 || u.testsNoPort() && u.invflags == 0 {
				return b, false
			}
			return u.appendNative(b, u.invflags), true
		},
	})
	registerNative(func(d *decoder) (bool, error) {
		if d.spec.Proto != 17 {
			return false, nil
		}
		pt, ok := decodePorts(d)
		if !ok {
			return false, nil
		}
		var u udpInfo
		info := d.instance("udp").Info
		u.unmarshal(info)
		pt.apply(&u.portRanges, &u.invflags)
		u.marshal(info)
		return true, nil
	})
}
