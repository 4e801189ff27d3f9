package compat

// recent: -m recent, revision 1 (struct xt_recent_mtinfo_v1, 228 bytes →
// 232): u32 seconds @0, u32 hit_count @4, u8 check_set @8 (CHECK=1 SET=2
// UPDATE=4 REMOVE=8 TTL=0x10 REAP=0x20), u8 invert @9, char name[200] @10,
// u8 side @210 (0 source, 1 dest), 1 byte padding, union nf_inet_addr mask
// @212 (network order). Defaults: name "DEFAULT", mask all ones. -S prints
// the name, the mask and the side always.

const (
	rcSeconds  = 0
	rcHitCount = 4
	rcCheckSet = 8
	rcInvert   = 9
	rcName     = 10
	rcNameSize = 200
	rcSide     = 210
	rcMask     = 212

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

var recentOps = []struct {
	opt string
	bit byte
}{{"set", rcSet}, {"rcheck", rcCheck}, {"update", rcUpdate}, {"remove", rcRemove}}

func init() {
	for _, fam := range []Family{IPv4, IPv6} {
		Register(&Extension{
			Name: "recent", Family: fam, Revision: 1, Size: 228,
			Options: []Option{
				{Name: "set", Invert: true, ID: rcOptSet},
				{Name: "rcheck", Invert: true, ID: rcOptRcheck},
				{Name: "update", Invert: true, ID: rcOptUpdate},
				{Name: "remove", Invert: true, ID: rcOptRemove},
				{Name: "seconds", Args: 1, ID: rcOptSeconds},
				{Name: "reap", ID: rcOptReap},
				{Name: "hitcount", Args: 1, ID: rcOptHitcount},
				{Name: "rttl", ID: rcOptRttl},
				{Name: "name", Args: 1, ID: rcOptName},
				{Name: "rsource", ID: rcOptRsource},
				{Name: "rdest", ID: rcOptRdest},
				{Name: "mask", Args: 1, ID: rcOptMask},
			},
			Init: func(info []byte, _ *ParseContext) {
				copy(info[rcName:], "DEFAULT")
				for i := range 16 {
					info[rcMask+i] = 0xff
				}
			},
			LegacyParse: recentParse,
			Final:       recentFinal,
			Save:        func(info []byte, w *Writer) { recentSave(info, w, fam) },
		})
	}
}

func recentParse(info []byte, opt *Option, args []string, invert bool, ctx *ParseContext) error {
	switch opt.ID {
	case rcOptSet, rcOptRcheck, rcOptUpdate, rcOptRemove:
		bit := recentOps[opt.ID].bit
		if other := info[rcCheckSet] & rcAnyOp &^ bit; other != 0 {
			return badSpec("--"+opt.Name, "recent: option \"--%s\" cannot be used together with another of --set, --rcheck, --update, --remove.", opt.Name)
		}
		info[rcCheckSet] |= bit
		if invert {
			info[rcInvert] = 1
		}
	case rcOptSeconds, rcOptHitcount:
		min := uint64(0)
		if opt.ID == rcOptSeconds {
			min = 1
		}
		v, ok := parseUint(args[0], min, 0xffffffff)
		if !ok {
			return badSpec(args[0], "recent: bad value for option \"--%s\", or out of range (%d-4294967295).", opt.Name, min)
		}
		off := rcSeconds
		if opt.ID == rcOptHitcount {
			off = rcHitCount
		}
		putLe32(info[off:], uint32(v))
	case rcOptReap:
		info[rcCheckSet] |= rcReap
	case rcOptRttl:
		info[rcCheckSet] |= rcTTL
	case rcOptName:
		// XTOPT_PUT: strncpy of the name and a NUL, leaving the rest of
		// the field ("DEFAULT" from Init) as it was.
		n := min(len(args[0]), rcNameSize-1)
		copy(info[rcName:], args[0][:n])
		info[rcName+n] = 0
	case rcOptRsource:
		info[rcSide] = 0
	case rcOptRdest:
		info[rcSide] = 1
	case rcOptMask:
		ip, err := parseIP(ctx.Family, args[0])
		if err != nil {
			return badSpec(args[0], "getaddrinfo: Name or service not known")
		}
		clear(info[rcMask : rcMask+16])
		copy(info[rcMask:], ip)
	}
	return nil
}

func recentFinal(info []byte, _ *ParseContext) error {
	cs := info[rcCheckSet]
	if cs&rcAnyOp == 0 {
		return badSpec("recent", "recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'")
	}
	if cs&rcReap != 0 && le32(info[rcSeconds:]) == 0 {
		return badSpec("--reap", "recent: option \"--reap\" also requires \"--seconds\".")
	}
	if cs&rcTTL != 0 && cs&(rcSet|rcRemove) != 0 {
		return badSpec("--rttl", "recent: option \"--rttl\" cannot be used together with --set or --remove.")
	}
	return nil
}

func recentSave(info []byte, w *Writer, fam Family) {
	cs := info[rcCheckSet]
	if info[rcInvert] != 0 {
		w.WriteString(" !")
	}
	if cs&rcSet != 0 {
		w.Opt(false, "set")
	}
	if cs&rcCheck != 0 {
		w.Opt(false, "rcheck")
	}
	if cs&rcUpdate != 0 {
		w.Opt(false, "update")
	}
	if cs&rcRemove != 0 {
		w.Opt(false, "remove")
	}
	if v := le32(info[rcSeconds:]); v != 0 {
		w.Opt(false, "seconds", mbItoa32(v))
	}
	if cs&rcReap != 0 {
		w.Opt(false, "reap")
	}
	if v := le32(info[rcHitCount:]); v != 0 {
		w.Opt(false, "hitcount", mbItoa32(v))
	}
	if cs&rcTTL != 0 {
		w.Opt(false, "rttl")
	}
	w.Opt(false, "name", cString(info[rcName:rcName+rcNameSize]))
	w.Opt(false, "mask", ipString(info[rcMask:rcMask+fam.addrLen()]))
	switch info[rcSide] {
	case 0:
		w.Opt(false, "rsource")
	case 1:
		w.Opt(false, "rdest")
	}
}
