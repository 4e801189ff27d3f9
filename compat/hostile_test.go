package compat

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/netnstest"
)

// Hostile input: every case is run through our IPTables in one namespace
// and through iptables-nft in another. Both must take the same decision;
// a rejection must be a typed error (a *SpecError, or an *Error with exit
// status 2, as iptables exits) naming the offending token, with nothing
// written; an accepted case (a truncated comment, a name at the limit)
// must leave both namespaces holding the same rules.

type hostileCase struct {
	name  string
	fam   Family
	op    string // "A" (default): -A chain args; "N": -N chain; "native": xtnl AddChain in table t
	chain string
	args  []string
	// token is what a rejection's message must name.
	token string
	// noOracle says why iptables-nft cannot be given the input (an argv
	// string cannot hold a NUL byte); we must reject it.
	noOracle string
}

const (
	name28 = "abcdefghijklmnopqrstuvwxyz12"
	name29 = "abcdefghijklmnopqrstuvwxyz123"
)

func hostileCases() []hostileCase {
	long := func(c byte, n int) string { return strings.Repeat(string(c), n) }
	cm := func(s string) []string { return []string{"-m", "comment", "--comment", s} }
	nul := "argv cannot carry a NUL byte"
	return []hostileCase{
		// Comments.
		{name: "comment double quote", args: cm(`a"b`)},
		{name: "comment single quote", args: cm(`it's`)},
		{name: "comment backslash quote", args: cm(`a\"b\\`)},
		{name: "comment newline", args: cm("a\nb")},
		{name: "comment 255 bytes", args: cm(long('y', 255))},
		{name: "comment 256 bytes", args: cm(long('z', 256))},
		{name: "comment 300 bytes", args: cm(long('x', 300))},
		{name: "comment 300 bytes with spaces", args: cm(strings.Repeat("ab c ", 60))},
		{name: "comment empty", args: cm("")},
		{name: "comment twice", args: []string{"-m", "comment", "--comment", "a", "--comment", "b"}, token: "--comment"},
		{name: "comment missing", args: []string{"-m", "comment"}, token: "--comment"},
		{name: "comment NUL", args: cm("a\x00b"), token: "a\x00b", noOracle: nul},
		// Chain names.
		{name: "append chain 28", chain: name28, args: []string{"-j", "ACCEPT"}},
		{name: "append chain 29", chain: name29, args: []string{"-j", "ACCEPT"}, token: name29},
		{name: "new chain 28", op: "N", chain: name28},
		{name: "new chain 29", op: "N", chain: name29, token: name29},
		{name: "jump 28", args: []string{"-j", name28}},
		{name: "goto 28", args: []string{"-g", name28}},
		{name: "jump 29", args: []string{"-j", name29}, token: name29},
		{name: "chain NUL", chain: "IN\x00PUT", args: []string{"-j", "ACCEPT"}, token: "IN\x00PUT", noOracle: nul},
		{name: "new chain NUL", op: "N", chain: "a\x00b", token: "a\x00b", noOracle: nul},
		{name: "jump NUL", args: []string{"-j", "AC\x00CEPT"}, token: "AC\x00CEPT", noOracle: nul},
		{name: "native chain 255", op: "native", chain: long('c', 255)},
		{name: "native chain 256", op: "native", chain: long('d', 256), token: "chain name"},
		// Interfaces.
		{name: "iface 15", args: []string{"-i", "abcdefghijklmno"}},
		{name: "iface 16", args: []string{"-i", "abcdefghijklmnop"}, token: "abcdefghijklmnop"},
		{name: "oface 16", args: []string{"-o", "abcdefghijklmnop"}, token: "abcdefghijklmnop"},
		{name: "iface 15 plus", args: []string{"-i", "abcdefghijklmno+"}, token: "abcdefghijklmno+"},
		{name: "iface empty", args: []string{"-i", ""}, token: "-i"},
		{name: "iface NUL", args: []string{"-i", "eth\x000"}, token: "eth\x000", noOracle: nul},
		{name: "iface twice", args: []string{"-i", "eth0", "-i", "eth1"}, token: "-i"},
		// Ports.
		{name: "dport 0", args: []string{"-p", "tcp", "--dport", "0"}},
		{name: "dport 65535", args: []string{"-p", "udp", "--dport", "65535"}},
		{name: "dport 65536", args: []string{"-p", "tcp", "--dport", "65536"}, token: "65536"},
		{name: "sport 65536", args: []string{"-p", "tcp", "--sport", "65536"}, token: "65536"},
		{name: "dport range to 65536", args: []string{"-p", "tcp", "--dport", "0:65536"}, token: "65536"},
		{name: "dport -1", args: []string{"-p", "udp", "--dport", "-1"}, token: "-1"},
		{name: "dport empty", args: []string{"-p", "tcp", "--dport", ""}, token: "`'"},
		{name: "dport twice", args: []string{"-p", "tcp", "--dport", "1", "--dport", "2"}, token: "--dport"},
		{name: "dport NUL", args: []string{"-p", "tcp", "--dport", "2\x002"}, token: "2\x002", noOracle: nul},
		// Masks.
		{name: "mask /32", args: []string{"-s", "1.2.3.4/32"}},
		{name: "mask /33", args: []string{"-s", "1.2.3.4/33"}, token: "33"},
		{name: "mask /-1", args: []string{"-d", "1.2.3.4/-1"}, token: "-1"},
		{name: "mask6 /128", fam: IPv6, args: []string{"-s", "::1/128"}},
		{name: "mask6 /129", fam: IPv6, args: []string{"-s", "::1/129"}, token: "129"},
		{name: "addr empty", args: []string{"-s", ""}, token: "-s"},
		{name: "addr NUL", args: []string{"-s", "1.2.3.4\x00"}, token: "1.2.3.4\x00", noOracle: nul},
		{name: "addr twice", args: []string{"-s", "1.2.3.4", "-s", "1.2.3.5"}, token: "-s"},
		// Repeated, conflicting and empty options.
		{name: "two verdicts", args: []string{"-j", "ACCEPT", "-j", "DROP"}, token: "-j"},
		{name: "jump and goto", args: []string{"-j", "ACCEPT", "-g", name28}, token: "-g"},
		{name: "goto and jump", args: []string{"-g", name28, "-j", "ACCEPT"}, token: "-j"},
		{name: "goto twice", args: []string{"-g", name28, "-g", name28}, token: "-g"},
		{name: "proto twice", args: []string{"-p", "tcp", "-p", "udp"}, token: "-p"},
		{name: "double bang", args: []string{"!", "!", "-s", "1.2.3.4"}, token: "!"},
		{name: "empty argument", args: []string{""}, token: "`'"},
		{name: "empty proto", args: []string{"-p", ""}, token: `""`},
		{name: "empty jump", args: []string{"-j", ""}, token: "-j"},
		{name: "empty match", args: []string{"-m", ""}, token: "`'"},
		{name: "match NUL", args: []string{"-m", "comm\x00ent"}, token: "comm\x00ent", noOracle: nul},
	}
}

func TestHostileInput(t *testing.T) {
	needTools(t)
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runHostile(t, c)
		})
	}
}

func runHostile(t *testing.T, c hostileCase) {
	fam := c.fam
	if fam == 0 {
		fam = IPv4
	}
	chain := c.chain
	if chain == "" {
		chain = "INPUT"
	}
	ipt := iptablesCmd(fam)
	ours, ref := netnstest.New(t), netnstest.New(t)
	proto := ProtocolIPv4
	if fam == IPv6 {
		proto = ProtocolIPv6
	}
	ourIPT, err := New(IPFamily(proto), NetNS(ours.Name))
	if err != nil {
		t.Fatal(err)
	}
	conn := openConn(t, ours)
	// What the cases refer to: user chain name28 (jump target, append
	// target) and, for native names, table t.
	if c.op == "native" {
		for _, ns := range []*netnstest.NS{ours, ref} {
			ns.MustRun(t, "nft", "add", "table", "ip", "t")
		}
	} else if c.op != "N" {
		ref.MustRun(t, ipt, "-N", name28)
		if err := ourIPT.NewChain("filter", name28); err != nil {
			t.Fatal(err)
		}
	}

	// The oracle's decision.
	refAccepts := false
	refWhy := c.noOracle
	if c.noOracle == "" {
		before := ref.MustRun(t, "nft", "list", "ruleset")
		var err error
		switch c.op {
		case "N":
			_, err = ref.Run(ipt, "-N", chain)
		case "native":
			_, err = ref.Run("nft", "add", "chain", "ip", "t", chain)
		default:
			_, err = ref.Run(ipt, append([]string{"-A", chain}, c.args...)...)
		}
		refAccepts = err == nil
		if err != nil {
			refWhy = err.Error()
			if after := ref.MustRun(t, "nft", "list", "ruleset"); after != before {
				t.Fatalf("iptables-nft wrote something while refusing: %v", err)
			}
		}
	}

	before := ours.MustRun(t, "nft", "list", "ruleset")
	var ourErr error
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("panic: %v", r)
			}
		}()
		switch c.op {
		case "N":
			ourErr = ourIPT.NewChain("filter", chain)
		case "native":
			ourErr = conn.AddChain(&xtnl.Chain{Family: xtnl.FamilyIPv4, Table: "t", Name: chain})
		default:
			ourErr = ourIPT.Append("filter", chain, c.args...)
		}
	}()

	if refAccepts != (ourErr == nil) {
		t.Fatalf("decision differs: iptables-nft accepts=%v (%s), xtnl error %v", refAccepts, refWhy, ourErr)
	}
	if refAccepts {
		// Accepted by both: the same rules, as iptables-nft prints them
		// (a long comment cut exactly where iptables-nft cuts it).
		var a, b string
		if c.op == "native" {
			a = ours.MustRun(t, "nft", "list", "ruleset")
			b = ref.MustRun(t, "nft", "list", "ruleset")
		} else {
			a = ours.MustRun(t, ipt, "-S")
			b = ref.MustRun(t, ipt, "-S")
		}
		if a != b {
			t.Fatalf("accepted by both, but the results differ:\nxtnl:\n%s\niptables-nft:\n%s", a, b)
		}
		return
	}
	if after := ours.MustRun(t, "nft", "list", "ruleset"); after != before {
		t.Errorf("xtnl wrote something while refusing (%v):\nbefore:\n%s\nafter:\n%s", ourErr, before, after)
	}
	checkTypedRejection(t, c, ourErr)
}

// checkTypedRejection: the error is one a caller can act on (errors.As a
// *SpecError, or an *Error with iptables' exit status 2; for the native
// API, ErrInvalid) and its text names the token at fault.
func checkTypedRejection(t *testing.T, c hostileCase, err error) {
	t.Helper()
	if c.op == "native" {
		if !errors.Is(err, xtnl.ErrInvalid) {
			t.Errorf("native rejection does not match xtnl.ErrInvalid: %T %v", err, err)
		}
	} else {
		var se *SpecError
		var ce *Error
		switch {
		case errors.As(err, &se):
		case errors.As(err, &ce) && ce.ExitStatus() == exitParameterProblem:
		case errors.As(err, &ce):
			t.Errorf("rejection has exit status %d, iptables exits with 2: %v", ce.ExitStatus(), err)
		default:
			t.Errorf("rejection is not typed (*SpecError or *Error): %T %v", err, err)
		}
	}
	if c.token == "" {
		return
	}
	// The token is named by the *SpecError (Token or message) or by the
	// *Error's message; an argument with a NUL byte may be named as
	// such.
	named := strings.Contains(err.Error(), c.token)
	var se *SpecError
	if errors.As(err, &se) {
		named = named || strings.Contains(se.Token, c.token) || strings.Contains(se.Msg, c.token)
	}
	if strings.ContainsRune(c.token, 0) {
		q := strconv.Quote(c.token)
		named = named || strings.Contains(err.Error(), "NUL") || strings.Contains(err.Error(), q[1:len(q)-1])
	}
	if !named {
		tok := ""
		if se != nil {
			tok = se.Token
		}
		t.Errorf("error %q (token %q) does not name %q", err.Error(), tok, c.token)
	}
}
