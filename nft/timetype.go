package nft

import (
	"encoding/binary"
	"fmt"
)

// nft's "time" type (TYPE_TIME): a relative time in milliseconds, host
// order, 64 bits, written and printed as 1d2h3m4s5ms (ct expiration, set
// keys of type time).

const typeTime = 18

var dtRelTime = &Datatype{ID: typeTime, Name: "time", Desc: "relative time", Bits: 64, Order: orderHost, Base: dtInteger,
	parse: parseRelTime, format: formatRelTime}

// moreTypes are types known by id and name beyond datatype.go's list.
var moreTypes = []*Datatype{dtRelTime}

func parseRelTime(_ *Datatype, s string) ([]byte, error) {
	ms, ok := parseTime(s)
	if !ok {
		return nil, fmt.Errorf("Wrong time format")
	}
	return binary.BigEndian.AppendUint64(nil, ms), nil
}

func formatRelTime(_ *Datatype, b []byte, _ *PrintOptions) string {
	var ms uint64
	for _, c := range b {
		ms = ms<<8 | uint64(c)
	}
	return formatTime(ms)
}
