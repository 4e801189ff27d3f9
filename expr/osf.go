package expr

// NFTA_OSF_DREG, the only osf attribute libnftnl prints.
const osfDreg = 1

// formatOsf prints "dreg 1 ".
func formatOsf(_ byte, a attrs) string {
	return optReg(a, osfDreg, "dreg")
}
