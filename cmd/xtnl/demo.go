package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/xtnl/xtnl/netnstest"
)

// runDemo is the everyday experiment of a test that runs in throwaway
// network namespaces, with real packets: a container joined to its host
// by a veth pair; ping from the host works; `-I INPUT -s CONTAINER -j
// DROP` and ping stops while the rule's packet counter moves; `-D INPUT
// 1` and ping works again. Then a chain of its own (-N MY_WEB) jumped to
// from INPUT for TCP port 80, proven by TCP connections from the
// container. Every step prints its command, in iptables syntax, and what
// happened; the iptables commands go through this command's own
// command line (run), so they are exactly what `xtnl --netns HOST ...`
// does. Nothing is executed: namespaces, links and probes are netlink
// and sockets (netnstest).
//
// Both namespaces are throwaway ones, deleted at the end (the veth pair
// goes with them), and on SIGINT, SIGTERM, or SIGPIPE when the output is
// cut short (`xtnl demo | head`): netnstest deletes them before the
// signal ends the process. A demo killed outright (SIGKILL) leaves them
// under names ending in its PID and start time, which the next demo, or
// any netnstest user, removes (netnstest.Sweep).
//
// The exit status is 1 if any step does not do what the experiment says
// it does.
func runDemo(stdout, stderr io.Writer) int {
	return (&demo{out: stdout, errw: stderr, iptables: runIn}).main()
}

// runIn runs an iptables command line in a namespace as `xtnl --netns NS
// ...` does, and returns its exit status.
func runIn(ns string, args []string, stdout, stderr io.Writer) int {
	return run(append([]string{"xtnl", "--netns", ns}, args...), nil, stdout, stderr)
}

// main runs the demo, cleans up, and returns the exit status.
func (d *demo) main() int {
	err := d.run()
	if cerr := d.cleanUp(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(d.errw, "xtnl demo: %v\n", err)
		return 1
	}
	return 0
}

// The addresses docker gives its bridge and first container.
const (
	demoHostAddr      = "172.17.0.1"
	demoContainerAddr = "172.17.0.2"
	demoHostEnd       = "docker0"
	demoContainerEnd  = "eth0"
)

// demo is one run of the experiment: its output, and the namespaces and
// server it made.
type demo struct {
	out, errw io.Writer
	// iptables runs an iptables command line in a namespace: runIn, or
	// in the demo's test, iptables-nft.
	iptables        func(ns string, args []string, stdout, stderr io.Writer) int
	host, container *netnstest.NS
	web             *netnstest.Server
}

func (d *demo) printf(format string, args ...any) { fmt.Fprintf(d.out, format, args...) }

func (d *demo) run() error {
	if os.Geteuid() != 0 {
		return errors.New("needs root: it makes network namespaces (run it as root, or with CAP_SYS_ADMIN and CAP_NET_ADMIN)")
	}
	var err error
	if d.host, err = netnstest.Create(netnstest.OwnedName("demo-host")); err != nil {
		return err
	}
	if d.container, err = netnstest.Create(netnstest.OwnedName("demo-container")); err != nil {
		return err
	}
	if _, err := netnstest.NewVeth(
		netnstest.End{NS: d.host, Name: demoHostEnd, Addrs: []string{demoHostAddr + "/16"}},
		netnstest.End{NS: d.container, Name: demoContainerEnd, Addrs: []string{demoContainerAddr + "/16"}},
	); err != nil {
		return err
	}
	d.printf("# Two throwaway network namespaces, a host and a container:\n")
	d.printf("#   %s\n#   %s\n", d.host.Name, d.container.Name)
	d.printf("# joined by a veth pair: %s %s/16 (host) -- %s %s/16 (container).\n",
		demoHostEnd, demoHostAddr, demoContainerEnd, demoContainerAddr)
	d.printf("# xtnl takes iptables' command line; \"host# xtnl ...\" is run as\n")
	d.printf("# `xtnl --netns %s ...`. Nothing is executed: it is all netlink.\n", d.host.Name)

	d.printf("\n# 1. The host pings the container.\n")
	if err := d.ping(netnstest.Reached); err != nil {
		return err
	}
	d.printf("\n# 2. A rule drops what comes from the container: the echo replies.\n")
	if err := d.xtnl("-I", "INPUT", "-s", demoContainerAddr, "-j", "DROP"); err != nil {
		return err
	}
	for range 2 {
		if err := d.ping(netnstest.TimedOut); err != nil {
			return err
		}
		if err := d.xtnl("-L", "INPUT", "-v", "-n"); err != nil { // the counter moves
			return err
		}
	}
	d.printf("\n# 3. Without the rule, ping works again.\n")
	if err := d.xtnl("-D", "INPUT", "1"); err != nil {
		return err
	}
	if err := d.ping(netnstest.Reached); err != nil {
		return err
	}
	return d.webChain()
}

// webChain is part 4: a chain of its own for the host's web server,
// proven by TCP connections from the container.
func (d *demo) webChain() error {
	d.printf("\n# 4. A chain of its own for the host's web server (TCP port 80).\n")
	var err error
	if d.web, err = d.host.Serve("tcp", demoHostAddr+":80"); err != nil {
		return err
	}
	for _, cmd := range [][]string{
		{"-N", "MY_WEB"},
		{"-A", "INPUT", "-p", "tcp", "--dport", "80", "-j", "MY_WEB"},
		{"-A", "MY_WEB", "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"},
	} {
		if err := d.xtnl(cmd...); err != nil {
			return err
		}
	}
	if err := d.connect(netnstest.Refused); err != nil {
		return err
	}
	if err := d.xtnl("-I", "MY_WEB", "-s", demoContainerAddr, "-j", "ACCEPT"); err != nil {
		return err
	}
	if err := d.connect(netnstest.Reached); err != nil {
		return err
	}
	hits := d.web.WaitHits(1, time.Second)
	if len(hits) != 1 || hits[0].From.Addr().String() != demoContainerAddr {
		return fmt.Errorf("the web server received %v, want one connection from %s", hits, demoContainerAddr)
	}
	d.printf("  the web server accepted it from %s\n", hits[0].From.Addr())
	if err := d.xtnl("-S"); err != nil {
		return err
	}
	return d.xtnl("-L", "-v", "-n")
}

// xtnl prints an iptables command line and runs it in the host
// namespace (through the command's own run, outside tests).
func (d *demo) xtnl(args ...string) error {
	d.printf("host# xtnl %s\n", shellJoin(args))
	if status := d.iptables(d.host.Name, args, d.out, d.errw); status != 0 {
		return fmt.Errorf("xtnl %s: exit status %d", shellJoin(args), status)
	}
	return nil
}

// ping is three echo requests from the host to the container.
func (d *demo) ping(want netnstest.Outcome) error {
	p := netnstest.Ping(demoContainerAddr).Count(3).Interval(50 * time.Millisecond).Timeout(500 * time.Millisecond)
	d.printf("host# ping -c 3 -i 0.05 -W 0.5 %s\n", demoContainerAddr)
	r, err := d.host.Probe(p)
	if err != nil {
		return err
	}
	d.printf("  %d sent, %d replies: %s\n", r.Sent, r.Replies, r.Outcome)
	return expect(p, r, want)
}

// connect is a TCP connection from the container to the host's port 80.
func (d *demo) connect(want netnstest.Outcome) error {
	p := netnstest.TCP(demoHostAddr + ":80").Timeout(time.Second)
	d.printf("container# connect to %s:80 (tcp)\n", demoHostAddr)
	r, err := d.container.Probe(p)
	if err != nil {
		return err
	}
	d.printf("  %s\n", r)
	return expect(p, r, want)
}

func expect(p netnstest.Probe, r netnstest.Result, want netnstest.Outcome) error {
	if r.Outcome != want {
		return fmt.Errorf("%s: %s, want %s", p, r, want)
	}
	return nil
}

// cleanUp deletes the namespaces (the veth pair goes with them) and
// checks that nothing is left: no file under /run/netns, no mount.
func (d *demo) cleanUp() error {
	if d.web != nil {
		d.web.Close()
	}
	var names []string
	var errs []error
	for _, ns := range []*netnstest.NS{d.container, d.host} {
		if ns != nil {
			names = append(names, ns.Name)
			errs = append(errs, ns.Delete())
		}
	}
	if err := errors.Join(errs...); err != nil || len(names) == 0 {
		return err
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, err := os.Stat("/run/netns/" + n); err == nil {
			return fmt.Errorf("namespace %s still under /run/netns after its deletion", n)
		}
		if strings.Contains(string(mounts), n) {
			return fmt.Errorf("namespace %s still mounted after its deletion", n)
		}
	}
	d.printf("\n# Deleted both namespaces, and the veth pair with them (it lived only\n")
	d.printf("# there): nothing is left under /run/netns or in the mount table.\n")
	return nil
}

// shellJoin writes arguments as a shell command line would quote them.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if a == "" || strings.ContainsAny(a, " \t\"'$\\*?;&|<>()") {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}
