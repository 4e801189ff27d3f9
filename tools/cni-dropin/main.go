// Command cni-dropin measures xtnl's go-iptables drop-in on a real client
// nobody here wrote: the CNI plugins' own test suites.
//
// It copies github.com/containernetworking/plugins (from the Go module
// proxy, through the module cache) twice, leaves one copy as it is (real
// go-iptables, which runs iptables-nft) and adds two replace lines to the
// other's go.mod (github.com/coreos/go-iptables => <repo>/goiptables,
// github.com/xtnl/xtnl => <repo>, then go mod tidy), builds each package's
// test binary and the plugins the tests exec in both, runs every test binary
// in a fresh network namespace with ginkgo's JSON report, and compares: the
// specs' outcomes, and the ruleset each run left in the namespace it ran in.
//
// See README.md. It needs root, ip, nft, unshare and the go command.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const pluginsModule = "github.com/containernetworking/plugins"

// The packages whose suites run, as paths in the plugins module.
var defaultPkgs = []string{
	"pkg/utils",
	"plugins/meta/portmap",
	"plugins/meta/firewall",
	"plugins/main/ptp",
	"plugins/main/bridge",
	"plugins/meta/bandwidth",
	"integration",
}

// The plugins the suites exec (delegated IPAM, cnitool in integration), built
// into the copy's bin/ as the plugins' own build_linux.sh does.
var defaultPlugins = []string{
	"plugins/main/bridge",
	"plugins/main/ptp",
	"plugins/meta/portmap",
	"plugins/meta/bandwidth",
	"plugins/meta/firewall",
	"plugins/ipam/host-local",
}

// expectedSeconds is about how long each suite runs alone (v1.10.0, two
// cores): the order the runs start in.
var expectedSeconds = map[string]int{
	"integration":            63,
	"plugins/main/bridge":    55,
	"plugins/main/ptp":       50,
	"plugins/meta/portmap":   20,
	"plugins/meta/firewall":  15,
	"plugins/meta/bandwidth": 6,
	"pkg/utils":              1,
}

// exceptions are the accepted differences: the spec passes on go-iptables
// and fails through the drop-in, on purpose.
var exceptions = []struct{ pkg, spec, why string }{{
	pkg:  "pkg/utils",
	spec: "netfilter support when it is not available reports that iptables is not supported",
	why: "with PATH=/does-not-exist, SupportsIPTables() (New + ChainExists(\"filter\", \"INPUT\")) still holds: " +
		"compat needs no iptables binary, it talks netlink",
}}

// variant is one of the two builds of the plugins.
type variant struct {
	name string // "go-iptables" or "xtnl"
	shim bool
	dir  string // work/<name>
}

func (v *variant) src() string { return filepath.Join(v.dir, "src") }

type config struct {
	repo, version, work string
	pkgs, plugins       []string
	jobs                int
	seed                int
	timeout             time.Duration
	reuse, verbose      bool
}

func main() {
	var cfg config
	var pkgs, plugins string
	flag.StringVar(&cfg.repo, "repo", "", "the xtnl checkout (default: found from the working directory upwards)")
	flag.StringVar(&cfg.version, "version", "v1.10.0", "version of "+pluginsModule)
	flag.StringVar(&cfg.work, "work", "/var/tmp/cni-dropin", "work directory (not under /tmp: each run gets a private tmpfs there)")
	flag.StringVar(&pkgs, "pkgs", strings.Join(defaultPkgs, ","), "packages whose suites run, comma-separated")
	flag.StringVar(&plugins, "plugins", strings.Join(defaultPlugins, ","), "plugins built into bin/ for the suites to exec")
	flag.IntVar(&cfg.jobs, "jobs", 4, "test binaries running at once (each in its own namespace)")
	flag.IntVar(&cfg.seed, "seed", 1, "ginkgo random seed, the same for both variants")
	flag.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "per test binary")
	flag.BoolVar(&cfg.reuse, "reuse", false, "reuse the copies and binaries a previous run built in -work")
	flag.BoolVar(&cfg.verbose, "v", false, "print each command")
	flag.Parse()
	cfg.pkgs = splitList(pkgs)
	cfg.plugins = splitList(plugins)
	os.Exit(run(&cfg))
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.Trim(strings.TrimSpace(f), "/"); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// run returns the exit status: 0 all held, 1 a regression, a ruleset
// difference or a broken run, 2 the set-up failed.
func run(cfg *config) int {
	start := time.Now()
	if err := setup(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "cni-dropin:", err)
		return 2
	}
	variants := []*variant{
		{name: "go-iptables", dir: filepath.Join(cfg.work, "go-iptables")},
		{name: "xtnl", shim: true, dir: filepath.Join(cfg.work, "xtnl")},
	}
	prep, err := prepare(cfg, variants)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cni-dropin:", err)
		return 2
	}
	buildTime := time.Since(start)

	createdCNIDir, err := ensureDir("/var/lib/cni")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cni-dropin:", err)
		return 2
	}
	if createdCNIDir {
		defer os.Remove("/var/lib/cni")
	}
	hostBefore, _ := listRuleset("")

	runStart := time.Now()
	results := runAll(cfg, variants, prep)
	sum := summarise(cfg, variants, results)
	// A spec that fails only through the shim is run again, both sides,
	// once: the plugins' suites have timing-bound specs (a dual-stack ping
	// right after the link comes up) that fail now and then on a busy
	// machine. Both runs are reported; a regression must hold in both.
	var retried []string
	if again := regressedPackages(sum); len(again) > 0 {
		once := *cfg
		once.pkgs = again
		fmt.Fprintf(os.Stderr, "cni-dropin: running again, once: %s\n", strings.Join(again, ", "))
		rerun := runAll(&once, variants, prep)
		for _, d := range sum.Differences {
			if d.Kind == "regression" {
				retried = append(retried, d.Package+" — "+d.Spec)
			}
		}
		for i, r := range results {
			for _, n := range rerun {
				if n.pkg == r.pkg && n.variant == r.variant {
					results[i] = n
				}
			}
		}
		sum = summarise(cfg, variants, results)
	}
	sum.Retried = retried
	runTime := time.Since(runStart)

	hostAfter, _ := listRuleset("")
	sum.HostRulesetChanged = normalise(hostBefore) != normalise(hostAfter)
	sum.GoModDiff = prep.goModDiff
	sum.BuildSeconds = buildTime.Seconds()
	sum.RunSeconds = runTime.Seconds()
	sum.TotalSeconds = time.Since(start).Seconds()
	sum.Command = strings.Join(os.Args, " ")

	text := sum.markdown()
	fmt.Print(text)
	_ = os.WriteFile(filepath.Join(cfg.work, "summary.md"), []byte(text), 0o644)
	if b, err := json.MarshalIndent(sum, "", "  "); err == nil {
		_ = os.WriteFile(filepath.Join(cfg.work, "summary.json"), append(b, '\n'), 0o644)
	}
	if !sum.OK {
		return 1
	}
	return 0
}

// regressedPackages are the packages with a spec that failed only
// through the shim.
func regressedPackages(sum *Summary) []string {
	var pkgs []string
	for _, d := range sum.Differences {
		if d.Kind == "regression" && !slices.Contains(pkgs, d.Package) {
			pkgs = append(pkgs, d.Package)
		}
	}
	return pkgs
}

func setup(cfg *config) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (network namespaces, mounts, nf_tables)")
	}
	for _, bin := range []string{"go", "ip", "nft", "unshare", "mount"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s not in PATH", bin)
		}
	}
	if cfg.repo == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		for d := wd; ; d = filepath.Dir(d) {
			if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && modulePath(b) == "github.com/xtnl/xtnl" {
				cfg.repo = d
				break
			}
			if d == filepath.Dir(d) {
				return errors.New("no xtnl checkout above the working directory: give -repo")
			}
		}
	}
	repo, err := filepath.Abs(cfg.repo)
	if err != nil {
		return err
	}
	cfg.repo = repo
	if b, err := os.ReadFile(filepath.Join(repo, "goiptables", "go.mod")); err != nil || modulePath(b) != "github.com/coreos/go-iptables" {
		return fmt.Errorf("%s/goiptables is not the github.com/coreos/go-iptables shim module", repo)
	}
	work, err := filepath.Abs(cfg.work)
	if err != nil {
		return err
	}
	cfg.work = work
	if work == "/tmp" || strings.HasPrefix(work, "/tmp/") {
		return errors.New("-work must not be under /tmp: every test binary runs with a private tmpfs on /tmp")
	}
	if cfg.jobs < 1 {
		cfg.jobs = 1
	}
	return os.MkdirAll(work, 0o755)
}

func modulePath(gomod []byte) string {
	for _, l := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

func ensureDir(d string) (created bool, err error) {
	if _, err := os.Stat(d); err == nil {
		return false, nil
	}
	return true, os.MkdirAll(d, 0o755)
}

// prepared is what the builds leave for the runs.
type prepared struct {
	cnitoolDir string
	goModDiff  []string // lines of the xtnl copy's go.mod that differ ("-old", "+new")
}

func prepare(cfg *config, variants []*variant) (*prepared, error) {
	p := &prepared{}
	var dl struct{ Dir, Error string }
	if err := goJSON(cfg, cfg.work, &dl, "mod", "download", "-json", pluginsModule+"@"+cfg.version); err != nil {
		return nil, err
	}
	if dl.Error != "" || dl.Dir == "" {
		return nil, fmt.Errorf("go mod download %s@%s: %s", pluginsModule, cfg.version, dl.Error)
	}
	orig, err := os.ReadFile(filepath.Join(dl.Dir, "go.mod"))
	if err != nil {
		return nil, err
	}
	cniVersion := requiredVersion(orig, "github.com/containernetworking/cni")
	if cniVersion == "" {
		return nil, errors.New("the plugins' go.mod requires no github.com/containernetworking/cni")
	}
	// cnitool (integration execs it) comes from the cni module the plugins
	// require; it has no iptables in it, so both variants share it.
	p.cnitoolDir = filepath.Join(cfg.work, "cnitool-"+cniVersion)
	if _, err := os.Stat(filepath.Join(p.cnitoolDir, "cnitool")); err != nil {
		step(cfg, "build cnitool %s", cniVersion)
		env := append(os.Environ(), "GOBIN="+p.cnitoolDir)
		if _, err := command(cfg, cfg.work, env, "go", "install", "github.com/containernetworking/cni/cnitool@"+cniVersion); err != nil {
			return nil, err
		}
	}

	for _, v := range variants {
		if cfg.reuse && built(cfg, v) {
			step(cfg, "%s: reusing %s", v.name, v.src())
		} else {
			if err := build(cfg, v, dl.Dir); err != nil {
				return nil, fmt.Errorf("%s: %w", v.name, err)
			}
		}
		// The binaries must be what they claim: go-iptables from the proxy
		// in one, the shim in the other.
		for _, pkg := range cfg.pkgs {
			if err := checkDeps(cfg, v, testBinary(v, pkg)); err != nil {
				return nil, err
			}
		}
		for _, pl := range cfg.plugins {
			if err := checkDeps(cfg, v, filepath.Join(v.src(), "bin", filepath.Base(pl))); err != nil {
				return nil, err
			}
		}
		if v.shim {
			now, err := os.ReadFile(filepath.Join(v.src(), "go.mod"))
			if err != nil {
				return nil, err
			}
			for _, l := range lineDiff(string(orig), string(now)) {
				if strings.TrimSpace(l[1:]) != "" {
					p.goModDiff = append(p.goModDiff, l[:1]+strings.TrimSpace(l[1:]))
				}
			}
		}
	}
	return p, nil
}

func built(cfg *config, v *variant) bool {
	for _, pkg := range cfg.pkgs {
		if _, err := os.Stat(testBinary(v, pkg)); err != nil {
			return false
		}
	}
	return true
}

func testBinary(v *variant, pkg string) string {
	return filepath.Join(v.src(), "tb", filepath.Base(pkg)+".test")
}

func build(cfg *config, v *variant, modDir string) error {
	t := time.Now()
	if err := os.RemoveAll(v.dir); err != nil {
		return err
	}
	src := v.src()
	if err := copyTree(modDir, src); err != nil {
		return err
	}
	if v.shim {
		if _, err := command(cfg, src, nil, "go", "mod", "edit",
			"-replace", "github.com/coreos/go-iptables="+filepath.Join(cfg.repo, "goiptables"),
			"-replace", "github.com/xtnl/xtnl="+cfg.repo); err != nil {
			return err
		}
		if _, err := command(cfg, src, nil, "go", "mod", "tidy"); err != nil {
			return err
		}
	}
	step(cfg, "%s: build %d plugins and %d test binaries", v.name, len(cfg.plugins), len(cfg.pkgs))
	args := []string{"build", "-o", filepath.Join(src, "bin") + "/"}
	for _, pl := range cfg.plugins {
		args = append(args, "./"+pl)
	}
	if _, err := command(cfg, src, nil, "go", args...); err != nil {
		return err
	}
	args = []string{"test", "-c", "-o", filepath.Join(src, "tb") + "/"}
	for _, pkg := range cfg.pkgs {
		args = append(args, "./"+pkg)
	}
	if _, err := command(cfg, src, nil, "go", args...); err != nil {
		return err
	}
	step(cfg, "%s: built in %s", v.name, time.Since(t).Round(time.Second))
	return nil
}

// checkDeps reads a binary's build information: the go-iptables it links
// must be the proxy's v0.8.0 for go-iptables and the repository's shim for
// xtnl.
func checkDeps(cfg *config, v *variant, bin string) error {
	out, err := command(cfg, cfg.work, nil, "go", "version", "-m", bin)
	if err != nil {
		return err
	}
	shim := filepath.Join(cfg.repo, "goiptables")
	var dep string
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "dep" && f[1] == "github.com/coreos/go-iptables" {
			dep = l
			if i+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i+1]), "=>") {
				dep += " " + strings.TrimSpace(lines[i+1])
			}
			dep = strings.Join(strings.Fields(dep), " ") + " "
		}
	}
	switch {
	case dep == "":
		// Some plugins (host-local) do not import go-iptables at all.
		return nil
	case v.shim && !strings.Contains(dep, "=> "+shim+" "):
		return fmt.Errorf("%s links %q, not the shim at %s", bin, dep, shim)
	case !v.shim && strings.Contains(dep, "=>"):
		return fmt.Errorf("%s links a replaced go-iptables: %q", bin, dep)
	}
	return nil
}

func requiredVersion(gomod []byte, mod string) string {
	for _, l := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(l), "require "))
		if len(f) >= 2 && f[0] == mod {
			return f[1]
		}
	}
	return ""
}

// copyTree copies the read-only module directory into a writable tree.
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm()|0o200)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

func step(cfg *config, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "cni-dropin: "+format+"\n", args...)
}

// command runs a command to completion and returns its standard output; a
// failure carries the tail of its standard error.
func command(cfg *config, dir string, env []string, name string, args ...string) ([]byte, error) {
	if cfg.verbose {
		fmt.Fprintf(os.Stderr, "+ (cd %s && %s %s)\n", dir, name, strings.Join(args, " "))
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := stderr.String()
		if len(msg) > 4000 {
			msg = "..." + msg[len(msg)-4000:]
		}
		return out, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, msg)
	}
	return out, nil
}

func goJSON(cfg *config, dir string, v any, args ...string) error {
	out, err := command(cfg, dir, nil, "go", args...)
	if jerr := json.Unmarshal(out, v); jerr != nil {
		if err != nil {
			return err
		}
		return fmt.Errorf("go %s: %v", strings.Join(args, " "), jerr)
	}
	return nil
}

// result is one test binary's run.
type result struct {
	pkg     string
	variant *variant
	specs   []spec
	suite   []spec // failed suite-level nodes (BeforeSuite and the like)
	ruleset string // nft list ruleset in the run's namespace, as printed
	nftErr  string
	dur     time.Duration
	err     error // the run broke: no report, a timeout
	exit    int   // the test binary's exit status
	strays  []int // processes left in the namespace (killed)
	log     string
}

type spec struct {
	key     string // container texts and leaf text, #n when repeated
	state   string // ginkgo's
	outcome string // passed, failed or skipped
	where   string // where it failed, relative to the copy
	message string // first lines of the failure
}

func runAll(cfg *config, variants []*variant, prep *prepared) []*result {
	// The two runs of a package start together (the same load on both),
	// the longest suites first.
	pkgs := append([]string{}, cfg.pkgs...)
	sort.SliceStable(pkgs, func(i, j int) bool { return expectedSeconds[pkgs[i]] > expectedSeconds[pkgs[j]] })
	var jobs []*result
	for _, pkg := range pkgs {
		for _, v := range variants {
			jobs = append(jobs, &result{pkg: pkg, variant: v})
		}
	}
	var (
		mu   sync.Mutex
		done int
		wg   sync.WaitGroup
	)
	queue := make(chan *result)
	for range min(cfg.jobs, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range queue {
				runOne(cfg, prep, r)
				mu.Lock()
				done++
				fmt.Fprintf(os.Stderr, "cni-dropin: [%d/%d] %s %s: %s\n", done, len(jobs), r.pkg, r.variant.name, r.line())
				mu.Unlock()
			}
		}()
	}
	for _, r := range jobs {
		queue <- r
	}
	close(queue)
	wg.Wait()
	return jobs
}

func (r *result) line() string {
	c := count(r.specs)
	s := fmt.Sprintf("%d specs, %d passed, %d failed, %d skipped in %s", len(r.specs), c.Passed, c.Failed, c.Skipped, r.dur.Round(time.Second))
	if r.err != nil {
		s += "; BROKEN: " + r.err.Error()
	}
	return s
}

// The script a test binary starts under, inside its namespace and a private
// mount namespace: its own /tmp (integration's host-local stores live there),
// /var/lib/cni (host-local's default store, cached results) and /run/netns
// (the namespaces the suites make), so runs neither share state nor leave
// any behind; umask 0 as the plugins' test_linux.sh.
const runScript = `set -e
mount -t tmpfs cni-dropin /tmp
mount -t tmpfs cni-dropin /var/lib/cni
mount -t tmpfs cni-dropin /run/netns
umask 0
exec "$@"`

func runOne(cfg *config, prep *prepared, r *result) {
	v := r.variant
	base := filepath.Base(r.pkg)
	for _, d := range []string{"reports", "logs", "rulesets"} {
		_ = os.MkdirAll(filepath.Join(v.dir, d), 0o755)
	}
	report := filepath.Join(v.dir, "reports", base+".json")
	r.log = filepath.Join(v.dir, "logs", base+".log")
	_ = os.Remove(report)

	ns := fmt.Sprintf("cnidrop-%d-%s-%s", os.Getpid(), base, v.name)
	if _, err := command(cfg, cfg.work, nil, "ip", "netns", "add", ns); err != nil {
		r.err = err
		return
	}
	defer func() {
		if _, err := command(cfg, cfg.work, nil, "ip", "netns", "del", ns); err != nil && r.err == nil {
			r.err = err
		}
	}()

	logf, err := os.Create(r.log)
	if err != nil {
		r.err = err
		return
	}
	defer logf.Close()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout+time.Minute)
	defer cancel()
	args := []string{"netns", "exec", ns, "unshare", "--mount", "--propagation", "private", "--",
		"/bin/sh", "-c", runScript, "sh", testBinary(v, r.pkg),
		"-test.timeout=" + cfg.timeout.String(),
		"-ginkgo.seed=" + strconv.Itoa(cfg.seed),
		"-ginkgo.no-color",
		"-ginkgo.json-report=" + report,
	}
	if cfg.verbose {
		fmt.Fprintf(os.Stderr, "+ ip %s\n", strings.Join(args, " "))
	}
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Dir = filepath.Join(v.src(), r.pkg)
	path := filepath.Join(v.src(), "bin") + ":" + prep.cnitoolDir + ":" + os.Getenv("PATH")
	cmd.Env = append(withoutVar(os.Environ(), "PATH"), "PATH="+path)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	t := time.Now()
	err = cmd.Run()
	r.dur = time.Since(t)
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.err = fmt.Errorf("timed out after %s", r.dur.Round(time.Second))
	case errors.As(err, &ee):
		r.exit = ee.ExitCode()
	case err != nil:
		r.err = err
	}

	// What the run left where it ran.
	r.ruleset, r.nftErr = listRuleset(ns)
	_ = os.WriteFile(filepath.Join(v.dir, "rulesets", base+".nft"), []byte(r.ruleset), 0o644)
	// Processes the suite left behind in its namespace (none expected):
	// noted, then killed by their ids so the namespace can go.
	if out, err := command(cfg, cfg.work, nil, "ip", "netns", "pids", ns); err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil {
				r.strays = append(r.strays, pid)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}

	specs, suite, err := readReport(report, v.src())
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("no ginkgo report (exit status %d, see %s): %v", r.exit, r.log, err)
	}
	r.specs, r.suite = specs, suite
}

func withoutVar(env []string, name string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return out
}

// listRuleset is `nft list ruleset` in a named namespace ("": this one).
func listRuleset(ns string) (string, string) {
	args := []string{"list", "ruleset"}
	name := "nft"
	if ns != "" {
		args = append([]string{"netns", "exec", ns, "nft"}, args...)
		name = "ip"
	}
	cmd := exec.Command(name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	msg := strings.TrimSpace(stderr.String())
	if err != nil {
		msg = strings.TrimSpace(err.Error() + " " + msg)
	}
	return string(out), msg
}

// The ginkgo JSON report, the fields read here.
type ginkgoReport struct {
	SuitePath   string
	SpecReports []struct {
		ContainerHierarchyTexts []string
		LeafNodeText            string
		LeafNodeType            string
		State                   string
		Failure                 struct {
			Message  string
			Location struct {
				FileName   string
				LineNumber int
			}
		}
	}
}

func readReport(path, src string) (specs, suite []spec, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var reports []ginkgoReport
	if err := json.Unmarshal(b, &reports); err != nil {
		return nil, nil, err
	}
	seen := map[string]int{}
	for _, rep := range reports {
		for _, sr := range rep.SpecReports {
			key := strings.TrimSpace(strings.Join(append(append([]string{}, sr.ContainerHierarchyTexts...), sr.LeafNodeText), " "))
			if sr.LeafNodeType != "It" {
				key = sr.LeafNodeType + " " + key
			}
			seen[key]++
			if n := seen[key]; n > 1 {
				key += fmt.Sprintf(" #%d", n)
			}
			s := spec{key: key, state: sr.State, outcome: outcomeOf(sr.State)}
			if s.outcome == "failed" {
				loc := sr.Failure.Location.FileName
				if rel, err := filepath.Rel(src, loc); err == nil && !strings.HasPrefix(rel, "..") {
					loc = rel
				}
				s.where = fmt.Sprintf("%s:%d", loc, sr.Failure.Location.LineNumber)
				s.message = firstLines(sr.Failure.Message, 4)
			}
			if sr.LeafNodeType == "It" {
				specs = append(specs, s)
			} else if s.outcome == "failed" {
				suite = append(suite, s)
			}
		}
	}
	return specs, suite, nil
}

func outcomeOf(state string) string {
	switch state {
	case "passed":
		return "passed"
	case "skipped", "pending":
		return "skipped"
	}
	return "failed" // failed, panicked, interrupted, aborted, timedout
}

func firstLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
			if len(out) == n {
				break
			}
		}
	}
	return strings.Join(out, " | ")
}

// Counts are specs by outcome.
type Counts struct{ Specs, Passed, Failed, Skipped int }

func count(specs []spec) Counts {
	c := Counts{Specs: len(specs)}
	for _, s := range specs {
		switch s.outcome {
		case "passed":
			c.Passed++
		case "skipped":
			c.Skipped++
		default:
			c.Failed++
		}
	}
	return c
}

func (c *Counts) add(d Counts) {
	c.Specs += d.Specs
	c.Passed += d.Passed
	c.Failed += d.Failed
	c.Skipped += d.Skipped
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
