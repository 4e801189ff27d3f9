package main

import (
	"fmt"
	"io"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/compat"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/netnstest"
)

// runDemo is the main job in miniature: in a throwaway network namespace,
// build a small firewall with iptables syntax, then show it as iptables -S,
// as iptables-save and as nft --debug=netlink would, all read back from the
// kernel. Needs root; touches nothing outside the namespace.
func runDemo(stdout, stderr io.Writer) int {
	ns, err := netnstest.Create("")
	if err != nil {
		fmt.Fprintf(stderr, "xtnl demo: %v (run as root)\n", err)
		return 1
	}
	defer ns.Delete()
	fmt.Fprintf(stdout, "# throwaway network namespace %s\n", ns.Name)
	ipt, err := compat.New(compat.NetNS(ns.Name))
	if err != nil {
		fmt.Fprintf(stderr, "xtnl demo: %v\n", err)
		return 1
	}
	steps := []struct {
		what string
		do   func() error
	}{
		{"-N SSH", func() error { return ipt.NewChain("filter", "SSH") }},
		{"-A INPUT -i lo -j ACCEPT", func() error { return ipt.Append("filter", "INPUT", "-i", "lo", "-j", "ACCEPT") }},
		{"-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", func() error {
			return ipt.Append("filter", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT")
		}},
		{"-A INPUT -p tcp --dport 22 -j SSH", func() error { return ipt.Append("filter", "INPUT", "-p", "tcp", "--dport", "22", "-j", "SSH") }},
		{"-A SSH -s 10.0.0.0/8 -m comment --comment \"office\" -j ACCEPT", func() error {
			return ipt.Append("filter", "SSH", "-s", "10.0.0.0/8", "-m", "comment", "--comment", "office", "-j", "ACCEPT")
		}},
		{"-A SSH -m limit --limit 3/min -j LOG --log-prefix \"ssh drop: \"", func() error {
			return ipt.Append("filter", "SSH", "-m", "limit", "--limit", "3/min", "-j", "LOG", "--log-prefix", "ssh drop: ")
		}},
		{"-A SSH -j DROP", func() error { return ipt.Append("filter", "SSH", "-j", "DROP") }},
		{"-P INPUT DROP", func() error { return ipt.ChangePolicy("filter", "INPUT", "DROP") }},
	}
	for _, s := range steps {
		fmt.Fprintf(stdout, "xtnl %s\n", s.what)
		if err := s.do(); err != nil {
			fmt.Fprintf(stderr, "xtnl demo: %s: %v\n", s.what, err)
			return 1
		}
	}
	fmt.Fprintln(stdout, "\n# xtnl -S (iptables -S)")
	lines, err := ipt.List("filter", "")
	if err != nil {
		fmt.Fprintf(stderr, "xtnl demo: %v\n", err)
		return 1
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	fmt.Fprintln(stdout, "\n# xtnl -L -n -v")
	if err := ipt.ListTable(stdout, "filter", "", compat.ListOptions{Verbose: true, Numeric: true}); err != nil {
		fmt.Fprintf(stderr, "xtnl demo: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "\n# the kernel's rules, as nft --debug=netlink prints them")
	c := ipt.Conn()
	for _, chain := range []string{"INPUT", "SSH"} {
		rules, err := c.ListRules(xtnl.FamilyIPv4, "filter", chain)
		if err != nil {
			fmt.Fprintf(stderr, "xtnl demo: %v\n", err)
			return 1
		}
		for _, r := range rules {
			fmt.Fprintf(stdout, "ip filter %s %d\n%s\n", chain, r.Handle, expr.FormatList(byte(xtnl.FamilyIPv4), r.Exprs))
		}
	}
	fmt.Fprintln(stdout, "\n# xtnl save")
	if err := ipt.Save(stdout, "filter"); err != nil {
		fmt.Fprintf(stderr, "xtnl demo: %v\n", err)
		return 1
	}
	return 0
}
