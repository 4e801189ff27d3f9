package compat

// recent: -m recent, revision 1 (struct xt_recent_mtinfo_v1, 228 bytes →
// 232): u32 seconds, u32 hit_count, u8 check_set (CHECK=1 SET=2 UPDATE=4
// REMOVE=8 TTL=0x10 REAP=0x20), u8 invert, char name[200], u8 side (0
// source, 1 dest), 1 byte padding, union nf_inet_addr mask (network
// order). Defaults: name "DEFAULT", mask all ones. -S prints the name, the
// mask and the side always.

type recentInfo struct {
	seconds, hitCount uint32
	checkSet, invert  uint8
	name              [200]byte
	side              uint8
	mask              [16]byte
}

func (r *recentInfo) unmarshal(b []byte) {
	r.seconds, r.hitCount, r.checkSet, r.invert = hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:]), b[8], b[9]
	copy(r.name[:], b[10:210])
	r.side = b[210]
	copy(r.mask[:], b[212:228])
}

func (r *recentInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], r.seconds)
	hostOrder.PutUint32(b[4:], r.hitCount)
	b[8], b[9] = r.checkSet, r.invert
	copy(b[10:210], r.name[:])
	b[210] = r.side
	copy(b[212:228], r.mask[:])
}

const (
	rcCheck  = 0x01
	rcSet    = 0x02
	rcUpdate = 0x04
	rcRemove = 0x08
	rcTTL    = 0x10
	rcReap   = 0x20
	rcAnyOp  = rcCheck | rcSet | rcUpdate | rcRemove
)

const (
	rcOptSet = iota
	rcOptRcheck
	rcOptUpdate
	rcOptRemove
	rcOptSeconds
	rcOptReap
	rcOptHitcount
	rcOptRttl
	rcOptName
	rcOptRsource
	rcOptRdest
	rcOptMask
)

// recentOps are the check_set bits of the options that pick the
// operation (IDs 0 to 3).
var recentOps = [...]byte{rcSet, rcCheck, rcUpdate, rcRemove}

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "recent", Family: fam, Revision: 1, Size: 228,
			Options: []Option{
				{Name: "set", ID: rcOptSet, Flags: Invert},
				{Name: "rcheck", ID: rcOptRcheck, Flags: Invert},
				{Name: "update", ID: rcOptUpdate, Flags: Invert},
				{Name: "remove", ID: rcOptRemove, Flags: Invert},
				{Name: "seconds", ID: rcOptSeconds, Type: TypeUint32, Min: 1, Flags: MinusWraps},
				{Name: "reap", ID: rcOptReap, Also: 1 << rcOptSeconds},
				{Name: "hitcount", ID: rcOptHitcount, Type: TypeUint32, Flags: MinusWraps},
				{Name: "rttl", ID: rcOptRttl},
				{Name: "name", ID: rcOptName, Type: TypeString},
				{Name: "rsource", ID: rcOptRsource},
				{Name: "rdest", ID: rcOptRdest},
				{Name: "mask", ID: rcOptMask, Type: TypeString},
			},
			OneOf: &OneOf{IDs: 1<<rcOptSet | 1<<rcOptRcheck | 1<<rcOptUpdate | 1<<rcOptRemove, Token: "recent",
				Msg: "recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'"},
			Init: func(info []byte, _ *ParseContext) {
				r := recentInfo{mask: allOnes16}
				copy(r.name[:], "DEFAULT")
				r.marshal(info)
			},
			Parse: func(info []byte, c *OptionCall) error {
				return parseInto(info, func(r *recentInfo) error { return r.parse(c) })
			},
			Final: func(info []byte, _ *ParseContext) error {
				var r recentInfo
				r.unmarshal(info)
				if r.checkSet&rcTTL != 0 && r.checkSet&(rcSet|rcRemove) != 0 {
					other := "set"
					if r.checkSet&rcSet == 0 {
						other = "remove"
					}
					return badSpec("--rttl", "recent: option \"--rttl\" cannot be used together with \"--%s\".\n", other)
				}
				return nil
			},
			Print: func(info []byte, w *Writer) {
				var r recentInfo
				r.unmarshal(info)
				r.print(w, fam)
			},
			Save: func(info []byte, w *Writer) {
				var r recentInfo
				r.unmarshal(info)
				r.save(w, fam)
			},
		})
	}
}

func (r *recentInfo) parse(c *OptionCall) error {
	switch id := c.Option.ID; id {
	case rcOptSet, rcOptRcheck, rcOptUpdate, rcOptRemove:
		bit := recentOps[id]
		if other := r.checkSet & rcAnyOp &^ bit; other != 0 {
			return badSpec("--"+c.Option.Name, "recent: option \"--%s\" cannot be used together with another of --set, --rcheck, --update, --remove.", c.Option.Name)
		}
		r.checkSet |= bit
		if c.Invert {
			r.invert = 1
		}
	case rcOptSeconds:
		r.seconds = uint32(c.Val.Uint)
	case rcOptHitcount:
		r.hitCount = uint32(c.Val.Uint)
	case rcOptReap:
		r.checkSet |= rcReap
	case rcOptRttl:
		r.checkSet |= rcTTL
	case rcOptName:
		// XTOPT_PUT: strncpy of the name and a NUL, leaving the rest of
		// the field ("DEFAULT" from Init) as it was.
		n := min(len(c.Arg()), len(r.name)-1)
		copy(r.name[:], c.Arg()[:n])
		r.name[n] = 0
	case rcOptRsource:
		r.side = 0
	case rcOptRdest:
		r.side = 1
	case rcOptMask:
		ip, err := parseIP(c.Family, c.Arg())
		if err != nil {
			return badSpec(c.Arg(), "getaddrinfo: Name or service not known")
		}
		r.mask = [16]byte{}
		copy(r.mask[:], ip)
	}
	return nil
}

// print writes what -L shows: " recent: CHECK seconds: 60 name: DEFAULT
// side: source mask: 255.255.255.255".
func (r *recentInfo) print(w *Writer, fam Family) {
	if r.invert != 0 {
		w.WriteString(" !")
	}
	w.WriteString(" recent:")
	for _, op := range []struct {
		bit  byte
		name string
	}{{rcSet, "SET"}, {rcCheck, "CHECK"}, {rcUpdate, "UPDATE"}, {rcRemove, "REMOVE"}} {
		if r.checkSet&op.bit != 0 {
			w.WriteString(" " + op.name)
		}
	}
	if r.seconds != 0 {
		w.WriteString(" seconds: " + itoa32(r.seconds))
	}
	if r.checkSet&rcReap != 0 {
		w.WriteString(" reap")
	}
	if r.hitCount != 0 {
		w.WriteString(" hit_count: " + itoa32(r.hitCount))
	}
	if r.checkSet&rcTTL != 0 {
		w.WriteString(" TTL-Match")
	}
	w.WriteString(" name: " + cString(r.name[:]))
	switch r.side {
	case 0:
		w.WriteString(" side: source")
	case 1:
		w.WriteString(" side: dest")
	}
	w.WriteString(" mask: " + ipString(r.mask[:fam.addrLen()]))
}

func (r *recentInfo) save(w *Writer, fam Family) {
	if r.invert != 0 {
		w.WriteString(" !")
	}
	for _, op := range []struct {
		bit  byte
		name string
	}{{rcSet, "set"}, {rcCheck, "rcheck"}, {rcUpdate, "update"}, {rcRemove, "remove"}} {
		if r.checkSet&op.bit != 0 {
			w.Opt(false, op.name)
		}
	}
	if r.seconds != 0 {
		w.Opt(false, "seconds", itoa32(r.seconds))
	}
	if r.checkSet&rcReap != 0 {
		w.Opt(false, "reap")
	}
	if r.hitCount != 0 {
		w.Opt(false, "hitcount", itoa32(r.hitCount))
	}
	if r.checkSet&rcTTL != 0 {
		w.Opt(false, "rttl")
	}
	w.Opt(false, "name", cString(r.name[:]))
	w.Opt(false, "mask", ipString(r.mask[:fam.addrLen()]))
	switch r.side {
	case 0:
		w.Opt(false, "rsource")
	case 1:
		w.Opt(false, "rdest")
	}
}
