package compat

// Helpers shared by the ta group's targets (DNAT, SNAT, MASQUERADE,
// REDIRECT, NETMAP, TPROXY, TEE, NFQUEUE, AUDIT, CHECKSUM): port lookups
// as libxtables does them. The NAT range structures and the
// --to-destination / --to-ports syntax are in target_nat_range.go.

// taServicePort is getservbyname(name, NULL): a service of any protocol.
func taServicePort(name string) (uint16, bool) {
	for _, proto := range []string{"tcp", "udp", "sctp", "dccp"} {
		if p, ok := serviceByName(name, proto); ok {
			return p, true
		}
	}
	return 0, false
}

// taGaiPort resolves a port as libxtables' XTTYPE_PORT does, through
// getaddrinfo's service argument: glibc reads it with strtoul(s, &end, 10)
// into an int, so "65536" wraps to 0 and "-1" or trailing text fall back
// to a service name lookup.
func taGaiPort(s string) (uint16, bool) {
	if s == "" {
		return 0, false
	}
	v, n, _ := strtoul(s, 10)
	if n == len(s) {
		if num := int32(uint32(v)); num >= 0 {
			return uint16(num), true
		}
	}
	return taServicePort(s)
}
