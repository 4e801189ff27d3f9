package nft

import (
	"encoding/binary"
	"fmt"
	"net"
)

// iface_index values (ifindex_type in datatype.c): written as an
// interface's name, which nft resolves when it evaluates the rule, and
// printed as the quoted name of the interface holding the index (the
// number when none does). Names resolve in this process's network
// namespace, as nft's do in its own.

func parseIfIndex(_ *Datatype, s string) ([]byte, error) {
	ifi, err := net.InterfaceByName(s)
	if err != nil {
		return nil, fmt.Errorf("Interface does not exist")
	}
	return binary.BigEndian.AppendUint32(nil, uint32(ifi.Index)), nil
}

func formatIfIndex(_ *Datatype, b []byte, _ *PrintOptions) string {
	idx := 0
	for _, c := range b {
		idx = idx<<8 | int(c)
	}
	if ifi, err := net.InterfaceByIndex(idx); err == nil {
		return fmt.Sprintf("%q", ifi.Name)
	}
	return fmt.Sprint(idx)
}
