package expr

import "fmt"

// NFTA_OBJREF_* attribute types.
const (
	objrefImmType = 1
	objrefImmName = 2
	objrefSetSreg = 3
	objrefSetName = 4
)

// formatObjref prints "type 1 name c " for a named object or "sreg 1 set
// __objmap%d " for an object map.
func formatObjref(_ byte, a attrs) string {
	if a.has(objrefSetSreg) {
		return fmt.Sprintf("sreg %d set %s ", a.u32(objrefSetSreg), a.str(objrefSetName))
	}
	return fmt.Sprintf("type %d name %s ", a.u32(objrefImmType), a.str(objrefImmName))
}
