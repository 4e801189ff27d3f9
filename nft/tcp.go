package nft

// TCP's header (proto.c's proto_tcp); its flags are the tcp_flag
// bitmask type (datatype.go) that flagmatch.go compares.

var (
	protoTCP = &protoDesc{name: "tcp", base: baseTransport, number: 6, fields: []protoField{
		{"sport", dtInetService, 0, 16}, {"dport", dtInetService, 16, 16}, intField("sequence", 32, 32), intField("ackseq", 64, 32),
		intField("doff", 96, 4), intField("reserved", 100, 4), {"flags", dtTCPFlag, 104, 8}, intField("window", 112, 16),
		intField("checksum", 128, 16), intField("urgptr", 144, 16)}}
)
