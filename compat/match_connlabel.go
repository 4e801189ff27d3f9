package compat

import (
	"strings"
	"sync"

	"github.com/xtnl/xtnl/internal/sysfile"
)

// connlabel: -m connlabel [!] --label LABEL [--set], revision 0 (struct
// xt_connlabel_mtinfo, 4 bytes): u16 bit, u16 options (INVERT 1, SET 2).
// LABEL is a number (C notation, as strtoul reads it, kept as an int:
// one that reads negative is looked up as a name) or a name from
// /etc/xtables/connlabel.conf (libnetfilter_conntrack's label map). The
// kernel refuses a bit beyond its label space (ERANGE, exit status 4).
// -S and -L print the bit's name when the map has one, else the number.
// Without the file iptables warns on stderr and goes on with numbers;
// compat says nothing and does the same.

const (
	connlabelOptLabel = iota
	connlabelOptSet
)

const (
	connlabelInvert = 1
	connlabelSet    = 2
)

// connlabelConf is the label map's file (nfct_labels_get_path).
const connlabelConf = "/etc/xtables/connlabel.conf"

type connlabelInfo struct{ bit, options uint16 }

func (l *connlabelInfo) unmarshal(b []byte) {
	l.bit, l.options = hostOrder.Uint16(b[0:]), hostOrder.Uint16(b[2:])
}

func (l *connlabelInfo) marshal(b []byte) {
	hostOrder.PutUint16(b[0:], l.bit)
	hostOrder.PutUint16(b[2:], l.options)
}

func init() {
	Register(&Extension{
		Name: "connlabel", Revision: 0, Size: 4,
		Options: []Option{
			{Name: "label", ID: connlabelOptLabel, Type: TypeString, Min: 1, Flags: Mandatory | Invert},
			{Name: "set", ID: connlabelOptSet},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var l connlabelInfo
			l.unmarshal(info)
			if c.Option.ID == connlabelOptSet {
				l.options |= connlabelSet
			} else {
				arg := c.Arg()
				bit := -1
				if v, n, _ := strtoul(arg, 0); n > 0 && n == len(arg) {
					bit = int(int32(uint32(v)))
				}
				if bit < 0 {
					m, err := loadConnlabels().usable()
					if err != nil {
						return err
					}
					if b, ok := m.byName[arg]; ok {
						bit = b
					}
				}
				if bit < 0 {
					return badSpec(arg, "label '%s' not found or invalid value", arg)
				}
				l.bit = uint16(bit)
				if c.Invert {
					l.options |= connlabelInvert
				}
			}
			l.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var l connlabelInfo
			l.unmarshal(info)
			if l.options&connlabelInvert != 0 {
				w.WriteString(" !")
			}
			name, ok := loadConnlabels().name(l.bit)
			if !ok {
				name = utoa(l.bit)
			}
			w.WriteString(" --label \"" + name + "\"")
			if l.options&connlabelSet != 0 {
				w.WriteString(" --set")
			}
		},
		Print: func(info []byte, w *Writer) {
			var l connlabelInfo
			l.unmarshal(info)
			w.WriteString(" connlabel")
			if l.options&connlabelInvert != 0 {
				w.WriteString(" !")
			}
			if name, ok := loadConnlabels().name(l.bit); ok && !w.Numeric() {
				w.WriteString(" '" + name + "'")
			} else {
				w.WriteString(" " + utoa(l.bit))
			}
			if l.options&connlabelSet != 0 {
				w.WriteString(" set")
			}
		},
	})
}

// connlabelMap is the label map as libnetfilter_conntrack reads it:
// names by bit and bits by name; empty when the file cannot be opened
// (missing), or, with readable set, when it names no label.
type connlabelMap struct {
	readable bool
	byBit    []string
	byName   map[string]int
}

var (
	connlabelsOnce sync.Once
	connlabels     connlabelMap
)

// loadConnlabels reads the label map once per process, as iptables does
// once per run.
func loadConnlabels() *connlabelMap {
	connlabelsOnce.Do(func() {
		b, err := sysfile.ReadFile(connlabelConf)
		if err != nil {
			// iptables warns ("cannot open ...") and prints numbers.
			return
		}
		connlabels = parseConnlabels(string(b))
		connlabels.readable = true
	})
	return &connlabels
}

// usable is the map for a name look-up: a file that names no label is
// iptables' resource problem (exit status 4).
func (m *connlabelMap) usable() (*connlabelMap, error) {
	if m.readable && len(m.byName) == 0 {
		return nil, &Error{msg: "iptables v1.8.9 (nf_tables): cannot parse " + connlabelConf + ": no labels found", exitStatus: exitResourceProblem}
	}
	return m, nil
}

// name is the label of bit, when the map names it.
func (m *connlabelMap) name(bit uint16) (string, bool) {
	if int(bit) < len(m.byBit) && m.byBit[bit] != "" {
		return m.byBit[bit], true
	}
	return "", false
}

// parseConnlabels reads connlabel.conf as nfct_labelmap_new does: per
// line (not starting with '#') a bit number in C notation below 1024,
// then the name, trimmed of blanks, of letters, digits, spaces and '-'
// only; the first line for a bit and for a name wins.
func parseConnlabels(text string) connlabelMap {
	const maxBits = 1024
	m := connlabelMap{byName: map[string]int{}}
	var seen [maxBits]bool
	for _, line := range strings.SplitAfter(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		v, n, erange := strtoul(line, 0)
		if n == 0 || erange || v >= maxBits || seen[v] {
			continue
		}
		name := strings.TrimLeft(line[n:], " \f\r\t\v")
		if i := strings.IndexByte(name, '\n'); i >= 0 {
			name = name[:i]
		}
		name = strings.TrimRight(name, " \f\r\t\v")
		if name == "" || !connlabelSane(name) {
			continue
		}
		if _, dup := m.byName[name]; dup {
			continue
		}
		m.byName[name] = int(v)
		seen[v] = true
		for len(m.byBit) <= int(v) {
			m.byBit = append(m.byBit, "")
		}
		m.byBit[v] = name
	}
	return m
}

// connlabelSane: libnetfilter_conntrack takes only names of ASCII
// letters, digits, spaces and '-'.
func connlabelSane(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ' || c == '-') {
			return false
		}
	}
	return true
}
