package nft

// Protocol descriptions (proto.c): each header's fields, where it sits,
// and how the layer below names it, which is what dependencies match.

type protoField struct {
	name   string
	dt     *Datatype
	offset int // bits from the header's start
	bits   int
}

type protoDesc struct {
	name   string
	base   int
	fields []protoField
	// number is the protocol's value in the layer below: the ethertype
	// for network protocols, the IP protocol number for transport ones.
	number uint64
	// needs names the network protocol a transport protocol belongs to
	// (icmp needs ip), nil when any will do.
	needs *protoDesc
	// offset is added to every field's (vlan sits after the ethernet
	// header, which starts the link layer).
	offset int
}

func (d *protoDesc) field(name string) *protoField {
	for i := range d.fields {
		if d.fields[i].name == name {
			return &d.fields[i]
		}
	}
	return nil
}

func intField(name string, off, bits int) protoField {
	return protoField{name: name, dt: dtInteger, offset: off, bits: bits}
}

var (
	protoEther = &protoDesc{name: "ether", base: baseLink, fields: []protoField{
		{"daddr", dtEther, 0, 48}, {"saddr", dtEther, 48, 48}, {"type", dtEtherType, 96, 16}}}
	protoVlan = &protoDesc{name: "vlan", base: baseLink, offset: 112, number: 0x8100, fields: []protoField{
		intField("pcp", 0, 3), intField("dei", 3, 1), intField("cfi", 3, 1), intField("id", 4, 12), {"type", dtEtherType, 16, 16}}}
	protoARP = &protoDesc{name: "arp", base: baseNetwork, number: 0x0806, fields: []protoField{
		intField("htype", 0, 16), {"ptype", dtEtherType, 16, 16}, intField("hlen", 32, 8), intField("plen", 40, 8),
		{"operation", dtArpOp, 48, 16}, {"saddr ether", dtEther, 64, 48}, {"saddr ip", dtIPv4, 112, 32},
		{"daddr ether", dtEther, 144, 48}, {"daddr ip", dtIPv4, 192, 32}}}
	protoIP = &protoDesc{name: "ip", base: baseNetwork, number: 0x0800, fields: []protoField{
		intField("version", 0, 4), intField("hdrlength", 4, 4), {"dscp", dtDSCP, 8, 6}, {"ecn", dtECN, 14, 2},
		intField("length", 16, 16), intField("id", 32, 16), intField("frag-off", 48, 16), intField("ttl", 64, 8),
		{"protocol", dtInetProto, 72, 8}, intField("checksum", 80, 16), {"saddr", dtIPv4, 96, 32}, {"daddr", dtIPv4, 128, 32}}}
	protoIP6 = &protoDesc{name: "ip6", base: baseNetwork, number: 0x86dd, fields: []protoField{
		intField("version", 0, 4), {"dscp", dtDSCP, 4, 6}, {"ecn", dtECN, 10, 2}, intField("flowlabel", 12, 20),
		intField("length", 32, 16), {"nexthdr", dtInetProto, 48, 8}, intField("hoplimit", 56, 8),
		{"saddr", dtIPv6, 64, 128}, {"daddr", dtIPv6, 192, 128}}}
	protoICMP = &protoDesc{name: "icmp", base: baseTransport, number: 1, needs: protoIP, fields: []protoField{
		{"type", dtICMPType, 0, 8}, {"code", dtICMPCode, 8, 8}, intField("checksum", 16, 16), intField("id", 32, 16),
		intField("sequence", 48, 16), intField("gateway", 32, 32), intField("mtu", 48, 16)}}
	protoIGMP = &protoDesc{name: "igmp", base: baseTransport, number: 2, needs: protoIP, fields: []protoField{
		{"type", dtIGMPType, 0, 8}, intField("mrt", 8, 8), intField("checksum", 16, 16), {"group", dtIPv4, 32, 32}}}
	protoICMP6 = &protoDesc{name: "icmpv6", base: baseTransport, number: 58, needs: protoIP6, fields: []protoField{
		{"type", dtICMP6Type, 0, 8}, {"code", dtICMPv6Code, 8, 8}, intField("checksum", 16, 16),
		intField("parameter-problem", 32, 32), intField("mtu", 32, 32), intField("id", 32, 16), intField("sequence", 48, 16),
		intField("max-delay", 32, 16)}}
	protoAH = &protoDesc{name: "ah", base: baseTransport, number: 51, fields: []protoField{
		{"nexthdr", dtInetProto, 0, 8}, intField("hdrlength", 8, 8), intField("reserved", 16, 16), intField("spi", 32, 32),
		intField("sequence", 64, 32)}}
	protoESP = &protoDesc{name: "esp", base: baseTransport, number: 50, fields: []protoField{
		intField("spi", 0, 32), intField("sequence", 32, 32)}}
	protoComp = &protoDesc{name: "comp", base: baseTransport, number: 108, fields: []protoField{
		{"nexthdr", dtInetProto, 0, 8}, {"flags", dtBitmask, 8, 8}, intField("cpi", 16, 16)}}
	protoUDP = &protoDesc{name: "udp", base: baseTransport, number: 17, fields: []protoField{
		{"sport", dtInetService, 0, 16}, {"dport", dtInetService, 16, 16}, intField("length", 32, 16), intField("checksum", 48, 16)}}
	protoUDPLite = &protoDesc{name: "udplite", base: baseTransport, number: 136, fields: []protoField{
		{"sport", dtInetService, 0, 16}, {"dport", dtInetService, 16, 16}, intField("csumcov", 32, 16), intField("checksum", 48, 16)}}
	protoTCP = &protoDesc{name: "tcp", base: baseTransport, number: 6, fields: []protoField{
		{"sport", dtInetService, 0, 16}, {"dport", dtInetService, 16, 16}, intField("sequence", 32, 32), intField("ackseq", 64, 32),
		intField("doff", 96, 4), intField("reserved", 100, 4), {"flags", dtTCPFlag, 104, 8}, intField("window", 112, 16),
		intField("checksum", 128, 16), intField("urgptr", 144, 16)}}
	protoDCCP = &protoDesc{name: "dccp", base: baseTransport, number: 33, fields: []protoField{
		{"sport", dtInetService, 0, 16}, {"dport", dtInetService, 16, 16}, {"type", dtDCCPType, 67, 4}}}
	protoTH = &protoDesc{name: "th", base: baseTransport, fields: []protoField{
		{"sport", dtInetService, 0, 16}, {"dport", dtInetService, 16, 16}}}
)

var allProtos = []*protoDesc{protoEther, protoVlan, protoARP, protoIP, protoIP6, protoICMP, protoIGMP, protoICMP6,
	protoAH, protoESP, protoComp, protoUDP, protoUDPLite, protoTCP, protoDCCP, protoSCTP, protoTH}

func protoByName(name string) *protoDesc {
	for _, d := range allProtos {
		if d.name == name {
			return d
		}
	}
	return nil
}

// protoByNumber finds the protocol at base whose number is n.
func protoByNumber(base int, n uint64) *protoDesc {
	for _, d := range allProtos {
		if d.base == base && d.number == n && d != protoTH {
			return d
		}
	}
	return nil
}

var (
	dtArpOp = &Datatype{ID: typeArpOp, Name: "arp_op", Desc: "ARP operation", Bits: 16, Order: orderBig, Base: dtInteger,
		Symbols: []symbol{{"request", 1}, {"reply", 2}, {"rrequest", 3}, {"rreply", 4}, {"inrequest", 8}, {"inreply", 9}, {"nak", 10}}}
	dtICMPCode = &Datatype{ID: typeICMPCode, Name: "icmp_code", Desc: "icmp code", Bits: 8, Order: orderBig, Base: dtInteger,
		Symbols: []symbol{{"net-unreachable", 0}, {"host-unreachable", 1}, {"prot-unreachable", 2}, {"port-unreachable", 3},
			{"frag-needed", 4}, {"net-prohibited", 9}, {"host-prohibited", 10}, {"admin-prohibited", 13}}}
	dtICMPv6Code = &Datatype{ID: typeICMPv6Code, Name: "icmpv6_code", Desc: "icmpv6 code", Bits: 8, Order: orderBig, Base: dtInteger,
		Symbols: []symbol{{"no-route", 0}, {"admin-prohibited", 1}, {"addr-unreachable", 3}, {"port-unreachable", 4},
			{"policy-fail", 5}, {"reject-route", 6}}}
	dtIGMPType = &Datatype{ID: typeIGMPType, Name: "igmp_type", Desc: "IGMP type", Bits: 8, Order: orderBig, Base: dtInteger,
		Symbols: []symbol{{"membership-query", 0x11}, {"membership-report-v1", 0x12}, {"membership-report-v2", 0x16},
			{"membership-report-v3", 0x22}, {"leave-group", 0x17}}}
	dtDCCPType = &Datatype{ID: 16, Name: "dccp_pkttype", Desc: "DCCP packet type", Bits: 4, Order: orderBig, Base: dtInteger,
		Symbols: []symbol{{"request", 0}, {"response", 1}, {"data", 2}, {"ack", 3}, {"dataack", 4}, {"closereq", 5},
			{"close", 6}, {"reset", 7}, {"sync", 8}, {"syncack", 9}}}
)
