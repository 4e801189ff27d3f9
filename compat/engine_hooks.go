package compat

import (
	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/internal/enginehooks"
)

// engine holds the xtnl operations compat needs for speed that are not
// part of xtnl's public API (see internal/enginehooks).
var engine = enginehooks.Get[*xtnl.Conn, *xtnl.Tx, *xtnl.RawRule, xtnl.Family]()
