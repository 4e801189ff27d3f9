package compat

import (
	"slices"
	"strings"
)

// Helpers shared by the ma group's matches (conntrack, state, multiport,
// icmp, icmp6, addrtype, pkttype, mac, length, iprange, statistic, ttl, hl,
// tos, dscp, ecn, connmark).

// maExcl refuses option id when one of the IDs in excl was given before
// it, with xtables_options_fcheck's wording.
func maExcl(ctx *ParseContext, ext string, id int, excl uint32, names map[int]string) error {
	prev := ctx.markGiven(1 << id)
	if prev&(1<<id) != 0 && excl&(1<<id) != 0 {
		return badSpec("--"+names[id], "%s: option \"--%s\" can only be used once.", ext, names[id])
	}
	for o := 0; o < 32; o++ {
		if o != id && excl&(1<<o) != 0 && prev&(1<<o) != 0 {
			a, b := o, id
			if b < a {
				a, b = b, a
			}
			return badSpec("--"+names[id], "%s: option \"--%s\" cannot be used together with \"--%s\".", ext, names[a], names[b])
		}
	}
	return nil
}

// maParseHostMask parses XTTYPE_HOSTMASK as xtopt_parse_hostmask does:
// addr[/plen|/mask]. The address is not masked; the mask is 16 bytes of
// ones without "/", a prefix mask otherwise, and all ones again for a
// dotted mask that is not a prefix (its prefix length is -1).
func maParseHostMask(fam Family, ext, opt, s string) (addr, mask [16]byte, err error) {
	host, m, hasMask := strings.Cut(s, "/")
	a, ok := parseNumericHost(fam, host)
	if !ok {
		return addr, mask, badSpec(s, "getaddrinfo: Name or service not known")
	}
	addr = a
	if !hasMask {
		return addr, plenMask(-1), nil
	}
	plen, ok := parsePlen(fam, m)
	if !ok {
		return addr, mask, badPlen(s, ext, opt, fam)
	}
	return addr, plenMask(plen), nil
}

// maProtoName is the name xtables_parse_protocol knows without
// /etc/protocols (xtables_chain_protos), matched case-sensitively.
var maChainProtos = []struct {
	name string
	num  uint8
}{
	{"tcp", 6}, {"sctp", 132}, {"udp", 17}, {"udplite", 136}, {"icmp", 1},
	{"icmpv6", 58}, {"ipv6-icmp", 58}, {"esp", 50}, {"ah", 51},
	{"ipv6-mh", 135}, {"mh", 135}, {"all", 0},
}

// maParseProtocol parses XTTYPE_PROTOCOL as xtables_parse_protocol does.
func maParseProtocol(s string) (uint8, error) {
	if v, ok := xtParseUint(s, 0, 255); ok {
		return uint8(v), nil
	}
	for _, p := range maChainProtos {
		if p.name == s {
			return p.num, nil
		}
	}
	if n, ok := protoByName(s); ok {
		return n, nil
	}
	return 0, badSpec(s, "unknown protocol \"%s\" specified", s)
}

// maKernelProto refuses, as the kernel's xt_check_match does for matches
// bound to one protocol, a rule whose -p is not that protocol or is
// negated.
func maKernelProto(ctx *ParseContext, name string, want uint8) error {
	if ctx.Spec.Proto != want || ctx.Spec.InvProto {
		return badSpec("-m "+name, "%s match: only valid for protocol %d", name, want)
	}
	return nil
}

// maKernelHooks refuses a match in a built-in chain whose hook the kernel
// does not allow it in (user chains are checked when jumped to).
func maKernelHooks(ctx *ParseContext, name string, hooks []string) error {
	if IsBuiltinChain(ctx.Table, ctx.Chain) && !slices.Contains(hooks, ctx.Chain) {
		return badSpec("-m "+name, "%s match: used from hook %s, only valid from %s", name, ctx.Chain, strings.Join(hooks, "/"))
	}
	return nil
}

// maCasePrefix reports whether s is a (case-insensitive) prefix of name,
// as strncasecmp(s, name, strlen(s)) == 0 tests it.
func maCasePrefix(s, name string) bool {
	return len(s) <= len(name) && strings.EqualFold(s, name[:len(s)])
}
