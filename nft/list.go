package nft

import (
	"fmt"
	"strings"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// The printer: what the kernel holds, printed as `nft list` does
// (rule.c's do_list_* and netlink_delinearize.c).

type kTable struct {
	fam    xtnl.Family
	name   string
	handle uint64
	flags  uint32
	chains []*kChain
	sets   []*kSet
	objs   []*kObj // stateful objects (objects.go)
	udata  []byte  // NFTA_TABLE_USERDATA: the comment
}

type kChain struct {
	name   string
	handle uint64
	hook   *struct {
		num  uint32
		prio int32
		devs []string
	}
	policy   *uint32
	typ      string
	rules    []*kRule
	userdata []byte
}

type kRule struct {
	handle uint64
	exprs  []kExpr
	udata  []byte
}

type kExpr struct {
	name string
	a    attrMap
}

// ruleset is what one listing read.
type ruleset struct {
	tables []*kTable
}

func (rs *ruleset) table(fam xtnl.Family, name string) *kTable {
	for _, t := range rs.tables {
		if t.fam == fam && t.name == name {
			return t
		}
	}
	return nil
}

// readRuleset dumps tables, chains, sets, their elements and rules of
// family fam (FamilyUnspec: all), limited to table when not "".
func readRuleset(c *xtnl.Conn, fam xtnl.Family, table string) (*ruleset, error) {
	rs := &ruleset{}
	err := c.DumpRaw(unix.NFT_MSG_GETTABLE, fam, nil, func() { rs.tables = nil }, func(m xtnl.RawMessage) error {
		a := attrsOf(m.Attrs)
		t := &kTable{fam: m.Family, name: a.str(unix.NFTA_TABLE_NAME), handle: a.u64(nftaTableHandle), flags: a.u32(unix.NFTA_TABLE_FLAGS), udata: append([]byte(nil), a[nftaTableUserdata]...)}
		if table == "" || t.name == table {
			rs.tables = append(rs.tables, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var chainFilter []byte
	if table != "" {
		var ab attrBuf
		ab.str(unix.NFTA_CHAIN_TABLE, table)
		chainFilter = ab.b
	}
	type pending struct {
		fam   xtnl.Family
		table string
		c     *kChain
	}
	var chains []pending
	err = c.DumpRaw(unix.NFT_MSG_GETCHAIN, fam, chainFilter, func() { chains = nil }, func(m xtnl.RawMessage) error {
		a := attrsOf(m.Attrs)
		ch := &kChain{name: a.str(unix.NFTA_CHAIN_NAME), handle: a.u64(unix.NFTA_CHAIN_HANDLE), typ: a.str(unix.NFTA_CHAIN_TYPE), userdata: a[nftaChainUserdata]}
		if h, ok := a[unix.NFTA_CHAIN_HOOK]; ok {
			ha := attrsOf(h)
			ch.hook = &struct {
				num  uint32
				prio int32
				devs []string
			}{num: ha.u32(unix.NFTA_HOOK_HOOKNUM), prio: int32(ha.u32(unix.NFTA_HOOK_PRIORITY))}
			if d, ok := ha[nftaHookDevs]; ok {
				for _, x := range parseAttrs(d) {
					s := string(x.data)
					if i := strings.IndexByte(s, 0); i >= 0 {
						s = s[:i]
					}
					ch.hook.devs = append(ch.hook.devs, s)
				}
			} else if ha.has(unix.NFTA_HOOK_DEV) {
				ch.hook.devs = append(ch.hook.devs, ha.str(unix.NFTA_HOOK_DEV))
			}
		}
		if a.has(unix.NFTA_CHAIN_POLICY) {
			p := a.u32(unix.NFTA_CHAIN_POLICY)
			ch.policy = &p
		}
		chains = append(chains, pending{m.Family, a.str(unix.NFTA_CHAIN_TABLE), ch})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list chains: %w", err)
	}
	for _, p := range chains {
		if t := rs.table(p.fam, p.table); t != nil {
			t.chains = append(t.chains, p.c)
		}
	}
	if err := readSets(c, rs, fam, table); err != nil {
		return nil, err
	}
	if err := readObjs(c, rs, fam, table); err != nil {
		return nil, err
	}
	type prule struct {
		fam          xtnl.Family
		table, chain string
		r            *kRule
	}
	var rules []prule
	err = c.DumpRaw(unix.NFT_MSG_GETRULE, fam, chainFilter, func() { rules = nil }, func(m xtnl.RawMessage) error {
		a := attrsOf(m.Attrs)
		r := &kRule{handle: a.u64(unix.NFTA_RULE_HANDLE), udata: append([]byte(nil), a[unix.NFTA_RULE_USERDATA]...)}
		for _, el := range parseAttrs(a[unix.NFTA_RULE_EXPRESSIONS]) {
			ea := attrsOf(el.data)
			r.exprs = append(r.exprs, kExpr{name: ea.str(unix.NFTA_EXPR_NAME), a: attrsOf(append([]byte(nil), ea[unix.NFTA_EXPR_DATA]...))})
		}
		rules = append(rules, prule{m.Family, a.str(unix.NFTA_RULE_TABLE), a.str(unix.NFTA_RULE_CHAIN), r})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	for _, p := range rules {
		if t := rs.table(p.fam, p.table); t != nil {
			for _, ch := range t.chains {
				if ch.name == p.chain {
					ch.rules = append(ch.rules, p.r)
				}
			}
		}
	}
	return rs, nil
}

// ListTable prints one table as `nft list table FAMILY NAME` does.
func ListTable(c *xtnl.Conn, fam xtnl.Family, name string, o *PrintOptions) (_ string, err error) {
	defer guard("list", &err)
	rs, err := readRuleset(c, fam, name)
	if err != nil {
		return "", err
	}
	t := rs.table(fam, name)
	if t == nil {
		return "", fmt.Errorf("Error: No such file or directory; did you mean table ‘%s’ in family %s?", name, fam)
	}
	var b strings.Builder
	printTable(&b, t, o)
	return b.String(), nil
}

// ListRuleset prints the whole ruleset (of fam, or all when
// FamilyUnspec) as `nft list ruleset` does.
func ListRuleset(c *xtnl.Conn, fam xtnl.Family, o *PrintOptions) (_ string, err error) {
	defer guard("list", &err)
	rs, err := readRuleset(c, fam, "")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, t := range rs.tables {
		printTable(&b, t, o)
	}
	return b.String(), nil
}

var hookNames = map[uint32]string{0: "prerouting", 1: "input", 2: "forward", 3: "output", 4: "postrouting"}

func printTable(b *strings.Builder, t *kTable, o *PrintOptions) {
	fmt.Fprintf(b, "table %s %s {", t.fam, t.name)
	if o.Handles {
		fmt.Fprintf(b, " # handle %d", t.handle)
	}
	b.WriteString("\n")
	first := true
	sep := func() {
		if !first {
			b.WriteString("\n")
		}
		first = false
	}
	if t.flags&unix.NFT_TABLE_F_DORMANT != 0 {
		b.WriteString("\tflags dormant\n")
		first = false
	}
	if c := udataString(t.udata, 0); c != "" {
		fmt.Fprintf(b, "\tcomment \"%s\"\n", c)
	}
	for _, ob := range t.objs {
		sep()
		printObj(b, ob, o)
	}
	for _, s := range t.sets {
		if s.flags&setAnonymous != 0 {
			continue
		}
		sep()
		printSet(b, t, s, o, "\t")
	}
	for _, ch := range t.chains {
		sep()
		printChain(b, t, ch, o)
	}
	b.WriteString("}\n")
}

func prioText(fam xtnl.Family, hook uint32, prio int32, o *PrintOptions) string {
	if !o.Numeric && !o.numericPrio {
		// prio2str: the first standard priority within 10 names it, if
		// it is one of the family's and the hook's
		names := []string{"raw", "mangle", "dstnat", "filter", "security", "srcnat"}
		table := stdPrios
		if fam == xtnl.FamilyBridge {
			names, table = []string{"dstnat", "filter", "out", "srcnat"}, bridgePrios
		}
		for _, name := range names {
			d := prio - table[name]
			if d < -10 || d > 10 {
				continue
			}
			if !prioFitsHook(name, fam, hook) {
				break
			}
			switch {
			case d > 0:
				return fmt.Sprintf("%s + %d", name, d)
			case d < 0:
				return fmt.Sprintf("%s - %d", name, -d)
			}
			return name
		}
	}
	return fmt.Sprint(prio)
}

// prioFitsHook is std_prio_family_hook_compat: whether a standard
// priority's name applies to a family's hook.
func prioFitsHook(name string, fam xtnl.Family, hook uint32) bool {
	if fam == xtnl.FamilyBridge {
		switch name {
		case "dstnat":
			return hook == 0 // NF_BR_PRE_ROUTING
		case "filter":
			return true
		case "out":
			return hook == 3 // NF_BR_LOCAL_OUT
		}
		return hook == 4 // srcnat: NF_BR_POST_ROUTING
	}
	inet := fam == xtnl.FamilyInet || fam == xtnl.FamilyIPv4 || fam == xtnl.FamilyIPv6
	switch name {
	case "filter":
		return inet || fam == xtnl.FamilyARP || fam == xtnl.FamilyNetdev
	case "dstnat":
		return inet && hook == 0 // NF_INET_PRE_ROUTING
	case "srcnat":
		return inet && hook == 4 // NF_INET_POST_ROUTING
	}
	return inet
}

func printChain(b *strings.Builder, t *kTable, ch *kChain, o *PrintOptions) {
	fmt.Fprintf(b, "\tchain %s {", ch.name)
	if o.Handles {
		fmt.Fprintf(b, " # handle %d", ch.handle)
	}
	b.WriteString("\n")
	if c := udataString(ch.userdata, 0); c != "" {
		fmt.Fprintf(b, "\t\tcomment %q\n", c)
	}
	if ch.hook != nil {
		hook := hookNames[ch.hook.num]
		if t.fam == xtnl.FamilyARP {
			hook = map[uint32]string{0: "input", 1: "output", 2: "forward"}[ch.hook.num]
		}
		if t.fam == xtnl.FamilyNetdev || t.fam == xtnl.FamilyInet && len(ch.hook.devs) > 0 {
			hook = map[uint32]string{0: "ingress", 1: "egress"}[ch.hook.num]
		}
		if t.fam == xtnl.FamilyARP {
			hook = arpHookNames[ch.hook.num]
		}
		fmt.Fprintf(b, "\t\ttype %s hook %s", ch.typ, hook)
		if len(ch.hook.devs) == 1 {
			fmt.Fprintf(b, " device %q", ch.hook.devs[0])
		} else if len(ch.hook.devs) > 1 {
			q := make([]string, len(ch.hook.devs))
			for i, d := range ch.hook.devs {
				q[i] = fmt.Sprintf("%q", d)
			}
			fmt.Fprintf(b, " devices = { %s }", strings.Join(q, ", "))
		}
		fmt.Fprintf(b, " priority %s;", prioText(t.fam, ch.hook.num, ch.hook.prio, o))
		if ch.policy != nil {
			fmt.Fprintf(b, " policy %s;", map[uint32]string{0: "drop", 1: "accept"}[*ch.policy])
		}
		b.WriteString("\n")
	}
	for _, r := range ch.rules {
		b.WriteString("\t\t")
		b.WriteString(ruleText(t, ch, r, o))
		if o.Handles {
			fmt.Fprintf(b, " # handle %d", r.handle)
		}
		b.WriteString("\n")
	}
	b.WriteString("\t}\n")
}

// udataString finds TLV typ in nft's user data.
func udataString(u []byte, typ byte) string {
	for len(u) >= 2 {
		t, l := u[0], int(u[1])
		if 2+l > len(u) {
			return ""
		}
		if t == typ {
			v := u[2 : 2+l]
			if i := indexZero(v); i >= 0 {
				v = v[:i]
			}
			return string(v)
		}
		u = u[2+l:]
	}
	return ""
}
