package nft

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
)

// byteOrder is how a type's values sit in a register.
type byteOrder int

const (
	orderInvalid byteOrder = iota
	orderHost              // BYTEORDER_HOST_ENDIAN
	orderBig               // BYTEORDER_BIG_ENDIAN
)

// Datatype is one of nft's data types (datatype.c): its kernel id, name,
// size, byte order, and how its values are written and printed.
type Datatype struct {
	ID    uint32
	Name  string
	Desc  string
	Bits  int // 0: variable (strings)
	Order byteOrder
	// Base is the type values are parsed and printed as when the type has
	// no way of its own (a mark is an integer).
	Base *Datatype
	// Symbols name values (inet_proto "tcp"); printed by name unless -n.
	Symbols []symbol
	// Bitmask types print as a list of names joined by '|'.
	Bitmask bool
	// parse turns a word into a value (big-endian bytes of Bits/8), for
	// types with their own syntax (addresses).
	parse func(dt *Datatype, s string) ([]byte, error)
	// format prints a value (big-endian bytes) for types with their own
	// syntax.
	format func(dt *Datatype, b []byte, o *PrintOptions) string
	// Numeric types print symbols only when asked (services, -S).
	numericByDefault bool
	// SubtypeOf lets a value of this type compare with another's (a mark is an integer).
}

type symbol struct {
	name string
	val  uint64
}

// The kernel-visible type ids (nft's enum datatypes).
const (
	typeVerdict     = 1
	typeNfproto     = 2
	typeBitmask     = 3
	typeInteger     = 4
	typeString      = 5
	typeLLAddr      = 6
	typeIPAddr      = 7
	typeIP6Addr     = 8
	typeEtherAddr   = 9
	typeEtherType   = 10
	typeArpOp       = 11
	typeInetProto   = 12
	typeInetService = 13
	typeICMPType    = 14
	typeTCPFlag     = 15
	typeMark        = 19
	typeIfIndex     = 20
	typeARPHrd      = 21
	typeRealm       = 22
	typeClassID     = 23
	typeUID         = 24
	typeGID         = 25
	typeCtState     = 26
	typeCtDir       = 27
	typeCtStatus    = 28
	typeICMP6Type   = 29
	typeCtLabel     = 30
	typePktType     = 31
	typeICMPCode    = 32
	typeICMPv6Code  = 33
	typeICMPXCode   = 34
	typeDevGroup    = 35
	typeDSCP        = 36
	typeECN         = 37
	typeFibAddr     = 38
	typeBoolean     = 39
	typeCtEventBit  = 40
	typeIfName      = 41
	typeIGMPType    = 42
	typeTimeDate    = 43
	typeTimeHour    = 44
	typeTimeDay     = 45
	typeCgroupV2    = 46

	typeBits = 6 // a concatenation's id packs its parts' ids 6 bits each
)

var (
	dtInteger = &Datatype{ID: typeInteger, Name: "integer", Desc: "integer", Order: orderHost}
	// dtBitmask is an integer printed in hex (comp flags).
	dtBitmask = &Datatype{ID: typeBitmask, Name: "bitmask", Desc: "bitmask", Order: orderHost, Base: dtInteger, format: formatHex}
	dtString  = &Datatype{ID: typeString, Name: "string", Desc: "string", Order: orderHost}
	dtVerdict = &Datatype{ID: typeVerdict, Name: "verdict", Desc: "netfilter verdict", Bits: 32}
	dtBoolean = &Datatype{ID: typeBoolean, Name: "boolean", Desc: "boolean type", Bits: 1, Order: orderHost, Base: dtInteger,
		Symbols: []symbol{{"exists", 1}, {"missing", 0}}}
	dtIPv4 = &Datatype{ID: typeIPAddr, Name: "ipv4_addr", Desc: "IPv4 address", Bits: 32, Order: orderBig, Base: dtInteger,
		parse: parseIPv4, format: formatIP}
	dtIPv6 = &Datatype{ID: typeIP6Addr, Name: "ipv6_addr", Desc: "IPv6 address", Bits: 128, Order: orderBig, Base: dtInteger,
		parse: parseIPv6, format: formatIP}
	dtEther = &Datatype{ID: typeEtherAddr, Name: "ether_addr", Desc: "Ethernet address", Bits: 48, Order: orderBig, Base: dtInteger,
		parse: parseMAC, format: formatMAC}
	dtEtherType = &Datatype{ID: typeEtherType, Name: "ether_type", Desc: "Ethernet protocol", Bits: 16, Order: orderHost, Base: dtInteger,
		Symbols: []symbol{{"ip", 0x0800}, {"arp", 0x0806}, {"ip6", 0x86dd}, {"8021q", 0x8100}, {"8021ad", 0x88a8}, {"vlan", 0x8100}}}
	dtNfproto = &Datatype{ID: typeNfproto, Name: "nf_proto", Desc: "netfilter protocol", Bits: 8, Order: orderHost, Base: dtInteger,
		Symbols: []symbol{{"ipv4", 2}, {"ipv6", 10}}}
	dtInetProto = &Datatype{ID: typeInetProto, Name: "inet_proto", Desc: "Internet protocol", Bits: 8, Order: orderBig, Base: dtInteger,
		Symbols: protoSymbols()}
	dtInetService = &Datatype{ID: typeInetService, Name: "inet_service", Desc: "internet network service", Bits: 16, Order: orderBig, Base: dtInteger,
		parse: parseService, numericByDefault: true}
	dtMark    = &Datatype{ID: typeMark, Name: "mark", Desc: "packet mark", Bits: 32, Order: orderHost, Base: dtInteger, format: formatHex32}
	dtIfIndex = &Datatype{ID: typeIfIndex, Name: "iface_index", Desc: "network interface index", Bits: 32, Order: orderHost, Base: dtInteger}
	dtIfName  = &Datatype{ID: typeIfName, Name: "ifname", Desc: "network interface name", Bits: 16 * 8, Order: orderHost, Base: dtString}
	dtUID     = &Datatype{ID: typeUID, Name: "uid", Desc: "user ID", Bits: 32, Order: orderHost, Base: dtInteger}
	dtGID     = &Datatype{ID: typeGID, Name: "gid", Desc: "group ID", Bits: 32, Order: orderHost, Base: dtInteger}
	dtRealm   = &Datatype{ID: typeRealm, Name: "realm", Desc: "routing realm", Bits: 32, Order: orderHost, Base: dtInteger}
	dtARPHrd  = &Datatype{ID: typeARPHrd, Name: "iface_type", Desc: "interface type", Bits: 16, Order: orderHost, Base: dtInteger,
		Symbols: []symbol{{"ether", 1}, {"ppp", 512}, {"ipip", 768}, {"ipip6", 769}, {"loopback", 772}, {"sit", 776}, {"ipgre", 778}}}
	dtPktType = &Datatype{ID: typePktType, Name: "pkt_type", Desc: "packet type", Bits: 8, Order: orderHost, Base: dtInteger,
		Symbols: []symbol{{"host", 0}, {"unicast", 0}, {"broadcast", 1}, {"multicast", 2}, {"other", 3}}}
	dtDevGroup = &Datatype{ID: typeDevGroup, Name: "devgroup", Desc: "device group", Bits: 32, Order: orderHost, Base: dtInteger}
	dtTCPFlag  = &Datatype{ID: typeTCPFlag, Name: "tcp_flag", Desc: "TCP flag", Bits: 8, Order: orderBig, Base: dtInteger, Bitmask: true,
		Symbols: []symbol{{"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04}, {"psh", 0x08}, {"ack", 0x10}, {"urg", 0x20}, {"ecn", 0x40}, {"cwr", 0x80}}}
	dtCtState = &Datatype{ID: typeCtState, Name: "ct_state", Desc: "conntrack state", Bits: 32, Order: orderHost, Base: dtInteger, Bitmask: true,
		Symbols: []symbol{{"invalid", 1}, {"established", 2}, {"related", 4}, {"new", 8}, {"untracked", 64}}}
	dtCtDir    = &Datatype{ID: typeCtDir, Name: "ct_dir", Desc: "conntrack direction", Bits: 8, Order: orderHost, Base: dtInteger, Symbols: []symbol{{"original", 0}, {"reply", 1}}}
	dtCtStatus = &Datatype{ID: typeCtStatus, Name: "ct_status", Desc: "conntrack status", Bits: 32, Order: orderHost, Base: dtInteger, Bitmask: true,
		Symbols: []symbol{{"expected", 1}, {"seen-reply", 2}, {"assured", 4}, {"confirmed", 8}, {"snat", 16}, {"dnat", 32}, {"dying", 512}}}
	dtICMPType = &Datatype{ID: typeICMPType, Name: "icmp_type", Desc: "ICMP type", Bits: 8, Order: orderBig, Base: dtInteger,
		Symbols: []symbol{{"echo-reply", 0}, {"destination-unreachable", 3}, {"source-quench", 4}, {"redirect", 5}, {"echo-request", 8},
			{"router-advertisement", 9}, {"router-solicitation", 10}, {"time-exceeded", 11}, {"parameter-problem", 12},
			{"timestamp-request", 13}, {"timestamp-reply", 14}, {"info-request", 15}, {"info-reply", 16},
			{"address-mask-request", 17}, {"address-mask-reply", 18}}}
	dtICMP6Type = &Datatype{ID: typeICMP6Type, Name: "icmpv6_type", Desc: "ICMPv6 type", Bits: 8, Order: orderBig, Base: dtInteger,
		Symbols: []symbol{{"destination-unreachable", 1}, {"packet-too-big", 2}, {"time-exceeded", 3}, {"parameter-problem", 4},
			{"echo-request", 128}, {"echo-reply", 129}, {"mld-listener-query", 130}, {"mld-listener-report", 131},
			{"mld-listener-done", 132}, {"mld-listener-reduction", 132}, {"nd-router-solicit", 133}, {"nd-router-advert", 134},
			{"nd-neighbor-solicit", 135}, {"nd-neighbor-advert", 136}, {"nd-redirect", 137}, {"router-renumbering", 138},
			{"ind-neighbor-solicit", 141}, {"ind-neighbor-advert", 142}, {"mld2-listener-report", 143}}}
	dtDSCP = &Datatype{ID: typeDSCP, Name: "dscp", Desc: "Differentiated Services Code Point", Bits: 6, Order: orderBig, Base: dtInteger,
		Symbols: []symbol{{"cs0", 0x00}, {"cs1", 0x08}, {"cs2", 0x10}, {"cs3", 0x18}, {"cs4", 0x20}, {"cs5", 0x28}, {"cs6", 0x30}, {"cs7", 0x38},
			{"df", 0x00}, {"be", 0x00}, {"lephb", 0x01}, {"af11", 0x0a}, {"af12", 0x0c}, {"af13", 0x0e}, {"af21", 0x12}, {"af22", 0x14}, {"af23", 0x16},
			{"af31", 0x1a}, {"af32", 0x1c}, {"af33", 0x1e}, {"af41", 0x22}, {"af42", 0x24}, {"af43", 0x26}, {"va", 0x2c}, {"ef", 0x2e}}}
	dtECN = &Datatype{ID: typeECN, Name: "ecn", Desc: "Explicit Congestion Notification", Bits: 2, Order: orderBig, Base: dtInteger,
		Symbols: []symbol{{"not-ect", 0}, {"ect1", 1}, {"ect0", 2}, {"ce", 3}}}
)

// typeByID finds the datatype of a kernel id (set key types).
func typeByID(id uint32) *Datatype {
	for _, dt := range []*Datatype{dtVerdict, dtInteger, dtString, dtIPv4, dtIPv6, dtEther, dtEtherType, dtNfproto, dtInetProto,
		dtInetService, dtMark, dtIfIndex, dtIfName, dtUID, dtGID, dtRealm, dtARPHrd, dtPktType, dtDevGroup, dtTCPFlag, dtCtState,
		dtCtDir, dtCtStatus, dtICMPType, dtICMP6Type, dtDSCP, dtECN, dtBoolean, dtBitmask} {
		if dt.ID == id {
			return dt
		}
	}
	for _, dt := range moreTypes {
		if dt.ID == id {
			return dt
		}
	}
	return nil
}

// typeByName finds a datatype by the name a set declaration uses.
func typeByName(name string) *Datatype {
	for id := uint32(1); id < 64; id++ {
		if dt := typeByID(id); dt != nil && dt.Name == name {
			return dt
		}
	}
	return nil
}

func protoSymbols() []symbol {
	return []symbol{{"ip", 0}, {"icmp", 1}, {"igmp", 2}, {"ggp", 3}, {"ipencap", 4}, {"st", 5}, {"tcp", 6}, {"egp", 8}, {"igp", 9},
		{"pup", 12}, {"udp", 17}, {"hmp", 20}, {"xns-idp", 22}, {"rdp", 27}, {"iso-tp4", 29}, {"dccp", 33}, {"xtp", 36},
		{"ddp", 37}, {"idpr-cmtp", 38}, {"ipv6", 41}, {"ipv6-route", 43}, {"ipv6-frag", 44}, {"idrp", 45}, {"rsvp", 46},
		{"gre", 47}, {"esp", 50}, {"ah", 51}, {"skip", 57}, {"ipv6-icmp", 58}, {"ipv6-nonxt", 59}, {"ipv6-opts", 60},
		{"rspf", 73}, {"vmtp", 81}, {"eigrp", 88}, {"ospf", 89}, {"ax.25", 93}, {"ipip", 94}, {"etherip", 97},
		{"encap", 98}, {"pim", 103}, {"ipcomp", 108}, {"vrrp", 112}, {"l2tp", 115}, {"isis", 124}, {"sctp", 132},
		{"fc", 133}, {"mobility-header", 135}, {"udplite", 136}, {"mpls-in-ip", 137}, {"manet", 138}, {"hip", 139},
		{"shim6", 140}, {"wesp", 141}, {"rohc", 142}, {"ethernet", 143},
		// nft's keyword for 58, read only (printing finds ipv6-icmp first)
		{"icmpv6", 58}}
}

// bytesLen is the number of bytes a value of the type takes.
func (dt *Datatype) bytesLen() int { return (dt.Bits + 7) / 8 }

// basic returns the first type of dt's chain that can parse or print by
// itself.
func (dt *Datatype) root() *Datatype {
	for dt.Base != nil {
		dt = dt.Base
	}
	return dt
}

func (dt *Datatype) lookupSymbol(s string) (uint64, bool) {
	for t := dt; t != nil; t = t.Base {
		for _, sym := range t.Symbols {
			if sym.name == s {
				return sym.val, true
			}
		}
	}
	return 0, false
}

// finalError is a type's refusal of a value that no other reading of the
// word may override (ct label 128: bit out of range; meta day 7).
type finalError interface {
	error
	final()
}

// finalParseError is a finalError with its message.
type finalParseError string

func (e finalParseError) Error() string { return string(e) }
func (finalParseError) final()          {}

// errSymbol is an unknown word where a value of a type is expected.
type errSymbol struct {
	dt *Datatype
	s  string
}

func (e *errSymbol) Error() string {
	return fmt.Sprintf("Could not parse %s", e.dt.Desc)
}

// parseValue resolves text s as a value of type dt with bits bits (the
// selector's width): big-endian bytes of (bits+7)/8.
func parseValue(dt *Datatype, s string, bits int) ([]byte, error) {
	n := (bits + 7) / 8
	for t := dt; t != nil; t = t.Base {
		if t.parse != nil {
			if b, err := t.parse(t, s); err == nil {
				return fit(b, n), nil
			} else if _, final := err.(finalError); final {
				return nil, err
			} else if t.Symbols == nil && t.Base == dtInteger {
				if _, ok := parseInteger(s); !ok {
					return nil, err
				}
			}
		}
		if v, ok := t.lookupSymbol(s); ok {
			return uintBytes(v, n), nil
		}
	}
	if dt.root() == dtString {
		if s == "" {
			return nil, fmt.Errorf("Empty string is not allowed")
		}
		b := make([]byte, n)
		if len(s) > n {
			return nil, fmt.Errorf("String exceeds maximum length of %d", n)
		}
		copy(b, s)
		return b, nil
	}
	v, ok := parseInteger(s)
	if !ok {
		return nil, &errSymbol{dt, s}
	}
	if bits < 64 && bits > 0 && v.BitLen() > bits {
		return nil, fmt.Errorf("Value %s exceeds valid range 0-%d", s, uint64(1)<<bits-1)
	}
	b := v.Bytes()
	if len(b) > n {
		return nil, fmt.Errorf("Value %s exceeds valid range", s)
	}
	return fit(b, n), nil
}

func parseInteger(s string) (*big.Int, bool) {
	v := new(big.Int)
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		// most numbers fit 64 bits, which strconv reads without
		// big.Int's reader; the rest (and signs) go to SetString
		if n, err := strconv.ParseUint(s[2:], 16, 64); err == nil {
			return v.SetUint64(n), true
		}
		_, ok := v.SetString(s[2:], 16)
		return v, ok
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return nil, false
		}
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return v.SetUint64(n), true
	}
	_, ok := v.SetString(s, 10)
	return v, ok
}

// fit left-pads (or trims the high bytes of) b to n bytes.
func fit(b []byte, n int) []byte {
	if len(b) == n {
		return b
	}
	out := make([]byte, n)
	if len(b) > n {
		copy(out, b[len(b)-n:])
	} else {
		copy(out[n-len(b):], b)
	}
	return out
}

func uintBytes(v uint64, n int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return fit(b[:], n)
}

func parseIPv4(_ *Datatype, s string) ([]byte, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return nil, fmt.Errorf("Could not resolve hostname: Name or service not known")
	}
	b := a.As4()
	return b[:], nil
}

func parseIPv6(_ *Datatype, s string) ([]byte, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return nil, fmt.Errorf("Could not resolve hostname: Name or service not known")
	}
	b := a.As16()
	return b[:], nil
}

func parseMAC(_ *Datatype, s string) ([]byte, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return nil, fmt.Errorf("Could not parse Ethernet address")
	}
	out := make([]byte, 6)
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return nil, fmt.Errorf("Could not parse Ethernet address")
		}
		out[i] = byte(v)
	}
	return out, nil
}

func formatIP(_ *Datatype, b []byte, _ *PrintOptions) string {
	a, ok := netip.AddrFromSlice(b)
	if !ok {
		return fmt.Sprintf("0x%x", b)
	}
	if a.Is6() {
		return formatIPv6(a.As16())
	}
	return a.String()
}

func formatHex(_ *Datatype, b []byte, _ *PrintOptions) string {
	return "0x" + new(big.Int).SetBytes(b).Text(16)
}

func formatMAC(_ *Datatype, b []byte, _ *PrintOptions) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(parts, ":")
}

// parseService resolves a port number or a service name from
// /etc/services, as nft does through getaddrinfo.
func parseService(_ *Datatype, s string) ([]byte, error) {
	if v, ok := parseInteger(s); ok {
		if v.BitLen() > 16 {
			return nil, fmt.Errorf("Value %s exceeds valid range 0-65535", s)
		}
		return uintBytes(v.Uint64(), 2), nil
	}
	if p, ok := lookupService(s); ok {
		return uintBytes(uint64(p), 2), nil
	}
	return nil, fmt.Errorf("Could not resolve service: Servname not supported for ai_socktype")
}

// formatValue prints a value of dt: a symbol's name when one matches (and
// the options allow), else the type's own format, else a number.
func formatValue(dt *Datatype, b []byte, o *PrintOptions) string {
	if o == nil {
		o = &PrintOptions{}
	}
	if dt.Bitmask && dt.format == nil {
		return formatBitmask(dt, b, o)
	}
	for t := dt; t != nil; t = t.Base {
		if t.format != nil {
			return t.format(t, b, o)
		}
		if t == dtInetService {
			if o.Services {
				if name, ok := serviceName(uint16(new(big.Int).SetBytes(b).Uint64())); ok {
					// nft 1.0.6 prints a service name quoted
					return `"` + name + `"`
				}
			}
			continue
		}
		if len(t.Symbols) > 0 && !o.Numeric {
			v := new(big.Int).SetBytes(b)
			if v.IsUint64() {
				for _, sym := range t.Symbols {
					if sym.val == v.Uint64() {
						return sym.name
					}
				}
			}
		}
	}
	if dt.root() == dtString {
		return quoteString(b)
	}
	return new(big.Int).SetBytes(b).String()
}

// formatHex32 prints as nft's basefmt "0x%.8Zx" does (mark_type).
func formatHex32(_ *Datatype, b []byte, _ *PrintOptions) string {
	return fmt.Sprintf("0x%08x", new(big.Int).SetBytes(b))
}

func quoteString(b []byte) string {
	if i := indexZero(b); i >= 0 {
		b = b[:i]
	}
	return strconv.Quote(string(b))
}

func indexZero(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

func formatBitmask(dt *Datatype, b []byte, o *PrintOptions) string {
	v := new(big.Int).SetBytes(b).Uint64()
	if v == 0 {
		return "0x0"
	}
	var parts []string
	rest := v
	if o.Numeric {
		// -n: each flag in the base format, hex
		for ; rest != 0; rest &= rest - 1 {
			parts = append(parts, fmt.Sprintf("0x%x", rest&-rest))
		}
		return strings.Join(parts, " | ")
	}
	for _, sym := range dt.Symbols {
		if sym.val != 0 && v&sym.val == sym.val && rest&sym.val != 0 {
			parts = append(parts, sym.name)
			rest &^= sym.val
		}
	}
	if rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", rest))
	}
	return strings.Join(parts, " | ")
}
