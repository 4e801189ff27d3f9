package nft

import (
	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/internal/enginehooks"
)

// engine holds the xtnl operations that are not its public API which this
// package uses for speed (making room in a transaction for a whole
// program's messages).
var engine = enginehooks.Get[*xtnl.Conn, *xtnl.Tx, *xtnl.RawRule, xtnl.Family]()

// msgHeaderLen is a message's nlmsghdr and nfgenmsg, before its
// attributes.
const msgHeaderLen = 16 + 4
