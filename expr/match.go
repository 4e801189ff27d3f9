package expr

import "fmt"

// NFTA_MATCH_* and NFTA_TARGET_* attribute types (the same numbers).
const (
	xtName = 1
	xtRev  = 2
	xtInfo = 3
)

// xtExtName reads an xtables extension name as libnftnl keeps it: at most
// XT_EXTENSION_MAXNAMELEN-1 (28) bytes.
func xtExtName(a attrs) string {
	if !a.has(xtName) {
		return ""
	}
	s := a.str(xtName)
	if len(s) > 28 {
		s = s[:28]
	}
	return s
}

// formatMatch prints "name conntrack rev 3 "; the info blob is not shown.
func formatMatch(_ byte, a attrs) string {
	return fmt.Sprintf("name %s rev %d ", xtExtName(a), a.u32(xtRev))
}

// formatTarget prints "name MASQUERADE rev 0 "; the info blob is not shown.
func formatTarget(_ byte, a attrs) string {
	return fmt.Sprintf("name %s rev %d ", xtExtName(a), a.u32(xtRev))
}
