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
)
