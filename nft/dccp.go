package nft

// DCCP's header (proto.c's proto_dccp): its type is a 4-bit field
// (bitfield.go prints sets of it back).

var (
	protoDCCP = &protoDesc{name: "dccp", base: baseTransport, number: 33, fields: []protoField{
		{"sport", dtInetService, 0, 16}, {"dport", dtInetService, 16, 16}, {"type", dtDCCPType, 67, 4}}}
	dtDCCPType = &Datatype{ID: 16, Name: "dccp_pkttype", Desc: "DCCP packet type", Bits: 4, Order: orderBig, Base: dtInteger,
		Symbols: []symbol{{"request", 0}, {"response", 1}, {"data", 2}, {"ack", 3}, {"dataack", 4}, {"closereq", 5},
			{"close", 6}, {"reset", 7}, {"sync", 8}, {"syncack", 9}}}
)
