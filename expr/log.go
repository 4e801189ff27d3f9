package expr

import (
	"fmt"
	"slices"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// NFTA_LOG_* attribute types.
const (
	logGroup      = unix.NFTA_LOG_GROUP
	logPrefix     = unix.NFTA_LOG_PREFIX
	logSnaplen    = unix.NFTA_LOG_SNAPLEN
	logQthreshold = unix.NFTA_LOG_QTHRESHOLD
	logLevel      = unix.NFTA_LOG_LEVEL
	logFlags      = unix.NFTA_LOG_FLAGS
)

// logFlagNames are the NF_LOG_* flags in the order libnftnl prints them.
var logFlagNames = []struct {
	bit  uint32
	name string
}{
	{0x01, "tcpseq"},
	{0x02, "tcpopt"},
	{0x04, "ipopt"},
	{0x08, "uid"},
	{0x20, "macdecode"},
}

// formatLog prints "prefix x " when there is a prefix, then either "group 2
// snaplen 0 qthreshold 0 " (nflog) or "level 4 " and the flags by name
// ("tcpseq ", ...).
func formatLog(_ byte, a attrs) string {
	out := ""
	if a.has(logPrefix) {
		out += "prefix " + a.str(logPrefix) + " "
	}
	if a.has(logGroup) {
		return out + fmt.Sprintf("group %d snaplen %d qthreshold %d ",
			a.u16(logGroup), a.u32(logSnaplen), a.u16(logQthreshold))
	}
	if a.has(logLevel) {
		out += fmt.Sprintf("level %d ", a.u32(logLevel))
	}
	if a.has(logFlags) {
		flags := a.u32(logFlags)
		for _, f := range logFlagNames {
			if flags&f.bit != 0 {
				out += f.name + " "
			}
		}
	}
	return out
}

// AppendLog appends [ log ... ] with the group, prefix, snaplen and
// queue threshold its Key selects (level and flags are not written:
// appendFast leaves a Log that has them to the general path).
func AppendLog(b []byte, l *nftexpr.Log) []byte {
	b, d := beginElem(b, "log")
	if l.Key&(1<<unix.NFTA_LOG_GROUP) != 0 {
		b = nlattr.AppendUint16(b, unix.NFTA_LOG_GROUP, l.Group)
	}
	if l.Key&(1<<unix.NFTA_LOG_PREFIX) != 0 {
		var start int
		b, start = nlattr.Begin(b, unix.NFTA_LOG_PREFIX)
		b = append(b, l.Data...)
		b = append(b, 0)
		b = nlattr.End(b, start)
	}
	if l.Key&(1<<unix.NFTA_LOG_SNAPLEN) != 0 {
		b = nlattr.AppendUint32(b, unix.NFTA_LOG_SNAPLEN, l.Snaplen)
	}
	if l.Key&(1<<unix.NFTA_LOG_QTHRESHOLD) != 0 {
		b = nlattr.AppendUint16(b, unix.NFTA_LOG_QTHRESHOLD, l.QThreshold)
	}
	return endElem(b, d)
}

// logDumpOrder is the order the kernel dumps a log's attributes in
// (nft_log_dump).
var logDumpOrder = [...]uint16{unix.NFTA_LOG_PREFIX, unix.NFTA_LOG_LEVEL, unix.NFTA_LOG_FLAGS, unix.NFTA_LOG_GROUP, unix.NFTA_LOG_SNAPLEN, unix.NFTA_LOG_QTHRESHOLD}

// appendLogKey is a log's comparison key (key.go): its attributes in the
// kernel's order, then anything else as it came.
func appendLogKey(dst, b []byte) ([]byte, bool) {
	for _, want := range logDumpOrder {
		d := nlattr.NewDecoder(b)
		for d.Next() {
			if d.RawType()&^unix.NLA_F_NESTED == want {
				dst = appendKeyValue(dst, d.RawType(), d.Bytes(), nil)
			}
		}
		if d.Err() != nil {
			return dst, false
		}
	}
	d := nlattr.NewDecoder(b)
	for d.Next() {
		if !slices.Contains(logDumpOrder[:], d.RawType()&^unix.NLA_F_NESTED) {
			dst = appendKeyValue(dst, d.RawType(), d.Bytes(), nil)
		}
	}
	return dst, true
}
