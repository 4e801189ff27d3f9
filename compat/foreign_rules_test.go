package compat

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestForeignRules: a table holding a rule nft wrote (no iptables form)
// is saved as iptables-nft-save saves it (a comment in its place, the
// other tables whole, success), and listing its chain fails as
// iptables-nft fails (exit 1, its words); chains without such a rule
// still list. Save once printed nothing and failed with exit status 4.
func TestForeignRules(t *testing.T) {
	p := newPair(t, ProtocolIPv4)
	p.do("-A", p.ipt.Append("filter", "INPUT", "-s", "1.2.3.4", "-j", "ACCEPT"), "-A", "INPUT", "-s", "1.2.3.4", "-j", "ACCEPT")
	p.do("-t nat -A", p.ipt.Append("nat", "POSTROUTING", "-j", "MASQUERADE"), "-t", "nat", "-A", "POSTROUTING", "-j", "MASQUERADE")
	p.ours.MustRun(t, "nft", "add", "rule", "ip", "filter", "INPUT", "tcp", "dport", "22", "ct", "state", "new", "accept")
	p.ref.MustRun(t, "nft", "add", "rule", "ip", "filter", "INPUT", "tcp", "dport", "22", "ct", "state", "new", "accept")

	var saved bytes.Buffer
	if err := p.ipt.Save(&saved, ""); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if want := stripComments(p.ref.MustRun(t, "iptables-nft-save")); stripComments(saved.String()) != want {
		t.Fatalf("Save:\n%s\niptables-nft-save:\n%s", saved.String(), want)
	}
	if !strings.Contains(saved.String(), "# Table `filter' is incompatible, use 'nft' tool.\n") {
		t.Fatalf("Save does not say the table is incompatible:\n%s", saved.String())
	}

	for _, c := range []struct {
		chain string
		call  func() error
	}{
		{"INPUT", func() error { _, err := p.ipt.List("filter", "INPUT"); return err }},
		{"", func() error { _, err := p.ipt.List("filter", ""); return err }},
		{"INPUT", func() error { _, err := p.ipt.Stats("filter", "INPUT"); return err }},
	} {
		err := c.call()
		args := []string{"-S"}
		if c.chain != "" {
			args = append(args, c.chain)
		}
		_, refErr := p.ref.Run(p.cmd, args...)
		var e *Error
		if !errors.As(err, &e) || e.ExitStatus() != 1 || !errors.Is(err, ErrNotIptables) || refErr == nil || !strings.Contains(refErr.Error(), e.Error()) {
			t.Fatalf("listing %q: ours %v; iptables-nft %v", c.chain, err, refErr)
		}
	}
	if rules, err := p.ipt.List("filter", "OUTPUT"); err != nil || len(rules) != 1 {
		t.Fatalf("List OUTPUT = %q, %v", rules, err)
	}
}
