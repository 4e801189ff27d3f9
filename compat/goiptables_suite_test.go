package compat

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/xtnl/xtnl/netnstest"
)

// goIptablesVersion is the go-iptables release whose own tests compat
// passes, unchanged but for their package clause.
const goIptablesVersion = "v0.8.0"

// TestGoIptablesOwnSuite runs go-iptables' own iptables_test.go against
// compat: the file as the Go module proxy serves it (read from the module
// cache, downloaded if need be), its package clause made "package compat",
// compiled into this package's tests through the go command's -overlay
// (nothing is copied into the repository), and run in a throwaway network
// namespace. Every one of its tests must pass.
func TestGoIptablesOwnSuite(t *testing.T) {
	needTools(t)
	goCmd := goCommand(t)
	src := goIptablesTestFile(t, goCmd)
	text, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	clause := regexp.MustCompile(`(?m)^package iptables$`)
	if len(clause.FindAllIndex(text, -1)) != 1 {
		t.Fatalf("%s: no single \"package iptables\" line", src)
	}
	text = clause.ReplaceAll(text, []byte("package compat"))
	var tests []string
	for _, m := range regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`).FindAllSubmatch(text, -1) {
		tests = append(tests, string(m[1]))
	}
	if len(tests) < 10 {
		t.Fatalf("%s holds %d tests: not go-iptables' suite", src, len(tests))
	}

	dir := t.TempDir()
	ported := filepath.Join(dir, "goiptables_test.go")
	if err := os.WriteFile(ported, text, 0o644); err != nil {
		t.Fatal(err)
	}
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]map[string]string{
		"Replace": {filepath.Join(here, "goiptables_"+strings.ReplaceAll(goIptablesVersion, ".", "")+"_test.go"): ported},
	})
	overlayFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "compat.test")
	build := exec.Command(goCmd, "test", "-c", "-overlay", overlayFile, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go-iptables %s's tests do not compile against compat: %v\n%s", goIptablesVersion, err, out)
	}

	ns := netnstest.New(t)
	run := exec.Command("ip", "netns", "exec", ns.Name, bin, "-test.v", "-test.count=1", "-test.run=^("+strings.Join(tests, "|")+")$")
	out, err := run.CombinedOutput()
	passed := regexp.MustCompile(`(?m)^--- PASS: (Test\w+)`).FindAllSubmatch(out, -1)
	failed := regexp.MustCompile(`(?m)^--- FAIL: (Test\w+)`).FindAllSubmatch(out, -1)
	t.Logf("go-iptables %s's own tests against compat: %d of %d passed", goIptablesVersion, len(passed), len(tests))
	if err != nil || len(failed) > 0 || len(passed) != len(tests) {
		t.Fatalf("go-iptables' suite: %v\n%s", err, out)
	}
}

// goCommand is the go command that built this test, for building another.
func goCommand(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no go command on $PATH or in GOROOT (%s): the suite is compiled with it", p)
	}
	return p
}

// goIptablesTestFile finds go-iptables' iptables_test.go in the module
// cache, downloading the module from the proxy first if it is not there.
func goIptablesTestFile(t *testing.T, goCmd string) string {
	t.Helper()
	out, err := exec.Command(goCmd, "mod", "download", "-json", "github.com/coreos/go-iptables@"+goIptablesVersion).Output()
	if err != nil {
		t.Fatalf("go mod download github.com/coreos/go-iptables@%s: %v (the Go module proxy must be reachable)", goIptablesVersion, err)
	}
	var mod struct{ Dir, Error string }
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download: %v %s\n%s", err, mod.Error, out)
	}
	return filepath.Join(mod.Dir, "iptables", "iptables_test.go")
}
