package compat

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/netnstest"
)

// stripComments drops the "# Generated/Completed" lines, which carry times.
func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// refRuleset builds a ruleset with iptables-nft, as another agent would.
func refRuleset(t *testing.T, ns *netnstest.NS, cmd string, v6 bool) {
	t.Helper()
	src := "10.1.0.0/16"
	if v6 {
		src = "2001:db8:1::/48"
	}
	for _, args := range [][]string{
		{"-N", "WEB"},
		{"-N", "LOGDROP"},
		{"-A", "INPUT", "-i", "lo", "-j", "ACCEPT"},
		{"-A", "INPUT", "-s", src, "-p", "tcp", "--dport", "443", "-m", "comment", "--comment", "from the office", "-j", "WEB"},
		{"-A", "INPUT", "-p", "udp", "--dport", "53", "-c", "10", "1000", "-j", "ACCEPT"},
		{"-A", "INPUT", "-m", "limit", "--limit", "5/min", "-j", "LOGDROP"},
		{"-A", "WEB", "-p", "tcp", "--syn", "-j", "ACCEPT"},
		{"-A", "LOGDROP", "-j", "LOG", "--log-prefix", "drop: "},
		{"-A", "LOGDROP", "-j", "DROP"},
		{"-P", "FORWARD", "DROP"},
		{"-t", "mangle", "-A", "PREROUTING", "-m", "mark", "--mark", "0x1/0xff", "-j", "ACCEPT"},
		{"-t", "raw", "-A", "PREROUTING", "-p", "tcp", "--dport", "80", "-j", "ACCEPT"},
	} {
		ns.MustRun(t, cmd, args...)
	}
}

func TestSaveRestoreAgainstIptablesNft(t *testing.T) {
	for _, proto := range []Protocol{ProtocolIPv4, ProtocolIPv6} {
		t.Run(fmt.Sprint(proto), func(t *testing.T) {
			p := newPair(t, proto)
			save := p.cmd + "-save"
			refRuleset(t, p.ref, p.cmd, proto == ProtocolIPv6)

			// Save equals iptables-nft-save for what iptables-nft wrote.
			refIPT, err := New(IPFamily(proto), NetNS(p.ref.Name))
			if err != nil {
				t.Fatal(err)
			}
			var ours bytes.Buffer
			if err := refIPT.Save(&ours, ""); err != nil {
				t.Fatal(err)
			}
			want := p.ref.MustRun(t, save)
			if stripComments(ours.String()) != stripComments(want) {
				t.Fatalf("Save:\n%s\niptables-nft-save:\n%s", ours.String(), want)
			}
			var withCnt bytes.Buffer
			if err := refIPT.Save(&withCnt, "filter", SaveCounters()); err != nil {
				t.Fatal(err)
			}
			if w := p.ref.MustRun(t, save, "-c", "-t", "filter"); stripComments(withCnt.String()) != stripComments(w) {
				t.Fatalf("Save -c:\n%s\niptables-nft-save -c:\n%s", withCnt.String(), w)
			}

			// Restore of that dump rebuilds the identical ruleset.
			dump := p.ref.MustRun(t, save, "-c")
			if err := p.ipt.Restore(strings.NewReader(dump), RestoreCounters()); err != nil {
				t.Fatal(err)
			}
			if a, b := stripComments(p.ours.MustRun(t, save, "-c")), stripComments(dump); a != b {
				t.Fatalf("after Restore:\n%s\nwant:\n%s", a, b)
			}
			nf := "ip"
			if proto == ProtocolIPv6 {
				nf = "ip6"
			}
			// Chain by chain: nft lists chains in creation order, which
			// differs between a restore and the commands that built it.
			compared := 0
			for _, table := range []string{"filter", "mangle", "raw"} {
				for _, ch := range []string{"INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING", "WEB", "LOGDROP"} {
					b, err := p.ref.Run("nft", "--debug=netlink", "list", "chain", nf, table, ch)
					if err != nil {
						continue // not in this table
					}
					a, _ := p.ours.Run("nft", "--debug=netlink", "list", "chain", nf, table, ch)
					if exprLines(a) != exprLines(b) {
						t.Fatalf("after Restore, expressions of %s %s differ:\n%s\nwant:\n%s", table, ch, a, b)
					}
					compared++
				}
			}
			if compared < 6 {
				t.Fatalf("only %d chains compared", compared)
			}
			// Save of what we wrote equals iptables-nft-save of it.
			ours.Reset()
			if err := p.ipt.Save(&ours, ""); err != nil {
				t.Fatal(err)
			}
			if w := p.ours.MustRun(t, save); stripComments(ours.String()) != stripComments(w) {
				t.Fatalf("Save of our ruleset:\n%s\niptables-nft-save:\n%s", ours.String(), w)
			}

			// One bad line anywhere: nothing changes, the line is named.
			before := p.ours.MustRun(t, "nft", "list", "ruleset")
			bad := strings.Replace(dump, "-A WEB -p tcp", "-A WEB -p tcp --bogus", 1)
			err = p.ipt.Restore(strings.NewReader(bad))
			var re *RestoreError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), "--bogus") {
				t.Fatalf("Restore with a bad option: %v", err)
			}
			if wantLine := lineOf(bad, "--bogus"); re.Line != wantLine {
				t.Fatalf("error names line %d, want %d", re.Line, wantLine)
			}
			// A jump to a chain the input does not have: refused at its
			// table's COMMIT, the line iptables-nft-restore names.
			bad = insertInTable(dump, "filter", "-A INPUT -p tcp -j REJECT --reject-with tcp-reset\n-A INPUT -m mark --mark 1 -j NOPE\n")
			err = p.ipt.Restore(strings.NewReader(bad))
			out, refErr := p.ref.RunInput([]byte(bad), save[:len(save)-len("-save")]+"-restore")
			if refErr == nil || !strings.Contains(out+refErr.Error(), fmt.Sprintf("Error occurred at line: %d", lineOf(bad, "-j NOPE")+1)) {
				t.Fatalf("%s-restore with a jump to a missing chain: %v\n%s", p.cmd, refErr, out)
			}
			if !errors.As(err, &re) || re.Line != lineOf(bad, "-j NOPE")+1 {
				t.Fatalf("Restore with a jump to a missing chain: %v", err)
			}
			// A line only the kernel refuses (REJECT reached from
			// PREROUTING through a user chain) names its line too.
			bad = insertInTable(dump, "mangle", ":M - [0:0]\n-A M -j ACCEPT\n-A M -j REJECT\n-A PREROUTING -j M\n")
			err = p.ipt.Restore(strings.NewReader(bad))
			var oe *xtnl.OpError
			if !errors.As(err, &re) || !errors.As(err, &oe) {
				t.Fatalf("Restore refused by the kernel: %v", err)
			}
			if l := re.Line; l != lineOf(bad, "-A M -j REJECT") && l != lineOf(bad, "-A PREROUTING -j M") {
				t.Fatalf("kernel refusal names line %d: %v", l, err)
			}
			if after := p.ours.MustRun(t, "nft", "list", "ruleset"); after != before {
				t.Fatalf("a failed restore changed the ruleset:\n%s\n---\n%s", before, after)
			}

			// NoFlush adds to what is there; without it, named tables are
			// replaced and others kept.
			extra := "*filter\n-A WEB -j RETURN\nCOMMIT\n"
			if err := p.ipt.Restore(strings.NewReader(extra), NoFlush()); err != nil {
				t.Fatal(err)
			}
			p.ref.MustRun(t, p.cmd, "-A", "WEB", "-j", "RETURN")
			p.same("filter", "mangle", "raw")
			replace := "*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\nCOMMIT\n"
			if err := p.ipt.Restore(strings.NewReader(replace)); err != nil {
				t.Fatal(err)
			}
			if _, err := p.ref.RunInput([]byte(replace), p.cmd+"-restore"); err != nil {
				t.Fatal(err)
			}
			p.same("filter", "mangle", "raw")
			// A table named twice: the second block replaces the first,
			// for a table that existed and for one that did not.
			twice := "*raw\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j ACCEPT\nCOMMIT\n*raw\n:OUTPUT DROP [0:0]\n-A OUTPUT -j RETURN\nCOMMIT\n" +
				"*security\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n*security\n:INPUT ACCEPT [0:0]\n-A INPUT -j RETURN\nCOMMIT\n"
			if err := p.ipt.Restore(strings.NewReader(twice)); err != nil {
				t.Fatal(err)
			}
			if _, err := p.ref.RunInput([]byte(twice), p.cmd+"-restore"); err != nil {
				t.Fatal(err)
			}
			p.same("filter", "mangle", "raw", "security")
		})
	}
}

func lineOf(s, substr string) int {
	for i, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			return i + 1
		}
	}
	return -1
}

// TestRestoreLarge: a 10k-rule restore is one transaction.
func TestRestoreLarge(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	const n = 10_000
	text := benchDump(n)
	if err := ipt.Restore(strings.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	out := ns.MustRun(t, "iptables-nft-save")
	if got := strings.Count(out, "-A BENCH "); got != n {
		t.Fatalf("%d rules after restore, want %d", got, n)
	}
	// Every rule of the input is canonical: the dump must repeat it.
	if got, want := strings.Join(appendLines(out), "\n"), strings.Join(appendLines(text), "\n"); got != want {
		t.Fatalf("restored rules differ from the input")
	}
}

// insertInTable inserts lines before the COMMIT of a table's block.
func insertInTable(dump, table, lines string) string {
	start := strings.Index(dump, "*"+table+"\n")
	end := start + strings.Index(dump[start:], "COMMIT\n")
	return dump[:end] + lines + dump[end:]
}
