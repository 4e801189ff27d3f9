package compat

// cgroup: -m cgroup, revision 2, the one iptables-nft 1.8.9 sends on
// this kernel (struct xt_cgroup_info_v2, 528 bytes): u8 has_path, u8
// has_classid, u8 invert_path, u8 invert_classid, then a union of char
// path[512] and u32 classid, a kernel pointer (0). [!] --path PATH
// (cut to 511 bytes) and [!] --cgroup CLASSID share the union, so the
// one given last overwrites the other's first bytes: iptables-nft sends
// both, and the kernel refuses them together, as it refuses neither
// (EINVAL, exit status 4). -S prints --path (quoted as iptables-save
// quotes) then --cgroup; -L prints "cgroup [! ]PATH [! ]CLASSID".

const (
	cgroupOptClassID = iota
	cgroupOptPath
)

const cgroupPathMax = 512

type cgroupInfo struct {
	hasPath, hasClassID, invertPath, invertClassID uint8
	// union holds the path, or the classid in its first 4 bytes.
	union [cgroupPathMax]byte
}

func (g *cgroupInfo) unmarshal(b []byte) {
	g.hasPath, g.hasClassID, g.invertPath, g.invertClassID = b[0], b[1], b[2], b[3]
	copy(g.union[:], b[4:4+cgroupPathMax])
}

func (g *cgroupInfo) marshal(b []byte) {
	b[0], b[1], b[2], b[3] = g.hasPath, g.hasClassID, g.invertPath, g.invertClassID
	copy(b[4:4+cgroupPathMax], g.union[:])
}

func (g *cgroupInfo) classID() uint32 { return hostOrder.Uint32(g.union[:4]) }

func init() {
	Register(&Extension{
		Name: "cgroup", Revision: 2, Size: 528,
		Options: []Option{
			{Name: "path", ID: cgroupOptPath, Type: TypeString, Flags: Invert},
			{Name: "cgroup", ID: cgroupOptClassID, Type: TypeUint32, Flags: Invert},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var g cgroupInfo
			g.unmarshal(info)
			if c.Option.ID == cgroupOptPath {
				// XTOPT_PUT: the string and its NUL over the union,
				// what lies beyond left as it was.
				s := c.Arg()
				if len(s) > cgroupPathMax-1 {
					s = s[:cgroupPathMax-1]
				}
				copy(g.union[:], s)
				g.union[len(s)] = 0
				g.hasPath = 1
				if c.Invert {
					g.invertPath = 1
				}
			} else {
				hostOrder.PutUint32(g.union[:4], uint32(c.Val.Uint))
				g.hasClassID = 1
				if c.Invert {
					g.invertClassID = 1
				}
			}
			g.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var g cgroupInfo
			g.unmarshal(info)
			if g.hasPath != 0 {
				w.Opt(g.invertPath != 0, "path")
				w.Quoted(cString(g.union[:]))
			}
			if g.hasClassID != 0 {
				w.Opt(g.invertClassID != 0, "cgroup", utoa(g.classID()))
			}
		},
		Print: func(info []byte, w *Writer) {
			var g cgroupInfo
			g.unmarshal(info)
			w.WriteString(" cgroup")
			if g.hasPath != 0 {
				w.WriteString(" " + invSpace(g.invertPath != 0) + cString(g.union[:]))
			}
			if g.hasClassID != 0 {
				w.WriteString(" " + invSpace(g.invertClassID != 0) + utoa(g.classID()))
			}
		},
	})
}

// invSpace is "! " when set, "" otherwise (for -L texts that print a
// negation apart from its value).
func invSpace(set bool) string {
	if set {
		return "! "
	}
	return ""
}
