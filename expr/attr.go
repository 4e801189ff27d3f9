package expr

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// attrs is one level of netlink attributes keyed by type. As in libnftnl's
// parsers, a type that occurs more than once keeps its last value.
type attrs map[uint16][]byte

// parseAttrs splits b into its attributes; a malformed tail is ignored, so
// printing is best effort on bad input.
func parseAttrs(b []byte) attrs {
	a := attrs{}
	d := nlattr.NewDecoder(b)
	for d.Next() {
		a[d.Type()] = d.Bytes()
	}
	return a
}

func (a attrs) has(t uint16) bool {
	_, ok := a[t]
	return ok
}

// uint reads attribute t as a big-endian integer of at most n bytes; a
// missing attribute reads as 0.
func (a attrs) uint(t uint16, n int) uint64 {
	b := a[t]
	if len(b) > n {
		b = b[:n]
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func (a attrs) u8(t uint16) uint8   { return uint8(a.uint(t, 1)) }
func (a attrs) u16(t uint16) uint16 { return uint16(a.uint(t, 2)) }
func (a attrs) u32(t uint16) uint32 { return uint32(a.uint(t, 4)) }
func (a attrs) u64(t uint16) uint64 { return a.uint(t, 8) }

// str reads attribute t as a NUL-terminated string. A missing attribute
// reads as "(null)", which is what glibc's printf shows for the NULL pointer
// libnftnl would pass in that case.
func (a attrs) str(t uint16) string {
	b, ok := a[t]
	if !ok {
		return "(null)"
	}
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// nested returns the attributes nested in attribute t.
func (a attrs) nested(t uint16) attrs { return parseAttrs(a[t]) }

// nullStr mirrors printf("%s", s) for an entry of a libnftnl name table,
// where a hole in the table is a NULL pointer.
func nullStr(s string) string {
	if s == "" {
		return "(null)"
	}
	return s
}

// Attribute types of struct nft_data (NFTA_DATA_*) and of the verdict
// nested in it (NFTA_VERDICT_*).
const (
	dataValue    = unix.NFTA_DATA_VALUE
	dataVerdict  = unix.NFTA_DATA_VERDICT
	verdictCode  = unix.NFTA_VERDICT_CODE
	verdictChain = unix.NFTA_VERDICT_CHAIN
)

// formatValue prints a data register value the way libnftnl does: as
// 32-bit words loaded from memory in host byte order, each "0x%08x ", the
// last word zero padded.
func formatValue(v []byte) string {
	var sb strings.Builder
	for i := 0; i < len(v); i += 4 {
		var w [4]byte
		copy(w[:], v[i:])
		fmt.Fprintf(&sb, "0x%08x ", binary.NativeEndian.Uint32(w[:]))
	}
	return sb.String()
}

// formatData prints the nft_data nested in attribute t, either a value or
// a verdict.
func formatData(a attrs, t uint16) string {
	d := a.nested(t)
	out := ""
	if v, ok := d[dataValue]; ok {
		out = formatValue(v)
	}
	if d.has(dataVerdict) {
		out = formatVerdict(d.nested(dataVerdict))
	}
	return out
}

// Verdict codes (NF_* and NFT_* from the kernel headers).
const (
	nfDrop      = 0
	nfAccept    = 1
	nfStolen    = 2
	nfQueue     = 3
	nfRepeat    = 4
	nfStop      = 5
	nftContinue = -1
	nftBreak    = -2
	nftJump     = -3
	nftGoto     = -4
	nftReturn   = -5
)

func verdictName(code int32) string {
	switch code {
	case nfAccept:
		return "accept"
	case nfDrop:
		return "drop"
	case nfStolen:
		return "stolen"
	case nfQueue:
		return "queue"
	case nfRepeat:
		return "repeat"
	case nfStop:
		return "stop"
	case nftReturn:
		return "return"
	case nftJump:
		return "jump"
	case nftGoto:
		return "goto"
	case nftContinue:
		return "continue"
	case nftBreak:
		return "break"
	}
	return "unknown"
}

// formatVerdict prints an NFTA_DATA_VERDICT payload: "accept ",
// "jump -> chain ".
func formatVerdict(v attrs) string {
	code := int32(v.u32(verdictCode))
	out := verdictName(code) + " "
	if (code == nftJump || code == nftGoto) && v.has(verdictChain) {
		out += "-> " + v.str(verdictChain) + " "
	}
	return out
}

// familyName is libnftnl's nftnl_family2str.
func familyName(f uint32) string {
	switch f {
	case 1:
		return "inet"
	case 2:
		return "ip"
	case 3:
		return "arp"
	case 5:
		return "netdev"
	case 7:
		return "bridge"
	case 10:
		return "ip6"
	}
	return "unknown"
}

// tableName looks v up in a libnftnl name table: out of range is
// "unknown", a hole is "(null)".
func tableName(tab []string, v uint64) string {
	if v >= uint64(len(tab)) {
		return "unknown"
	}
	return nullStr(tab[v])
}
