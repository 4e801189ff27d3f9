package nft

// The IPsec headers, AH and ESP, and IP payload compression's (proto.c's
// proto_ah, proto_esp, proto_comp).

var (
	protoAH = &protoDesc{name: "ah", base: baseTransport, number: 51, fields: []protoField{
		{"nexthdr", dtInetProto, 0, 8}, intField("hdrlength", 8, 8), intField("reserved", 16, 16), intField("spi", 32, 32),
		intField("sequence", 64, 32)}}
	protoESP = &protoDesc{name: "esp", base: baseTransport, number: 50, fields: []protoField{
		intField("spi", 0, 32), intField("sequence", 32, 32)}}
	protoComp = &protoDesc{name: "comp", base: baseTransport, number: 108, fields: []protoField{
		{"nexthdr", dtInetProto, 0, 8}, {"flags", dtBitmask, 8, 8}, intField("cpi", 16, 16)}}
)
