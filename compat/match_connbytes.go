package compat

import (
	"math"
	"strconv"
)

// connbytes: -m connbytes [!] --connbytes FROM[:TO] --connbytes-dir DIR
// --connbytes-mode MODE, all three mandatory (struct xt_connbytes_info, 18
// bytes, host order): u64 from @0, u64 to @8, u8 what @16 (packets 0,
// bytes 1, avgpkt 2), u8 direction @17 (original 0, reply 1, both 2).
// Negation swaps from and to; -S prints "! FROM:TO" when from > to, and
// omits ":TO" when TO is 0 or the maximum.

var (
	connbytesModes = []string{"packets", "bytes", "avgpkt"}
	connbytesDirs  = []string{"original", "reply", "both"}
)

func init() {
	Register(&Extension{
		Name: "connbytes", Revision: 0, Size: 18,
		Options: []Option{
			{Name: "connbytes", Args: 1, Invert: true, Mandatory: true, ID: 0},
			{Name: "connbytes-dir", Args: 1, Mandatory: true, ID: 1},
			{Name: "connbytes-mode", Args: 1, Mandatory: true, ID: 2},
		},
		LegacyParse: func(info []byte, opt *Option, args []string, invert bool, _ *ParseContext) error {
			a := args[0]
			switch opt.ID {
			case 0:
				vals, err := parseMint("connbytes", "connbytes", a, math.MaxUint64, 2)
				if err != nil {
					return err
				}
				from, to := vals[0], uint64(math.MaxUint64)
				if len(vals) == 2 {
					to = vals[1]
				}
				if to < from {
					return badSpec(a, "%d should be less than %d", from, to)
				}
				if invert {
					from, to = to, from
				}
				putLe64(info[0:], from)
				putLe64(info[8:], to)
			case 1:
				for i, d := range connbytesDirs {
					if a == d {
						info[17] = byte(i)
						return nil
					}
				}
				return badSpec(a, "Unknown --connbytes-dir `%s'", a)
			case 2:
				for i, m := range connbytesModes {
					if a == m {
						info[16] = byte(i)
						return nil
					}
				}
				return badSpec(a, "Unknown --connbytes-mode `%s'", a)
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			connbytesFromTo(info, w, "--")
			w.WriteString(" --connbytes-mode " + connbytesName(connbytesModes, info[16]))
			w.WriteString(" --connbytes-dir " + connbytesName(connbytesDirs, info[17]))
		},
		Print: func(info []byte, w *Writer) {
			connbytesFromTo(info, w, "")
			w.WriteString(" connbytes mode " + connbytesName(connbytesModes, info[16]))
			w.WriteString(" connbytes direction " + connbytesName(connbytesDirs, info[17]))
		},
	})
}

func connbytesName(names []string, v byte) string {
	if int(v) < len(names) {
		return names[v]
	}
	return "unknown"
}

func connbytesFromTo(info []byte, w *Writer, pfx string) {
	from, to := le64(info[0:]), le64(info[8:])
	if from > to {
		w.WriteString(" !")
		from, to = to, from
	}
	w.WriteString(" " + pfx + "connbytes " + strconv.FormatUint(from, 10))
	if to != 0 && to < math.MaxUint64 {
		w.WriteString(":" + strconv.FormatUint(to, 10))
	}
}
