package expr

import (
	"fmt"

	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// NFTA_DYNSET_* attribute types.
const (
	dynsetSetName     = unix.NFTA_DYNSET_SET_NAME
	dynsetOp          = unix.NFTA_DYNSET_OP
	dynsetSregKey     = unix.NFTA_DYNSET_SREG_KEY
	dynsetSregData    = unix.NFTA_DYNSET_SREG_DATA
	dynsetTimeout     = unix.NFTA_DYNSET_TIMEOUT
	dynsetExpr        = unix.NFTA_DYNSET_EXPR
	dynsetExpressions = 10
)

var dynsetOps = []string{"add", "update", "delete"}

// formatDynset prints "add reg_key 1 set s sreg_data 2 timeout 1000ms "
// followed by each attached expression as "expr [ counter pkts 0 bytes 0 ] ".
func formatDynset(fam byte, a attrs) string {
	out := fmt.Sprintf("%s reg_key %d set %s ",
		tableName(dynsetOps, uint64(a.u32(dynsetOp))), a.u32(dynsetSregKey), a.str(dynsetSetName))
	if a.has(dynsetSregData) {
		out += fmt.Sprintf("sreg_data %d ", a.u32(dynsetSregData))
	}
	if a.has(dynsetTimeout) {
		out += fmt.Sprintf("timeout %dms ", a.u64(dynsetTimeout))
	}
	var elems [][]byte
	if b, ok := a[dynsetExpr]; ok {
		elems = append(elems, b)
	} else if b, ok := a[dynsetExpressions]; ok {
		d := nlattr.NewDecoder(b)
		for d.Next() {
			elems = append(elems, d.Bytes())
		}
	}
	for _, el := range elems {
		name, data := splitElem(el)
		line := formatNamed(fam, name, data) // "[ name body]"
		out += "expr " + line + " "
	}
	return out
}
