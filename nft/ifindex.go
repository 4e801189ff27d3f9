package nft

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
)

// Interface indexes (datatype.c's ifindex_type): written as a name, which
// resolves to the index it has now in the caller's network namespace (as
// nft's if_nametoindex does), printed as the name while it exists.

func parseIfIndex(_ *Datatype, s string) ([]byte, error) {
	ifi, err := net.InterfaceByName(s)
	if err != nil {
		return nil, fmt.Errorf("Interface does not exist")
	}
	return binary.BigEndian.AppendUint32(nil, uint32(ifi.Index)), nil
}

func formatIfIndex(_ *Datatype, b []byte, _ *PrintOptions) string {
	var v uint32
	for _, c := range b {
		v = v<<8 | uint32(c)
	}
	if ifi, err := net.InterfaceByIndex(int(v)); err == nil {
		return strconv.Quote(ifi.Name)
	}
	return strconv.FormatUint(uint64(v), 10)
}

func init() {
	dtIfIndex.parse = parseIfIndex
	dtIfIndex.format = formatIfIndex
}
