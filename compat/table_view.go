package compat

import (
	"slices"
	"strconv"
	"strings"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl"
)

// tableView is one iptables table as the kernel holds it: its built-in
// chains (present or not: iptables-nft shows them either way, with policy
// ACCEPT), its user chains sorted by name, and every chain's rules.
type tableView struct {
	fam    Family
	name   string
	exists bool
	chains []*chainView
	// byName indexes chains (readTable's views): a kube-proxy table has
	// tens of thousands, looked up twice per rule.
	byName map[string]*chainView
}

type chainView struct {
	name     string
	builtin  bool
	exists   bool // in the kernel; built-ins may not be yet
	policy   string
	counters Counters
	handle   uint64
	refs     int // rules jumping to it
	rules    []*xtnl.Rule
}

func (t *tableView) chain(name string) *chainView {
	if t.byName != nil {
		return t.byName[name]
	}
	for _, c := range t.chains {
		if c.name == name {
			return c
		}
	}
	return nil
}

// readTable reads a table's chains, and with rules all its rules too (in
// one dump).
func readTable(conn *xtnl.Conn, fam Family, table string, withRules bool) (*tableView, error) {
	if !isTable(table) {
		return nil, notFound(errNoChain)
	}
	f := fam.xtnlFamily()
	t := &tableView{fam: fam, name: table}
	chains, err := conn.ListChains(f, table)
	if err != nil {
		return nil, err
	}
	byName := map[string]*xtnl.Chain{}
	for _, ch := range chains {
		byName[ch.Name] = ch
	}
	for _, b := range builtinTables[table] {
		cv := &chainView{name: b.name, builtin: true, policy: "ACCEPT"}
		if ch := byName[b.name]; ch != nil && ch.Base != nil {
			cv.exists, cv.handle = true, ch.Handle
			if ch.Base.Policy != nil && *ch.Base.Policy == xtnl.PolicyDrop {
				cv.policy = "DROP"
			}
			if ch.Counters != nil {
				cv.counters = Counters{Packets: ch.Counters.Packets, Bytes: ch.Counters.Bytes}
			}
			delete(byName, b.name)
		}
		t.chains = append(t.chains, cv)
	}
	var user []*chainView
	for _, ch := range chains {
		if _, ok := byName[ch.Name]; !ok || ch.Base != nil {
			continue
		}
		user = append(user, &chainView{name: ch.Name, exists: true, handle: ch.Handle})
	}
	slices.SortFunc(user, func(a, b *chainView) int { return strings.Compare(a.name, b.name) })
	t.chains = append(t.chains, user...)
	t.byName = make(map[string]*chainView, len(t.chains))
	for _, c := range t.chains {
		t.byName[c.name] = c
	}
	t.exists = len(chains) > 0
	if !t.exists {
		// The table may exist without chains; an empty dump tells too.
		tables, err := conn.ListTables(f)
		if err != nil {
			return nil, err
		}
		for _, tb := range tables {
			if tb.Name == table {
				t.exists = true
			}
		}
		return t, nil
	}
	if !withRules {
		return t, nil
	}
	rules, err := conn.ListRules(f, table, "")
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		if cv := t.chain(r.Chain); cv != nil {
			cv.rules = append(cv.rules, r)
		}
		// References are the rules jumping to a chain, as iptables
		// counts them (the kernel's use count counts more).
		if n := len(r.Exprs); n > 0 {
			if v, ok := r.Exprs[n-1].(*nftexpr.Verdict); ok && v.Chain != "" {
				if cv := t.chain(v.Chain); cv != nil {
					cv.refs++
				}
			}
		}
	}
	return t, nil
}

func isNotExist(err error) bool {
	oe, ok := err.(*xtnl.OpError)
	return ok && oe.Errno == 2 // ENOENT
}

// policyLine prints "-P CHAIN POLICY" (with " -c P B" when counters).
func (c *chainView) policyLine(counters bool) string {
	s := "-P " + c.name + " " + c.policy
	if counters {
		s += " -c " + strconv.FormatUint(c.counters.Packets, 10) + " " + strconv.FormatUint(c.counters.Bytes, 10)
	}
	return s
}

// headerLine is "-P ..." for a built-in chain, "-N NAME" for a user chain.
func (c *chainView) headerLine(counters bool) string {
	if c.builtin {
		return c.policyLine(counters)
	}
	return "-N " + c.name
}

// ruleLines decodes and prints a chain's rules as -S does.
func ruleLines(nsFd int, fam Family, rules []*xtnl.Rule, counters bool) ([]string, error) {
	out := make([]string, 0, len(rules))
	for _, r := range rules {
		s, err := DecodeIn(nsFd, fam, r)
		if err != nil {
			return nil, err
		}
		out = append(out, s.Format(counters))
	}
	return out, nil
}
