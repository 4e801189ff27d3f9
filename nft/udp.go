package nft

// UDP's and UDP-Lite's headers (proto.c's proto_udp, proto_udplite).

var (
	protoUDP = &protoDesc{name: "udp", base: baseTransport, number: 17, fields: []protoField{
		{"sport", dtInetService, 0, 16}, {"dport", dtInetService, 16, 16}, intField("length", 32, 16), intField("checksum", 48, 16)}}
	protoUDPLite = &protoDesc{name: "udplite", base: baseTransport, number: 136, fields: []protoField{
		{"sport", dtInetService, 0, 16}, {"dport", dtInetService, 16, 16}, intField("csumcov", 32, 16), intField("checksum", 48, 16)}}
)
