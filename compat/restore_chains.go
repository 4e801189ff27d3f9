package compat

import (
	"bytes"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// existingChains returns the names of a table's chains, as a restore with
// --noflush needs them once its first attempt, which assumes them, failed
// (see restore): to flush a declared chain that exists and create one
// that does not, and to refuse a rule for, or a jump to, a chain that is
// nowhere (as iptables-nft-restore's cache does). Only the names are read
// off the dump: a kube-proxy table has 40k chains.
func existingChains(conn *xtnl.Conn, fam Family, table string) (map[string]bool, error) {
	names := map[string]bool{}
	attrs := nlattr.AppendString(nil, unix.NFTA_CHAIN_TABLE, table)
	err := conn.DumpRaw(unix.NFT_MSG_GETCHAIN, fam.xtnlFamily(), attrs, func() { clear(names) }, func(m xtnl.RawMessage) error {
		var tbl, name []byte
		a := nlattr.NewDecoder(m.Attrs)
		for a.Next() {
			switch a.Type() {
			case unix.NFTA_CHAIN_TABLE:
				tbl = bytes.TrimRight(a.Bytes(), "\x00")
			case unix.NFTA_CHAIN_NAME:
				name = bytes.TrimRight(a.Bytes(), "\x00")
			}
		}
		if err := a.Err(); err != nil {
			return err
		}
		if string(tbl) == table && name != nil {
			names[string(name)] = true
		}
		return nil
	})
	return names, err
}
