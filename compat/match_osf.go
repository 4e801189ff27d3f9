package compat

// osf: iptables -m osf (passive OS fingerprinting), revision 0 (struct
// xt_osf_info, 48 bytes): char genre[32] (cut to 31 bytes), u32 len (the
// genre's), u32 flags (TTL 2, LOG 4, INVERT 8; libxt_osf never sets
// GENRE 1), u32 loglevel, u32 ttl. [!] --genre STRING is needed; --ttl
// and --log take 0-2. The kernel takes it for -p tcp only and refuses it
// otherwise (EINVAL, exit status 4), as iptables-nft relays. -S prints
// the genre unquoted.

const (
	osfOptGenre = iota
	osfOptTTL
	osfOptLog
)

const (
	osfFlagTTL    = 2
	osfFlagLog    = 4
	osfFlagInvert = 8
)

type osfInfo struct {
	genre                     [32]byte
	len, flags, loglevel, ttl uint32
}

func (o *osfInfo) unmarshal(b []byte) {
	copy(o.genre[:], b[0:32])
	o.len, o.flags = hostOrder.Uint32(b[32:]), hostOrder.Uint32(b[36:])
	o.loglevel, o.ttl = hostOrder.Uint32(b[40:]), hostOrder.Uint32(b[44:])
}

func (o *osfInfo) marshal(b []byte) {
	copy(b[0:32], o.genre[:])
	hostOrder.PutUint32(b[32:], o.len)
	hostOrder.PutUint32(b[36:], o.flags)
	hostOrder.PutUint32(b[40:], o.loglevel)
	hostOrder.PutUint32(b[44:], o.ttl)
}

func init() {
	Register(&Extension{
		Name: "osf", Family: IPv4, Revision: 0, Size: 48,
		Options: []Option{
			{Name: "genre", ID: osfOptGenre, Type: TypeString, Flags: Mandatory | Invert},
			{Name: "ttl", ID: osfOptTTL, Type: TypeUint32, Max: 2},
			{Name: "log", ID: osfOptLog, Type: TypeUint32, Max: 2},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var o osfInfo
			o.unmarshal(info)
			switch c.Option.ID {
			case osfOptGenre:
				putCString(o.genre[:], c.Arg())
				o.len = uint32(len(cStringBytes(o.genre[:])))
				if c.Invert {
					o.flags |= osfFlagInvert
				}
			case osfOptTTL:
				o.ttl = uint32(c.Val.Uint)
				o.flags |= osfFlagTTL
			case osfOptLog:
				o.loglevel = uint32(c.Val.Uint)
				o.flags |= osfFlagLog
			}
			o.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var o osfInfo
			o.unmarshal(info)
			w.Opt(o.flags&osfFlagInvert != 0, "genre", cString(o.genre[:]))
			if o.flags&osfFlagTTL != 0 {
				w.Opt(false, "ttl", utoa(o.ttl))
			}
			if o.flags&osfFlagLog != 0 {
				w.Opt(false, "log", utoa(o.loglevel))
			}
		},
		Print: func(info []byte, w *Writer) {
			var o osfInfo
			o.unmarshal(info)
			w.WriteString(" OS fingerprint match " + invSpace(o.flags&osfFlagInvert != 0) + cString(o.genre[:]))
		},
	})
}
