package compat

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/xtnl/xtnl/netnstest"
)

// The go-iptables scenarios, written anew against the drop-in API. Each
// operation runs through our IPTables in one namespace and, as go-iptables
// would run it, through the iptables-nft binary in another; what the two
// namespaces hold is compared with iptables-nft itself.

type pair struct {
	t    *testing.T
	ipt  *IPTables
	ours *netnstest.NS
	ref  *netnstest.NS
	cmd  string
}

func newPair(t *testing.T, proto Protocol) *pair {
	t.Helper()
	needTools(t)
	ours, ref := netnstest.New(t), netnstest.New(t)
	ipt, err := New(IPFamily(proto), NetNS(ours.Name), Timeout(5))
	if err != nil {
		t.Fatal(err)
	}
	cmd := "iptables-nft"
	if proto == ProtocolIPv6 {
		cmd = "ip6tables-nft"
	}
	return &pair{t: t, ipt: ipt, ours: ours, ref: ref, cmd: cmd}
}

// do runs our operation and the iptables command line for it; both must
// succeed or both fail.
func (p *pair) do(what string, ours error, args ...string) {
	p.t.Helper()
	_, refErr := p.ref.Run(p.cmd, args...)
	if (ours == nil) != (refErr == nil) {
		p.t.Fatalf("%s: xtnl error %v, iptables-nft error %v", what, ours, refErr)
	}
}

// same checks both namespaces hold the same tables, as iptables-nft shows
// them.
func (p *pair) same(tables ...string) {
	p.t.Helper()
	for _, table := range tables {
		a := p.ours.MustRun(p.t, p.cmd, "-t", table, "-v", "-S")
		b := p.ref.MustRun(p.t, p.cmd, "-t", table, "-v", "-S")
		if a != b {
			p.t.Fatalf("table %s differs:\nxtnl:\n%s\niptables-nft:\n%s", table, a, b)
		}
	}
}

func addrs(proto Protocol) (a, s []string) {
	if proto == ProtocolIPv6 {
		return []string{"2001:db8::1/128", "2001:db8::2/128", "2001:db8::3/128", "2001:db8::4/128"},
			[]string{"2001:db8:a::/48", "2001:db8:b::/48", "2001:db8:c::/48", "2001:db8:d::/48"}
	}
	return []string{"203.0.113.1/32", "203.0.113.2/32", "203.0.113.3/32", "203.0.113.4/32"},
		[]string{"192.0.2.0/24", "198.51.100.0/24", "198.51.101.0/24", "198.51.102.0/24"}
}

func TestGoIptablesRules(t *testing.T) {
	for _, proto := range []Protocol{ProtocolIPv4, ProtocolIPv6} {
		t.Run(fmt.Sprint(proto), func(t *testing.T) {
			p := newPair(t, proto)
			ipt := p.ipt
			a, s := addrs(proto)
			const chain = "TESTCHAIN"
			p.do("ClearChain missing", ipt.ClearChain("filter", chain), "-N", chain)
			p.do("Append", ipt.Append("filter", chain, "-s", s[0], "-d", a[0], "-j", "ACCEPT"), "-A", chain, "-s", s[0], "-d", a[0], "-j", "ACCEPT")
			// AppendUnique of a rule that is there: no change.
			p.do("AppendUnique", ipt.AppendUnique("filter", chain, "-s", s[0], "-d", a[0], "-j", "ACCEPT"), "-S", chain)
			p.do("Append", ipt.Append("filter", chain, "-s", s[1], "-d", a[0], "-j", "ACCEPT"), "-A", chain, "-s", s[1], "-d", a[0], "-j", "ACCEPT")
			p.do("Insert", ipt.Insert("filter", chain, 2, "-s", s[1], "-d", a[1], "-j", "ACCEPT"), "-I", chain, "2", "-s", s[1], "-d", a[1], "-j", "ACCEPT")
			p.do("InsertUnique", ipt.InsertUnique("filter", chain, 2, "-s", s[1], "-d", a[1], "-j", "ACCEPT"), "-S", chain)
			p.do("Insert", ipt.Insert("filter", chain, 1, "-s", s[0], "-d", a[1], "-j", "ACCEPT"), "-I", chain, "1", "-s", s[0], "-d", a[1], "-j", "ACCEPT")
			p.do("Delete", ipt.Delete("filter", chain, "-s", s[0], "-d", a[1], "-j", "ACCEPT"), "-D", chain, "-s", s[0], "-d", a[1], "-j", "ACCEPT")
			p.do("Insert", ipt.Insert("filter", chain, 1, "-s", s[0], "-d", a[1], "-j", "ACCEPT"), "-I", chain, "1", "-s", s[0], "-d", a[1], "-j", "ACCEPT")
			p.do("Replace", ipt.Replace("filter", chain, 1, "-s", s[1], "-d", a[1], "-j", "ACCEPT"), "-R", chain, "1", "-s", s[1], "-d", a[1], "-j", "ACCEPT")
			p.do("Delete", ipt.Delete("filter", chain, "-s", s[1], "-d", a[1], "-j", "ACCEPT"), "-D", chain, "-s", s[1], "-d", a[1], "-j", "ACCEPT")
			p.do("Append", ipt.Append("filter", chain, "-s", a[0], "-d", s[1], "-j", "ACCEPT"), "-A", chain, "-s", a[0], "-d", s[1], "-j", "ACCEPT")
			rules, err := ipt.List("filter", chain)
			if err != nil {
				t.Fatal(err)
			}
			n := len(rules)
			p.do("Append", ipt.Append("filter", chain, "-s", a[2], "-d", s[2], "-j", "ACCEPT"), "-A", chain, "-s", a[2], "-d", s[2], "-j", "ACCEPT")
			p.do("Append", ipt.Append("filter", chain, "-s", a[3], "-d", s[3], "-j", "ACCEPT"), "-A", chain, "-s", a[3], "-d", s[3], "-j", "ACCEPT")
			p.do("DeleteById", ipt.DeleteById("filter", chain, n), "-D", chain, fmt.Sprint(n))
			p.same("filter")

			// List and ListWithCounters are iptables -S and -v -S.
			rules, err = ipt.List("filter", chain)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Split(strings.TrimSpace(p.ref.MustRun(t, p.cmd, "-S", chain)), "\n"); !reflect.DeepEqual(rules, want) {
				t.Fatalf("List:\n got %q\nwant %q", rules, want)
			}
			expected := []string{
				"-N " + chain,
				"-A " + chain + " -s " + s[0] + " -d " + a[0] + " -j ACCEPT",
				"-A " + chain + " -s " + s[1] + " -d " + a[1] + " -j ACCEPT",
				"-A " + chain + " -s " + s[1] + " -d " + a[0] + " -j ACCEPT",
				"-A " + chain + " -s " + a[0] + " -d " + s[1] + " -j ACCEPT",
				"-A " + chain + " -s " + a[3] + " -d " + s[3] + " -j ACCEPT",
			}
			if !reflect.DeepEqual(rules, expected) {
				t.Fatalf("List (go-iptables expectation):\n got %q\nwant %q", rules, expected)
			}
			withCnt, err := ipt.ListWithCounters("filter", chain)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Split(strings.TrimSpace(p.ref.MustRun(t, p.cmd, "-v", "-S", chain)), "\n"); !reflect.DeepEqual(withCnt, want) {
				t.Fatalf("ListWithCounters:\n got %q\nwant %q", withCnt, want)
			}
			line, err := ipt.ListById("filter", chain, 2)
			if err != nil || line != strings.TrimSpace(p.ref.MustRun(t, p.cmd, "-S", chain, "2")) {
				t.Fatalf("ListById: %q %v", line, err)
			}

			// Stats are -L -n -v -x's fields, addresses with their prefix.
			stats, err := ipt.Stats("filter", chain)
			if err != nil {
				t.Fatal(err)
			}
			want := refStats(t, p, chain)
			if !reflect.DeepEqual(stats, want) {
				t.Fatalf("Stats:\n got %q\nwant %q", stats, want)
			}
			structured, err := ipt.StructuredStats("filter", chain)
			if err != nil || len(structured) != 5 || structured[0].Source.String() != s[0] || structured[0].Target != "ACCEPT" {
				t.Fatalf("StructuredStats: %+v %v", structured, err)
			}

			// Exists compares by meaning.
			ok, err := ipt.Exists("filter", chain, "-s", s[0], "-d", a[0], "-j", "ACCEPT")
			if !ok || err != nil {
				t.Fatalf("Exists: %v %v", ok, err)
			}
			ok, err = ipt.Exists("filter", chain, "-s", s[3], "-d", a[0], "-j", "ACCEPT")
			if ok || err != nil {
				t.Fatalf("Exists of a missing rule: %v %v", ok, err)
			}
			p.do("DeleteIfExists missing", ipt.DeleteIfExists("filter", chain, "-s", s[3], "-j", "ACCEPT"), "-S", chain)

			// Errors: not-exist for a missing rule and chain, exit statuses.
			err = ipt.Delete("filter", chain, "-s", s[3], "-j", "DROP")
			var e *Error
			if !errors.As(err, &e) || !e.IsNotExist() || e.ExitStatus() != 1 {
				t.Fatalf("Delete of a missing rule: %#v", err)
			}
			err = ipt.Delete("filter", "NOSUCHCHAIN", "-j", "DROP")
			if !errors.As(err, &e) || !e.IsNotExist() || e.ExitStatus() != 1 {
				t.Fatalf("Delete in a missing chain: %#v", err)
			}
			err = ipt.Append("filter", chain, "--bogus")
			if !errors.As(err, &e) || e.IsNotExist() || e.ExitStatus() != 2 {
				t.Fatalf("bad rulespec: %#v", err)
			}
			err = ipt.DeleteChain("filter", chain)
			if !errors.As(err, &e) || e.IsNotExist() {
				t.Fatalf("DeleteChain of a non-empty chain: %#v", err)
			}
			p.same("filter")
			p.do("ClearAndDeleteChain", ipt.ClearAndDeleteChain("filter", chain), "-F", chain)
			p.ref.MustRun(t, p.cmd, "-X", chain)
			if err := ipt.ClearAndDeleteChain("filter", chain); err != nil {
				t.Fatalf("ClearAndDeleteChain of a missing chain: %v", err)
			}
			p.same("filter")
		})
	}
}

// refStats parses iptables-nft -L -n -v -x output as go-iptables does.
func refStats(t *testing.T, p *pair, chain string) [][]string {
	out := p.ref.MustRun(t, p.cmd, "-L", chain, "-n", "-v", "-x")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")[2:]
	rows := [][]string{}
	for _, l := range lines {
		f := strings.Fields(l)
		for _, i := range []int{7, 8} {
			if !strings.Contains(f[i], "/") {
				if strings.Contains(f[i], ":") {
					f[i] += "/128"
				} else {
					f[i] += "/32"
				}
			}
		}
		rows = append(rows, append(f[:9:9], strings.Join(f[9:], " ")))
	}
	return rows
}

func TestGoIptablesChains(t *testing.T) {
	for _, proto := range []Protocol{ProtocolIPv4, ProtocolIPv6} {
		t.Run(fmt.Sprint(proto), func(t *testing.T) {
			p := newPair(t, proto)
			ipt := p.ipt
			p.do("NewChain", ipt.NewChain("filter", "ZED"), "-N", "ZED")
			p.do("NewChain", ipt.NewChain("filter", "ABC"), "-N", "ABC")
			err := ipt.NewChain("filter", "ABC")
			var e *Error
			if !errors.As(err, &e) || e.ExitStatus() != 1 || e.IsNotExist() {
				t.Fatalf("NewChain of an existing chain: %#v", err)
			}
			chains, err := ipt.ListChains("filter")
			if err != nil || !reflect.DeepEqual(chains, []string{"INPUT", "FORWARD", "OUTPUT", "ABC", "ZED"}) {
				t.Fatalf("ListChains: %v %v", chains, err)
			}
			for name, want := range map[string]bool{"INPUT": true, "ABC": true, "NOPE": false} {
				if got, err := ipt.ChainExists("filter", name); got != want || err != nil {
					t.Fatalf("ChainExists(%s) = %v %v", name, got, err)
				}
			}
			if got, err := ipt.ChainExists("nat", "POSTROUTING"); !got || err != nil {
				t.Fatalf("ChainExists(nat POSTROUTING) = %v %v", got, err)
			}
			p.do("Append", ipt.Append("filter", "INPUT", "-j", "ABC"), "-A", "INPUT", "-j", "ABC")
			p.do("ClearChain existing", ipt.ClearChain("filter", "ABC"), "-F", "ABC")
			p.do("RenameChain", ipt.RenameChain("filter", "ZED", "YAK"), "-E", "ZED", "YAK")
			err = ipt.RenameChain("filter", "NOPE", "X")
			if !errors.As(err, &e) || !e.IsNotExist() {
				t.Fatalf("RenameChain of a missing chain: %#v", err)
			}
			p.do("ChangePolicy", ipt.ChangePolicy("filter", "FORWARD", "DROP"), "-P", "FORWARD", "DROP")
			p.do("ChangePolicy nat", ipt.ChangePolicy("nat", "OUTPUT", "ACCEPT"), "-t", "nat", "-P", "OUTPUT", "ACCEPT")
			err = ipt.ChangePolicy("filter", "ABC", "DROP")
			if !errors.As(err, &e) || e.ExitStatus() != 1 {
				t.Fatalf("ChangePolicy of a user chain: %#v", err)
			}
			p.same("filter", "nat")
			// A chain jumped to cannot be deleted: busy, not missing.
			err = ipt.DeleteChain("filter", "ABC")
			if !errors.As(err, &e) || e.IsNotExist() || e.ExitStatus() != 4 {
				t.Fatalf("DeleteChain of a referenced chain: %#v", err)
			}
			err = ipt.DeleteChain("filter", "NOPE")
			if !errors.As(err, &e) || !e.IsNotExist() {
				t.Fatalf("DeleteChain of a missing chain: %#v", err)
			}
			p.do("ClearAll", ipt.ClearAll(), "-F")
			p.do("DeleteChain", ipt.DeleteChain("filter", "YAK"), "-X", "YAK")
			p.do("DeleteAll", ipt.DeleteAll(), "-X")
			p.same("filter", "nat")
			// IsNotExist for a table iptables does not have.
			err = ipt.Append("nosuchtable", "INPUT", "-j", "ACCEPT")
			if !errors.As(err, &e) || !e.IsNotExist() {
				t.Fatalf("Append to a missing table: %#v", err)
			}
			if maj, min, pat := ipt.GetIptablesVersion(); maj != 1 || min != 8 || pat != 9 || !ipt.HasRandomFully() || ipt.Proto() != proto {
				t.Fatal("version / proto")
			}
		})
	}
}

// TestConcurrentUnique: many goroutines and IPTables values adding the
// same rules with AppendUnique end with each rule exactly once.
func TestConcurrentUnique(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ipt, err := New(NetNS(ns.Name))
			if err != nil {
				errs <- err
				return
			}
			for i := range 10 {
				if err := ipt.AppendUnique("filter", "INPUT", "-s", fmt.Sprintf("10.0.0.%d", i), "-j", "ACCEPT"); err != nil {
					errs <- fmt.Errorf("goroutine %d: %w", g, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	out := ns.MustRun(t, "iptables-nft", "-S", "INPUT")
	for i := range 10 {
		if n := strings.Count(out, fmt.Sprintf("-s 10.0.0.%d/32 ", i)); n != 1 {
			t.Fatalf("rule %d present %d times:\n%s", i, n, out)
		}
	}
}

// TestAppendAfterTableVanished: Append skips creating the table and chain
// once it knows they exist; when another tool deletes them, it notices
// and creates them again.
func TestAppendAfterTableVanished(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := ipt.Append("filter", "INPUT", "-s", fmt.Sprintf("10.0.0.%d", i), "-j", "ACCEPT"); err != nil {
			t.Fatal(err)
		}
		ns.MustRun(t, "nft", "delete", "table", "ip", "filter")
	}
	if err := ipt.Append("filter", "INPUT", "-j", "DROP"); err != nil {
		t.Fatal(err)
	}
	if got := ns.MustRun(t, "iptables-nft", "-S", "INPUT"); got != "-P INPUT ACCEPT\n-A INPUT -j DROP\n" {
		t.Fatalf("after the table vanished: %q", got)
	}
}
