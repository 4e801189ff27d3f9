package compat

import "fmt"

// ipcomp: -p ipcomp -m ipcomp [!] --ipcompspi SPI[:SPI] [--compres]
// (struct xt_ipcomp, 10 bytes): u32 spis[2] @0 (host order), u8 invflags
// @8 (INV_SPI 1), u8 hdrres @9. Unlike esp and ah, nothing sets a
// default: without --ipcompspi the range is 0:0 and -S prints
// "--ipcompspi 0". A range is not checked for order. The kernel refuses
// the match without -p ipcomp (protocol 108).

type ipcompInfo struct {
	spis     [2]uint32
	invflags uint8
	hdrres   uint8
}

const ipcompInvSPI = 0x01

func (p *ipcompInfo) unmarshal(b []byte) {
	p.spis = [2]uint32{hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:])}
	p.invflags, p.hdrres = b[8], b[9]
}

func (p *ipcompInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], p.spis[0])
	hostOrder.PutUint32(b[4:], p.spis[1])
	b[8], b[9] = p.invflags, p.hdrres
}

const (
	ipcompOptSPI = iota
	ipcompOptRes
)

func init() {
	Register(&Extension{
		Name: "ipcomp", Revision: 0, Size: 10, Proto: 108,
		Options: []Option{
			{Name: "ipcompspi", ID: ipcompOptSPI, Type: TypeUint32Range, Flags: Invert},
			{Name: "compres", ID: ipcompOptRes},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var p ipcompInfo
			p.unmarshal(info)
			switch c.Option.ID {
			case ipcompOptSPI:
				p.spis = [2]uint32{uint32(c.Val.Range[0]), uint32(c.Val.Range[1])}
				if c.Invert {
					p.invflags |= ipcompInvSPI
				}
			case ipcompOptRes:
				p.hdrres = 1
			}
			p.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var p ipcompInfo
			p.unmarshal(info)
			if p.spis != [2]uint32{0, 0xffffffff} {
				w.Opt(p.invflags&ipcompInvSPI != 0, "ipcompspi", formatRange(p.spis[0], p.spis[1]))
			}
			if p.hdrres != 0 {
				w.Opt(false, "compres")
			}
		},
		Print: func(info []byte, w *Writer) {
			var p ipcompInfo
			p.unmarshal(info)
			w.WriteString(" comp ")
			printIDs(w, "spi", p.spis[0], p.spis[1], p.invflags&ipcompInvSPI != 0, false)
			if p.hdrres != 0 {
				w.WriteString(" reserved")
			}
			if inv := p.invflags &^ ipcompInvSPI; inv != 0 {
				fmt.Fprintf(w, " Unknown invflags: 0x%X", inv)
			}
		},
	})
}
