package nftfake

import (
	"slices"

	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// chainTypes gives, per chain type and family, the hooks a base chain
// of that type may use (the kernel's nft_chain_type hook_mask).
var chainTypes = map[string]map[byte]uint32{
	"filter": {
		unix.NFPROTO_IPV4:   0x1f,
		unix.NFPROTO_IPV6:   0x1f,
		unix.NFPROTO_INET:   0x1f | 1<<5, // and ingress (NF_INET_INGRESS)
		unix.NFPROTO_BRIDGE: 0x1f,
		unix.NFPROTO_ARP:    1<<0 | 1<<1, // NF_ARP_IN, NF_ARP_OUT
		unix.NFPROTO_NETDEV: 1<<0 | 1<<1, // ingress, egress
	},
	"nat": {
		unix.NFPROTO_IPV4: 0x1b, // prerouting, input, output, postrouting
		unix.NFPROTO_IPV6: 0x1b,
		unix.NFPROTO_INET: 0x1b,
	},
	"route": {
		unix.NFPROTO_IPV4: 1 << 3, // output
		unix.NFPROTO_IPV6: 1 << 3,
		unix.NFPROTO_INET: 1 << 3,
	},
}

// devices are the interfaces of the fake's namespace: a fresh one has
// only loopback.
var devices = []string{"lo"}

// netdevHook reports whether a base chain on hook of family fam is bound
// to devices (nft_base_chain_netdev).
func netdevHook(fam byte, hook uint32) bool {
	return fam == unix.NFPROTO_NETDEV || (fam == unix.NFPROTO_INET && hook == 5)
}

// parseHook is nft_chain_parse_hook: NFTA_CHAIN_HOOK and NFTA_CHAIN_TYPE
// of a base chain being created or updated.
func parseHook(m *request) (*baseChain, *refusal) {
	b := &baseChain{typ: "filter", policy: 1}
	var hasNum, hasPrio bool
	a := nlattr.NewDecoder(m.attrs[unix.NFTA_CHAIN_HOOK].data)
	for a.Next() {
		switch a.Type() {
		case unix.NFTA_HOOK_HOOKNUM:
			b.hook, hasNum = a.Uint32(), true
		case unix.NFTA_HOOK_PRIORITY:
			b.prio, hasPrio = int32(a.Uint32()), true
		case unix.NFTA_HOOK_DEV:
			b.dev = a.String()
		case 4: // NFTA_HOOK_DEVS
			return nil, fail(unix.EOPNOTSUPP, unix.NFTA_CHAIN_HOOK) // device lists: not modelled
		}
	}
	if a.Err() != nil || !hasNum || !hasPrio {
		return nil, fail(unix.EINVAL, unix.NFTA_CHAIN_HOOK)
	}
	if m.has(unix.NFTA_CHAIN_TYPE) {
		b.typ = m.str(unix.NFTA_CHAIN_TYPE)
	}
	masks, ok := chainTypes[b.typ]
	mask, famOK := masks[m.fam]
	if !ok || !famOK {
		return nil, fail(unix.ENOENT, unix.NFTA_CHAIN_TYPE)
	}
	if b.hook >= 8 || mask&(1<<b.hook) == 0 {
		return nil, fail(unix.EOPNOTSUPP, 0)
	}
	if b.typ == "nat" && b.prio <= -200 { // NF_IP_PRI_CONNTRACK
		return nil, fail(unix.EOPNOTSUPP, 0)
	}
	switch {
	case netdevHook(m.fam, b.hook) && b.dev == "":
		return nil, fail(unix.EINVAL, unix.NFTA_CHAIN_HOOK)
	case netdevHook(m.fam, b.hook) && !slices.Contains(devices, b.dev):
		return nil, fail(unix.ENOENT, unix.NFTA_CHAIN_HOOK)
	case !netdevHook(m.fam, b.hook) && b.dev != "":
		return nil, fail(unix.EOPNOTSUPP, 0)
	}
	return b, nil
}

// parseCounters is nft_stats_alloc: both counts are required.
func parseCounters(m *request) (*Counters, *refusal) {
	var c Counters
	var hasP, hasB bool
	a := nlattr.NewDecoder(m.attrs[unix.NFTA_CHAIN_COUNTERS].data)
	for a.Next() {
		switch a.Type() {
		case unix.NFTA_COUNTER_PACKETS:
			c.Packets, hasP = a.Uint64(), true
		case unix.NFTA_COUNTER_BYTES:
			c.Bytes, hasB = a.Uint64(), true
		}
	}
	if a.Err() != nil || !hasP || !hasB {
		return nil, fail(unix.EINVAL, 0)
	}
	return &c, nil
}

// newChain is nf_tables_newchain: create, or update an existing chain
// (policy, counters, rename by handle).
func (tx *txn) newChain(m *request) *refusal {
	t, e := tx.table(m, unix.NFTA_CHAIN_TABLE)
	if e != nil {
		return e
	}
	var ch *chain
	attr := uint16(unix.NFTA_CHAIN_NAME)
	switch {
	case m.has(unix.NFTA_CHAIN_HANDLE):
		h, _ := m.u64(unix.NFTA_CHAIN_HANDLE)
		if ch = t.chainByHandle(h); ch == nil {
			return fail(unix.ENOENT, unix.NFTA_CHAIN_HANDLE)
		}
		attr = unix.NFTA_CHAIN_HANDLE
	case m.has(unix.NFTA_CHAIN_NAME):
		ch = t.chain(m.str(unix.NFTA_CHAIN_NAME))
	default:
		return fail(unix.EINVAL, 0) // chain ids (anonymous chains): not modelled
	}
	policy, hasPolicy := m.u32(unix.NFTA_CHAIN_POLICY)
	if m.has(unix.NFTA_CHAIN_POLICY) {
		if (ch != nil && ch.base == nil) || (ch == nil && !m.has(unix.NFTA_CHAIN_HOOK)) {
			return fail(unix.EOPNOTSUPP, unix.NFTA_CHAIN_POLICY)
		}
		if !hasPolicy || policy > 1 { // NF_DROP, NF_ACCEPT
			return fail(unix.EINVAL, 0)
		}
	}
	var flags uint32
	if f, ok := m.u32(nfnl.NFTA_CHAIN_FLAGS); ok {
		flags = f
	} else if ch != nil {
		flags = ch.flags
	}
	if flags&^nftChainFMask != 0 {
		return fail(unix.EOPNOTSUPP, 0)
	}
	if ch != nil {
		switch {
		case m.flags&unix.NLM_F_EXCL != 0:
			return fail(unix.EEXIST, attr)
		case m.flags&unix.NLM_F_REPLACE != 0:
			return fail(unix.EOPNOTSUPP, 0)
		}
		return tx.updChain(m, t, ch, flags|ch.flags&nftChainFBase, attr)
	}
	return tx.addChain(m, t, flags)
}

func (tx *txn) addChain(m *request, t *table, flags uint32) *refusal {
	var base *baseChain
	if m.has(unix.NFTA_CHAIN_HOOK) {
		if flags&nftChainFBind != 0 {
			return fail(unix.EOPNOTSUPP, 0)
		}
		b, e := parseHook(m)
		if e != nil {
			return e
		}
		if m.has(unix.NFTA_CHAIN_COUNTERS) {
			if b.counters, e = parseCounters(m); e != nil {
				return e
			}
		}
		if p, ok := m.u32(unix.NFTA_CHAIN_POLICY); ok {
			b.policy = p
		}
		base = b
		flags |= nftChainFBase
	} else {
		switch {
		case flags&nftChainFBase != 0:
			return fail(unix.EINVAL, 0)
		case flags&nftChainFHWOff != 0:
			return fail(unix.EOPNOTSUPP, 0)
		}
	}
	*t.hgen++
	handle := *t.hgen
	if !m.has(unix.NFTA_CHAIN_NAME) {
		return fail(unix.EINVAL, 0)
	}
	t.chains = append(t.chains, &chain{name: m.str(unix.NFTA_CHAIN_NAME), handle: handle, flags: flags, base: base})
	tx.changes++
	return nil
}

// updChain is nf_tables_updchain. An update is a transaction even when it
// changes nothing, as in the kernel (the generation moves).
func (tx *txn) updChain(m *request, t *table, ch *chain, flags uint32, attr uint16) *refusal {
	if ch.flags != flags {
		return fail(unix.EOPNOTSUPP, 0)
	}
	if m.has(unix.NFTA_CHAIN_HOOK) {
		if ch.base == nil {
			return fail(unix.EEXIST, attr)
		}
		b, e := parseHook(m)
		if e != nil {
			return e
		}
		if b.typ != ch.base.typ || b.hook != ch.base.hook || b.prio != ch.base.prio {
			return fail(unix.EOPNOTSUPP, 0) // as Linux 6.18 answers
		}
		if b.dev != ch.base.dev {
			return fail(unix.EOPNOTSUPP, attr) // device updates: not modelled
		}
	}
	rename := ""
	if m.has(unix.NFTA_CHAIN_HANDLE) && m.has(unix.NFTA_CHAIN_NAME) {
		rename = m.str(unix.NFTA_CHAIN_NAME)
		if t.chain(rename) != nil {
			return fail(unix.EEXIST, unix.NFTA_CHAIN_NAME)
		}
	}
	var counters *Counters
	if m.has(unix.NFTA_CHAIN_COUNTERS) {
		if ch.base == nil {
			return fail(unix.EOPNOTSUPP, 0)
		}
		var e *refusal
		if counters, e = parseCounters(m); e != nil {
			return e
		}
	}
	if rename != "" {
		// Two renames to one name in a batch: the second is refused.
		for _, c2 := range t.chains {
			if c2.rename == rename {
				return fail(unix.EEXIST, unix.NFTA_CHAIN_NAME)
			}
		}
		ch.rename = rename
	}
	if p, ok := m.u32(unix.NFTA_CHAIN_POLICY); ok {
		ch.base.policy = p
	}
	if counters != nil {
		ch.base.counters = counters
	}
	tx.changes++
	return nil
}

// delChain is nf_tables_delchain: with NLM_F_NONREC an empty,
// unreferenced chain only; without, its rules go too, but a chain still
// jumped to is never deleted.
func (tx *txn) delChain(m *request) *refusal {
	t, e := tx.table(m, unix.NFTA_CHAIN_TABLE)
	if e != nil {
		return e
	}
	var ch *chain
	attr := uint16(unix.NFTA_CHAIN_NAME)
	switch {
	case m.has(unix.NFTA_CHAIN_HANDLE):
		h, _ := m.u64(unix.NFTA_CHAIN_HANDLE)
		ch, attr = t.chainByHandle(h), unix.NFTA_CHAIN_HANDLE
	case m.has(unix.NFTA_CHAIN_NAME):
		ch = t.chain(m.str(unix.NFTA_CHAIN_NAME))
	default:
		return fail(unix.EINVAL, 0)
	}
	if ch == nil {
		return fail(unix.ENOENT, attr)
	}
	if m.flags&nfnl.NLM_F_NONREC != 0 && ch.use() > 0 {
		return fail(unix.EBUSY, 0)
	}
	// The kernel counts the references before it drops the rules: a
	// chain jumping to itself stays busy.
	refs := ch.refs
	for len(ch.rules) > 0 {
		tx.dropRule(t, ch, len(ch.rules)-1)
	}
	if refs > 0 {
		return fail(unix.EBUSY, attr)
	}
	t.chains = slices.DeleteFunc(t.chains, func(c *chain) bool { return c == ch })
	tx.changes++
	return nil
}
