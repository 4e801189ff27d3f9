package nft

import (
	"bufio"
	"fmt"
	"math/big"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// The types of meta keys with a syntax of their own (meta.c, datatype.c,
// rt.c): TC classids, interface indexes, user and group ids, and the
// iproute2 tables (device groups, realms, marks) nft reads at start.

// Values of the time keys (NFT_META_TIME_*).
var (
	dtTimeDate = &Datatype{ID: typeTimeDate, Name: "time", Desc: "Relative time of packet reception", Bits: 64, Order: orderHost, Base: dtInteger}
	dtTimeDay  = &Datatype{ID: typeTimeDay, Name: "day", Desc: "Day of week of packet reception", Bits: 8, Order: orderHost, Base: dtInteger,
		Symbols: []symbol{{"Sunday", 0}, {"Monday", 1}, {"Tuesday", 2}, {"Wednesday", 3}, {"Thursday", 4}, {"Friday", 5}, {"Saturday", 6}}}
	dtTimeHour = &Datatype{ID: typeTimeHour, Name: "hour", Desc: "Hour of day of packet reception", Bits: 32, Order: orderHost, Base: dtInteger}
)

func init() {
	dtMark.parse, dtMark.format = rtTableParse("/etc/iproute2/rt_marks"), rtTableFormat("/etc/iproute2/rt_marks", "0x%08x")
	dtDevGroup.parse, dtDevGroup.format = rtTableParse("/etc/iproute2/group"), rtTableFormat("/etc/iproute2/group", "%d")
	dtRealm.parse, dtRealm.format = rtTableParse("/etc/iproute2/rt_realms"), rtTableFormat("/etc/iproute2/rt_realms", "%d")
	dtDevGroup.Desc = "devgroup name"
	dtClassID.parse, dtClassID.format = parseClassID, formatClassID
	dtIfIndex.parse, dtIfIndex.format = parseIfIndex, formatIfIndex
	dtUID.parse = parseUserID
	dtGID.parse = parseGroupID
	dtTimeDate.parse, dtTimeDate.format = parseDate, formatDate
	dtTimeDay.parse, dtTimeDay.format = parseDay, formatDay
	dtTimeHour.parse, dtTimeHour.format = parseHour, formatHour
}

// rtTable is one of iproute2's "number name" files, read once.
type rtTable struct {
	once  sync.Once
	syms  []symbol
	names map[string]uint64
}

var rtTables sync.Map // path → *rtTable

func loadRTTable(path string) *rtTable {
	v, _ := rtTables.LoadOrStore(path, &rtTable{})
	t := v.(*rtTable)
	t.once.Do(func() {
		t.names = map[string]uint64{}
		f, err := os.Open(path)
		if err != nil {
			return // nft too goes on with an empty table
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimLeft(sc.Text(), " \t")
			if line == "" || line[0] == '#' {
				continue
			}
			fs := strings.Fields(line)
			if len(fs) < 2 {
				break // nft stops at a corrupted line
			}
			v, err := strconv.ParseUint(fs[0], 0, 32)
			if err != nil {
				break
			}
			t.syms = append(t.syms, symbol{fs[1], v})
			if _, dup := t.names[fs[1]]; !dup {
				t.names[fs[1]] = v
			}
		}
	})
	return t
}

// rtTableParse resolves a name of the table, else an integer.
func rtTableParse(path string) func(dt *Datatype, s string) ([]byte, error) {
	return func(dt *Datatype, s string) ([]byte, error) {
		if v, ok := loadRTTable(path).names[s]; ok {
			return uintBytes(v, dt.bytesLen()), nil
		}
		v, ok := parseInteger(s)
		if !ok || v.BitLen() > dt.Bits {
			return nil, fmt.Errorf("Could not parse %s", dt.Desc)
		}
		return fit(v.Bytes(), dt.bytesLen()), nil
	}
}

// rtTableFormat prints the first name of a value, quoted, else the number
// in the type's base format.
func rtTableFormat(path, basefmt string) func(dt *Datatype, b []byte, o *PrintOptions) string {
	return func(dt *Datatype, b []byte, o *PrintOptions) string {
		v := new(big.Int).SetBytes(b)
		if !o.Numeric && v.IsUint64() {
			for _, sym := range loadRTTable(path).syms {
				if sym.val == v.Uint64() {
					return strconv.Quote(sym.name)
				}
			}
		}
		return fmt.Sprintf(basefmt, v)
	}
}

// TC handles: root, none, or MAJOR:MINOR in hex.
const (
	tcHandleRoot   = 0xffffffff
	tcHandleUnspec = 0
)

func parseClassID(dt *Datatype, s string) ([]byte, error) {
	var h uint64
	switch {
	case s == "root":
		h = tcHandleRoot
	case s == "none":
		h = tcHandleUnspec
	case strings.Contains(s, ":"):
		maj, min, _ := strings.Cut(s, ":")
		a, err := strconv.ParseUint(maj, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("Could not parse %s", dt.Desc)
		}
		h = a << 16
		if min != "" {
			b, err := strconv.ParseUint(min, 16, 64)
			if err != nil {
				return nil, fmt.Errorf("Could not parse %s", dt.Desc)
			}
			h |= b
		}
	default:
		v, ok := parseInteger(s)
		if !ok || v.BitLen() > 64 {
			return nil, fmt.Errorf("Could not parse %s", dt.Desc)
		}
		h = v.Uint64()
	}
	return uintBytes(h&0xffffffff, 4), nil
}

func formatClassID(_ *Datatype, b []byte, _ *PrintOptions) string {
	h := new(big.Int).SetBytes(b).Uint64()
	switch h {
	case tcHandleRoot:
		return "root"
	case tcHandleUnspec:
		return "none"
	}
	return fmt.Sprintf("%x:%x", h>>16, h&0xffff)
}

// parseIfIndex resolves an interface name in the caller's network
// namespace, as nft does, else a decimal index.
func parseIfIndex(_ *Datatype, s string) ([]byte, error) {
	if ifi, err := net.InterfaceByName(s); err == nil {
		return uintBytes(uint64(ifi.Index), 4), nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 || v > 1<<31-1 {
		return nil, fmt.Errorf("Interface does not exist")
	}
	return uintBytes(uint64(v), 4), nil
}

// formatIfIndex prints an index by its interface's name in the caller's
// network namespace, as nft does, else the number.
func formatIfIndex(_ *Datatype, b []byte, _ *PrintOptions) string {
	idx := new(big.Int).SetBytes(b).Uint64()
	if ifi, err := net.InterfaceByIndex(int(idx)); err == nil {
		return strconv.Quote(ifi.Name)
	}
	return fmt.Sprint(int32(idx))
}

// lookupIDFile finds name in /etc/passwd or /etc/group (name:x:id:...).
func lookupIDFile(path, name string) (uint64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Split(sc.Text(), ":")
		if len(fs) >= 3 && fs[0] == name {
			v, err := strconv.ParseUint(fs[2], 10, 32)
			return v, err == nil
		}
	}
	return 0, false
}

func parseUserID(_ *Datatype, s string) ([]byte, error) {
	return parseID("/etc/passwd", "User does not exist", s, 10)
}

func parseGroupID(_ *Datatype, s string) ([]byte, error) {
	return parseID("/etc/group", "Group does not exist", s, 0)
}

func parseID(path, missing, s string, base int) ([]byte, error) {
	if v, ok := lookupIDFile(path, s); ok {
		return uintBytes(v, 4), nil
	}
	v, err := strconv.ParseUint(s, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return nil, fmt.Errorf("Value too large")
		}
		return nil, fmt.Errorf("%s", missing)
	}
	if v > 0xffffffff {
		return nil, fmt.Errorf("Value too large")
	}
	return uintBytes(v, 4), nil
}
