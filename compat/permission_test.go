package compat

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/netnstest"
)

// TestWithoutNetAdmin: a process without CAP_NET_ADMIN gets the
// permission error from every call, as iptables-nft exits 4 for it.
// ChainExists on a built-in chain once answered true without asking.
func TestWithoutNetAdmin(t *testing.T) {
	needTools(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Fatalf("setpriv not installed (apt-get install -y util-linux): %v", err)
	}
	ns := netnstest.New(t)
	drop := []string{"setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin"}
	out, err := exec.Command("ip", append(append([]string{"netns", "exec", ns.Name}, drop...), "iptables-nft", "-S", "INPUT")...).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 {
		t.Fatalf("iptables-nft without CAP_NET_ADMIN: %v %s; the oracle should exit 4", err, out)
	}
	runInChildVia(t, ns, drop, "no-net-admin")
}

// childNoNetAdmin runs in a process without CAP_NET_ADMIN: every call
// must fail with xtnl.ErrPermission and exit status 4.
func childNoNetAdmin() error {
	ipt, err := New()
	if err != nil {
		return check("New", err)
	}
	calls := map[string]func() error{
		"ChainExists INPUT": func() error { _, err := ipt.ChainExists("filter", "INPUT"); return err },
		"ChainExists X":     func() error { _, err := ipt.ChainExists("filter", "X"); return err },
		"List":              func() error { _, err := ipt.List("filter", "INPUT"); return err },
		"ListChains":        func() error { _, err := ipt.ListChains("filter"); return err },
		"Exists":            func() error { _, err := ipt.Exists("filter", "INPUT", "-j", "ACCEPT"); return err },
		"Append":            func() error { return ipt.Append("filter", "INPUT", "-j", "ACCEPT") },
		"NewChain":          func() error { return ipt.NewChain("filter", "X") },
		"Save":              func() error { return ipt.Save(new(bytes.Buffer), "") },
	}
	for name, call := range calls {
		if err := check(name, call()); err != nil {
			return err
		}
	}
	return nil
}

func check(what string, err error) error {
	var e *Error
	switch {
	case err == nil:
		return fmt.Errorf("%s succeeded without CAP_NET_ADMIN", what)
	case !errors.Is(err, xtnl.ErrPermission):
		return fmt.Errorf("%s: %v; want xtnl.ErrPermission", what, err)
	case !errors.As(err, &e) || e.ExitStatus() != 4:
		return fmt.Errorf("%s: %v; want exit status 4", what, err)
	}
	return nil
}
