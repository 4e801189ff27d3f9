package compat

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// owner: -m owner, revision 1 (struct xt_owner_match_info, 18 bytes → 24,
// host order): u32 uid_min @0, uid_max @4, gid_min @8, gid_max @12, u8
// match @16, u8 invert @17 (UID=1 GID=2 SOCKET=4 SUPPL_GROUPS=8). A
// user or group name is looked up first (as getpwnam/getgrnam would, in
// /etc/passwd and /etc/group only: no NSS, no cgo); otherwise the value is
// a number or a FROM-TO (or FROM:TO) range. -S prints numbers. The kernel
// allows the match only in OUTPUT and POSTROUTING.

const (
	owUID    = 1
	owGID    = 2
	owSocket = 4
	owSuppl  = 8
)

func init() {
	Register(&Extension{
		Name: "owner", Revision: 1, Size: 18,
		Options: []Option{
			{Name: "uid-owner", Args: 1, Invert: true, ID: owUID},
			{Name: "gid-owner", Args: 1, Invert: true, ID: owGID},
			{Name: "socket-exists", Invert: true, ID: owSocket},
			{Name: "suppl-groups", ID: owSuppl},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
			bit := byte(opt.ID)
			switch bit {
			case owUID, owGID:
				file, off := "/etc/passwd", 0
				if bit == owGID {
					file, off = "/etc/group", 8
				}
				from, to, err := ownerParseID(file, "--"+opt.Name, args[0])
				if err != nil {
					return err
				}
				putLe32(info[off:], from)
				putLe32(info[off+4:], to)
			case owSuppl:
				if info[16]&owGID == 0 {
					return badSpec("--suppl-groups", "owner: Bad value for option \"--suppl-groups\": \"you need to use --gid-owner first\"")
				}
			}
			if invert {
				info[17] |= bit
			}
			info[16] |= bit
			return nil
		},
		Final: func(info []byte, _ *ParseContext) error {
			if info[16] == 0 {
				return badSpec("owner", "owner: At least one of --uid-owner, --gid-owner or --socket-exists is required")
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			item := func(bit byte, name string, off int) {
				if info[16]&bit == 0 {
					return
				}
				w.Opt(info[17]&bit != 0, name)
				if off < 0 {
					return
				}
				lo, hi := le32(info[off:]), le32(info[off+4:])
				if lo != hi {
					w.WriteString(" " + utoa(lo) + "-" + utoa(hi))
				} else {
					w.WriteString(" " + utoa(lo))
				}
			}
			item(owSocket, "socket-exists", -1)
			item(owUID, "uid-owner", 0)
			item(owGID, "gid-owner", 8)
			item(owSuppl, "suppl-groups", -1)
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
