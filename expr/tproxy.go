package expr

// NFTA_TPROXY_* attribute types.
const (
	tproxyFamily  = 1
	tproxyRegAddr = 2
	tproxyRegPort = 3
)

// formatTproxy prints "ip addr reg 1 port reg 2 " (the family only when not
// unspecified, each register only when present).
func formatTproxy(_ byte, a attrs) string {
	out := ""
	if f := a.u32(tproxyFamily); f != 0 {
		out = familyName(f) + " "
	}
	return out + optReg(a, tproxyRegAddr, "addr reg") + optReg(a, tproxyRegPort, "port reg")
}
