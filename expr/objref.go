package expr

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NFTA_OBJREF_* attribute types.
const (
	objrefImmType = unix.NFTA_OBJREF_IMM_TYPE
	objrefImmName = unix.NFTA_OBJREF_IMM_NAME
	objrefSetSreg = unix.NFTA_OBJREF_SET_SREG
	objrefSetName = unix.NFTA_OBJREF_SET_NAME
)

// formatObjref prints "type 1 name c " for a named object or "sreg 1 set
// __objmap%d " for an object map.
func formatObjref(_ byte, a attrs) string {
	if a.has(objrefSetSreg) {
		return fmt.Sprintf("sreg %d set %s ", a.u32(objrefSetSreg), a.str(objrefSetName))
	}
	return fmt.Sprintf("type %d name %s ", a.u32(objrefImmType), a.str(objrefImmName))
}
