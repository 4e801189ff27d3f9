package compat_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/xtnl/xtnl/compat"
	"github.com/xtnl/xtnl/netnstest"
)

// Switching from go-iptables: change the import from
// "github.com/coreos/go-iptables/iptables" to "github.com/xtnl/xtnl/compat"
// and keep the code. (NetNS is an addition: without it, the caller's
// namespace is used, as with go-iptables.)
func ExampleNew() {
	ns, err := netnstest.Create("")
	if err != nil {
		log.Fatal(err)
	}
	defer ns.Delete()

	ipt, err := compat.New(compat.NetNS(ns.Name))
	if err != nil {
		log.Fatal(err)
	}
	if err := ipt.NewChain("filter", "SSH"); err != nil {
		log.Fatal(err)
	}
	if err := ipt.AppendUnique("filter", "INPUT", "-p", "tcp", "--dport", "22", "-j", "SSH"); err != nil {
		log.Fatal(err)
	}
	if err := ipt.AppendUnique("filter", "INPUT", "-p", "tcp", "--dport", "22", "-j", "SSH"); err != nil {
		log.Fatal(err) // already there: nothing added
	}
	ok, err := ipt.Exists("filter", "INPUT", "-p", "tcp", "-m", "tcp", "--dport", "22", "-j", "SSH")
	if err != nil {
		log.Fatal(err)
	}
	rules, err := ipt.List("filter", "INPUT")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ok)
	fmt.Println(strings.Join(rules, "\n"))
	// Output:
	// true
	// -P INPUT ACCEPT
	// -A INPUT -p tcp -m tcp --dport 22 -j SSH
}

// Restore a saved ruleset (iptables-save format) as one atomic
// transaction: on any error nothing changes and the error names the line.
func ExampleIPTables_Restore() {
	ns, err := netnstest.Create("")
	if err != nil {
		log.Fatal(err)
	}
	defer ns.Delete()
	ipt, err := compat.New(compat.NetNS(ns.Name))
	if err != nil {
		log.Fatal(err)
	}
	saved := `*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
`
	if err := ipt.Restore(strings.NewReader(saved)); err != nil {
		log.Fatal(err)
	}
	err = ipt.Restore(strings.NewReader("*filter\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n"))
	fmt.Println(err)
	rules, _ := ipt.List("filter", "INPUT")
	fmt.Println(strings.Join(rules, "\n"))
	// Output:
	// iptables v1.8.9 (nf_tables): invalid port/service `99999' specified
	// Error occurred at line: 2
	// -P INPUT DROP
	// -A INPUT -i lo -j ACCEPT
	// -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
}
