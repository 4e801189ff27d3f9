package nft

import (
	"math/big"
	"os/user"
	"strconv"
)

// User and group IDs print as numbers, or with -u (--guid) as the names
// the system gives them, quoted, as nft 1.0.6's uid_type_print and
// gid_type_print do (an ID without a name stays a number).

func formatUID(_ *Datatype, b []byte, o *PrintOptions) string {
	id := new(big.Int).SetBytes(b).String()
	if o != nil && o.guid {
		if u, err := user.LookupId(id); err == nil {
			return strconv.Quote(u.Username)
		}
	}
	return id
}

func formatGID(_ *Datatype, b []byte, o *PrintOptions) string {
	id := new(big.Int).SetBytes(b).String()
	if o != nil && o.guid {
		if g, err := user.LookupGroupId(id); err == nil {
			return strconv.Quote(g.Name)
		}
	}
	return id
}

func init() {
	dtUID.format = formatUID
	dtGID.format = formatGID
}
