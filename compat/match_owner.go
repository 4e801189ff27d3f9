package compat

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// owner: -m owner, revision 1 (struct xt_owner_match_info, 18 bytes → 24):
// u32 uid_min, uid_max, gid_min, gid_max, u8 match, u8 invert (UID=1 GID=2
// SOCKET=4 SUPPL_GROUPS=8). A user or group name is looked up first (as
// getpwnam/getgrnam would, in /etc/passwd and /etc/group only: no NSS, no
// cgo); otherwise the value is a number or a FROM-TO (or FROM:TO) range.
// -S prints numbers. The kernel allows the match only in OUTPUT and
// POSTROUTING.

// ownerInfo is struct xt_owner_match_info.
type ownerInfo struct {
	uid, gid      [2]uint32 // min, max
	match, invert uint8
}

const (
	owUID    = 1
	owGID    = 2
	owSocket = 4
	owSuppl  = 8
)

func (o *ownerInfo) unmarshal(b []byte) {
	o.uid = [2]uint32{hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:])}
	o.gid = [2]uint32{hostOrder.Uint32(b[8:]), hostOrder.Uint32(b[12:])}
	o.match, o.invert = b[16], b[17]
}

func (o *ownerInfo) marshal(b []byte) {
	for i, v := range [...]uint32{o.uid[0], o.uid[1], o.gid[0], o.gid[1]} {
		hostOrder.PutUint32(b[4*i:], v)
	}
	b[16], b[17] = o.match, o.invert
}

// ownerBits are the match bits of the options, by ID.
var ownerBits = [...]uint8{owUID, owGID, owSocket, owSuppl}

func init() {
	Register(&Extension{
		Name: "owner", Revision: 1, Size: 18,
		Options: []Option{
			{Name: "uid-owner", ID: 0, Type: TypeString, Flags: Invert},
			{Name: "gid-owner", ID: 1, Type: TypeString, Flags: Invert},
			{Name: "socket-exists", ID: 2, Flags: Invert},
			{Name: "suppl-groups", ID: 3},
		},
		OneOf: &OneOf{IDs: 0xf, Token: "owner", Msg: "owner: At least one of --uid-owner, --gid-owner or --socket-exists is required"},
		Parse: func(info []byte, c *OptionCall) error {
			var o ownerInfo
			o.unmarshal(info)
			bit := ownerBits[c.Option.ID]
			switch bit {
			case owUID, owGID:
				file, r := "/etc/passwd", &o.uid
				if bit == owGID {
					file, r = "/etc/group", &o.gid
				}
				from, to, err := ownerParseID(file, "--"+c.Option.Name, c.Arg())
				if err != nil {
					return err
				}
				*r = [2]uint32{from, to}
			case owSuppl:
				if o.match&owGID == 0 {
					return badSpec("--suppl-groups", "owner: Bad value for option \"--suppl-groups\": \"you need to use --gid-owner first\"")
				}
			}
			if c.Invert {
				o.invert |= bit
			}
			o.match |= bit
			o.marshal(info)
			return nil
		},
		Print: func(info []byte, w *Writer) {
			var o ownerInfo
			o.unmarshal(info)
			item := func(bit byte, label, file string, r *[2]uint32) {
				if o.match&bit == 0 {
					return
				}
				if o.invert&bit != 0 {
					w.WriteString(" !")
				}
				w.WriteString(" " + label)
				switch {
				case r == nil:
				case r[0] != r[1]:
					w.WriteString(" " + utoa(r[0]) + "-" + utoa(r[1]))
				default:
					if !w.Numeric() {
						if name, ok := ownerName(file, r[0]); ok {
							w.WriteString(" " + name)
							return
						}
					}
					w.WriteString(" " + utoa(r[0]))
				}
			}
			item(owSocket, "owner socket exists", "", nil)
			item(owUID, "owner UID match", "/etc/passwd", &o.uid)
			item(owGID, "owner GID match", "/etc/group", &o.gid)
			item(owSuppl, "incl. suppl. groups", "", nil)
		},
		Save: func(info []byte, w *Writer) {
			var o ownerInfo
			o.unmarshal(info)
			item := func(bit byte, name string, r *[2]uint32) {
				if o.match&bit == 0 {
					return
				}
				w.Opt(o.invert&bit != 0, name)
				if r == nil {
					return
				}
				if r[0] != r[1] {
					w.WriteString(" " + utoa(r[0]) + "-" + utoa(r[1]))
				} else {
					w.WriteString(" " + utoa(r[0]))
				}
			}
			item(owSocket, "socket-exists", nil)
			item(owUID, "uid-owner", &o.uid)
			item(owGID, "gid-owner", &o.gid)
			item(owSuppl, "suppl-groups", nil)
		},
	})
}

// ownerParseID resolves a user/group name from file, or parses "N" or
// "N-M" / "N:M" (each at most 2^32-2, as owner_parse_range allows).
func ownerParseID(file, opt, s string) (from, to uint32, err error) {
	if id, ok := ownerLookup(file, s); ok {
		return id, id, nil
	}
	bad := badSpec(s, "owner: Bad value for option \"%s\": \"%s\"", opt, s)
	const max = 0xfffffffe
	num := func(t string) (uint64, string, bool) { return xtStrtoul(t, 0, max) }
	lo, rest, ok := num(s)
	if !ok {
		return 0, 0, bad
	}
	hi := lo
	if rest != "" && (rest[0] == '-' || rest[0] == ':') {
		if hi, rest, ok = num(rest[1:]); !ok {
			return 0, 0, bad
		}
	}
	if rest != "" {
		return 0, 0, bad
	}
	return uint32(lo), uint32(hi), nil
}

// ownerName finds the name of id in a passwd(5)/group(5) file, as
// getpwuid/getgrgid would: the first field of the first line whose third
// field is id.
func ownerName(file string, id uint32) (string, bool) {
	f, err := os.Open(file)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 || fields[0] == "" {
			continue
		}
		if n, err := strconv.ParseUint(fields[2], 10, 32); err == nil && uint32(n) == id {
			return fields[0], true
		}
	}
	return "", false
}

// ownerLookup finds name in a passwd(5)/group(5) file: the id is the
// third field of the first line whose first field is name.
func ownerLookup(file, name string) (uint32, bool) {
	if name == "" || strings.ContainsAny(name, ":\n") {
		return 0, false
	}
	f, err := os.Open(file)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 || fields[0] != name {
			continue
		}
		id, err := strconv.ParseUint(fields[2], 10, 32)
		if err != nil {
			continue
		}
		return uint32(id), true
	}
	return 0, false
}
