package compat

import (
	"fmt"
	"strconv"
)

// ah for IPv6: -m ah [!] --ahspi SPI[:SPI] [!] --ahlen LEN [--ahres]
// (struct ip6t_ah, 14 bytes): u32 spis[2] @0, u32 hdrlen @8 (host
// order), u8 hdrres @12, u8 invflags @13 (INV_SPI 1, INV_LEN 2).
// spis[1] starts at 0xffffffff; a range is not checked for order. Unlike
// IPv4's ah (match_ah.go), it needs no -p: the kernel finds the header
// among the extension headers.

type ah6Info struct {
	spis     [2]uint32
	hdrlen   uint32
	hdrres   uint8
	invflags uint8
}

const (
	ah6InvSPI = 0x01
	ah6InvLen = 0x02
)

func (a *ah6Info) unmarshal(b []byte) {
	a.spis = [2]uint32{hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:])}
	a.hdrlen, a.hdrres, a.invflags = hostOrder.Uint32(b[8:]), b[12], b[13]
}

func (a *ah6Info) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], a.spis[0])
	hostOrder.PutUint32(b[4:], a.spis[1])
	hostOrder.PutUint32(b[8:], a.hdrlen)
	b[12], b[13] = a.hdrres, a.invflags
}

const (
	ah6OptSPI = iota
	ah6OptLen
	ah6OptRes
)

func init() {
	Register(&Extension{
		Name: "ah", Family: IPv6, Revision: 0, Size: 14,
		Options: []Option{
			{Name: "ahspi", ID: ah6OptSPI, Type: TypeUint32Range, Flags: Invert},
			{Name: "ahlen", ID: ah6OptLen, Type: TypeUint32, Flags: Invert},
			{Name: "ahres", ID: ah6OptRes},
		},
		Init: func(info []byte, _ *ParseContext) {
			a := ah6Info{spis: [2]uint32{0, 0xffffffff}}
			a.marshal(info)
		},
		Parse: func(info []byte, c *OptionCall) error {
			var a ah6Info
			a.unmarshal(info)
			switch c.Option.ID {
			case ah6OptSPI:
				a.spis = [2]uint32{uint32(c.Val.Range[0]), uint32(c.Val.Range[1])}
				if c.Invert {
					a.invflags |= ah6InvSPI
				}
			case ah6OptLen:
				a.hdrlen = uint32(c.Val.Uint)
				if c.Invert {
					a.invflags |= ah6InvLen
				}
			case ah6OptRes:
				a.hdrres = 1
			}
			a.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var a ah6Info
			a.unmarshal(info)
			if a.spis != [2]uint32{0, 0xffffffff} {
				w.Opt(a.invflags&ah6InvSPI != 0, "ahspi", formatRange(a.spis[0], a.spis[1]))
			}
			if inv := a.invflags&ah6InvLen != 0; a.hdrlen != 0 || inv {
				w.Opt(inv, "ahlen", strconv.FormatUint(uint64(a.hdrlen), 10))
			}
			if a.hdrres != 0 {
				w.Opt(false, "ahres")
			}
		},
		Print: func(info []byte, w *Writer) {
			var a ah6Info
			a.unmarshal(info)
			// As ip6tables prints it: no space between the spi and
			// the length ("ah spi:5length:32").
			w.WriteString(" ah ")
			printIDs(w, "spi", a.spis[0], a.spis[1], a.invflags&ah6InvSPI != 0, false)
			if inv := a.invflags&ah6InvLen != 0; a.hdrlen != 0 || inv {
				w.WriteString("length:" + invMark(inv) + strconv.FormatUint(uint64(a.hdrlen), 10))
			}
			if a.hdrres != 0 {
				w.WriteString(" reserved")
			}
			if inv := a.invflags &^ (ah6InvSPI | ah6InvLen); inv != 0 {
				fmt.Fprintf(w, " Unknown invflags: 0x%X", inv)
			}
		},
	})
}
