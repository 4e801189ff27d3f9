package nft

// ICMP and ICMPv6 fields that exist only in some message types (proto.c's
// icmp_dep): nft matches the type first, and when printing splits a load
// only into the fields of the type the rule matched.

// icmpFieldType is the message type a field belongs to; echo fields
// stand for echo-request and echo-reply alike.
var icmpFieldType = map[string]uint8{
	"icmp id": 8, "icmp sequence": 8, "icmp gateway": 5, "icmp mtu": 3,
	"icmpv6 id": 128, "icmpv6 sequence": 128, "icmpv6 mtu": 2, "icmpv6 max-delay": 130, "icmpv6 parameter-problem": 4,
}

// icmpFieldFits tells whether f may be read in a rule whose ICMP type is
// known (payload_expr_expand's icmp_dep test).
func (d *delin) icmpFieldFits(desc *protoDesc, f *protoField) bool {
	t, ok := icmpFieldType[desc.name+" "+f.name]
	return !ok || d.icmpType == 0 || d.icmpType == t
}
