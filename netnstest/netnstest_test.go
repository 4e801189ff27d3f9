package netnstest

import (
	"os"
	"os/exec"
	"testing"
)

// A namespace made here must stay deletable when `ip netns add` runs in
// between: on a fresh machine, ip's first run bind-mounts /run/netns on
// itself, which used to hide this package's mounts underneath (Delete then
// failed with EBUSY, as CI did when the expr and compat tests overlapped).
func TestDeleteAfterIPNetnsAdd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip")
	}
	ns, err := Create("")
	if err != nil {
		t.Fatal(err)
	}
	other := ns.Name + "-ip"
	if out, err := exec.Command("ip", "netns", "add", other).CombinedOutput(); err != nil {
		_ = ns.Delete()
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	defer exec.Command("ip", "netns", "del", other).Run()
	if err := ns.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ns.Path); !os.IsNotExist(err) {
		t.Fatalf("%s still there after Delete (stat: %v)", ns.Path, err)
	}
}
