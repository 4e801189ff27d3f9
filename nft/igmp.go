package nft

// IGMP's header (proto.c's proto_igmp).

var (
	protoIGMP = &protoDesc{name: "igmp", base: baseTransport, number: 2, needs: protoIP, fields: []protoField{
		{"type", dtIGMPType, 0, 8}, intField("mrt", 8, 8), intField("checksum", 16, 16), intField("group", 32, 32)}}
	dtIGMPType = &Datatype{ID: typeIGMPType, Name: "igmp_type", Desc: "IGMP type", Bits: 8, Order: orderBig, Base: dtInteger,
		Symbols: []symbol{{"membership-query", 0x11}, {"membership-report-v1", 0x12}, {"membership-report-v2", 0x16},
			{"membership-report-v3", 0x22}, {"leave-group", 0x17}}}
)
