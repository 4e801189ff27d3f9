package expr

import "fmt"

// NFTA_LOG_* attribute types.
const (
	logGroup      = 1
	logPrefix     = 2
	logSnaplen    = 3
	logQthreshold = 4
	logLevel      = 5
	logFlags      = 6
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
