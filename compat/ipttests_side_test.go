package compat

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/internal/ipttest"
	"github.com/xtnl/xtnl/internal/nsthread"
	"github.com/xtnl/xtnl/netnstest"
	"golang.org/x/sys/unix"
)

// The extension-test runner's view of one network namespace: one side of
// a comparison, reused from case to case (emptied in between) because
// making namespaces and connections for each of ~1,700 cases would cost
// more than the cases themselves.

// Per-case time limits: the shell scripts run a handful of iptables-nft
// commands (a few ms each), the in-process calls are netlink round trips.
// Anything close to these is stuck.
const (
	scriptTimeout = 2 * time.Minute
	callTimeout   = 30 * time.Second
)

// extSide is one namespace of a comparison and what talks to it.
type extSide struct {
	ns   *netnstest.NS
	fd   int // the namespace, held open: scripts start from a thread in it
	conn *xtnl.Conn
	ipt  map[ipttest.Family]*IPTables
}

// openExtSide makes a fresh namespace and opens a connection and an
// IPTables of each family in it.
func openExtSide() (*extSide, error) {
	ns, err := netnstest.Create("")
	if err != nil {
		return nil, err
	}
	s := &extSide{ns: ns, fd: -1, ipt: map[ipttest.Family]*IPTables{}}
	if s.fd, _, err = nsthread.Open(ns.Path); err != nil {
		ns.Delete()
		return nil, fmt.Errorf("open %s: %w", ns.Name, err)
	}
	if s.conn, err = xtnl.Open(xtnl.WithNetNS(ns.Path)); err != nil {
		unix.Close(s.fd)
		ns.Delete()
		return nil, fmt.Errorf("open netlink in %s: %w", ns.Name, err)
	}
	for fam, proto := range map[ipttest.Family]Protocol{ipttest.IPv4: ProtocolIPv4, ipttest.IPv6: ProtocolIPv6} {
		if s.ipt[fam], err = New(WithConn(s.conn), IPFamily(proto)); err != nil {
			s.close()
			return nil, fmt.Errorf("compat.New in %s: %w", ns.Name, err)
		}
	}
	return s, nil
}

// close releases the connection and the descriptor and deletes the
// namespace.
func (s *extSide) close() error {
	s.conn.Close()
	unix.Close(s.fd)
	return s.ns.Delete()
}

// reset deletes every table of every family: the namespace is then what
// a fresh one is to iptables-nft and to xtnl (neither keeps state outside
// the kernel's ruleset).
func (s *extSide) reset() error {
	tables, err := s.conn.ListTables(0)
	if err != nil {
		return fmt.Errorf("reset %s: list tables: %w", s.ns.Name, err)
	}
	if len(tables) == 0 {
		return nil
	}
	tx := s.conn.Begin()
	for _, t := range tables {
		tx.DelTable(&xtnl.Table{Family: t.Family, Name: t.Name})
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("reset %s: %w", s.ns.Name, err)
	}
	return nil
}

// rawRuleset renders what the kernel holds, with each rule's netlink
// attributes (expressions with the xt matches' and targets' payloads,
// user data, compat attribute) in hex: two rulesets render alike exactly
// when they hold the same bytes. Tables and chains are sorted by name
// (their order of creation shows in the nft listing, compared apart);
// handles are left out (they depend on the namespace's history).
func rawRuleset(conn *xtnl.Conn) (string, error) {
	tables, err := conn.ListTables(0)
	if err != nil {
		return "", fmt.Errorf("list tables: %w", err)
	}
	sort.Slice(tables, func(i, j int) bool {
		if tables[i].Family != tables[j].Family {
			return tables[i].Family < tables[j].Family
		}
		return tables[i].Name < tables[j].Name
	})
	var b strings.Builder
	for _, t := range tables {
		fmt.Fprintf(&b, "table %s %s flags %#x\n", t.Family, t.Name, t.Flags)
		chains, err := conn.ListChains(t.Family, t.Name)
		if err != nil {
			return "", fmt.Errorf("list chains of %s: %w", t, err)
		}
		sort.Slice(chains, func(i, j int) bool { return chains[i].Name < chains[j].Name })
		for _, ch := range chains {
			fmt.Fprintf(&b, "chain %s flags %#x", ch.Name, ch.Flags)
			if bc := ch.Base; bc != nil {
				fmt.Fprintf(&b, " type %s hook %s prio %d", bc.Type, bc.Hook, bc.Priority)
				if bc.Device != "" {
					fmt.Fprintf(&b, " dev %s", bc.Device)
				}
				if bc.Policy != nil {
					fmt.Fprintf(&b, " policy %s", *bc.Policy)
				}
			}
			b.WriteByte('\n')
			rules, err := conn.ListRulesRaw(t.Family, t.Name, ch.Name)
			if err != nil {
				return "", fmt.Errorf("list rules of %s: %w", ch, err)
			}
			for _, r := range rules {
				fmt.Fprintf(&b, "rule %s %s exprs %x udata %x", t.Name, ch.Name, r.Exprs, r.UserData)
				if r.Compat != nil {
					fmt.Fprintf(&b, " compat proto %d invert %t", r.Compat.Proto, r.Compat.Invert)
				}
				b.WriteByte('\n')
			}
		}
	}
	return b.String(), nil
}

// sectionMark starts each named part of a script's output.
const sectionMark = "\n@@@xtnl-section@@@ "

// shellScript is a sh script whose commands' outputs and exit statuses
// come back by name: one shell per side and case instead of one Go-side
// process start per command.
type shellScript struct{ b strings.Builder }

// line adds shell text as is.
func (s *shellScript) line(text string) { s.b.WriteString(text + "\n") }

// section runs cmd (shell text: a rule from a .t file is shell text, as
// iptables-test.py runs it) and files its output under name, its exit
// status under name+".rc". The shell variable rc holds the status
// afterwards.
func (s *shellScript) section(name, cmd string) {
	fmt.Fprintf(&s.b, "printf '%s%%s\\n' '%s'\n", strings.ReplaceAll(sectionMark, "\n", `\n`), name)
	s.b.WriteString(cmd + "\n")
	fmt.Fprintf(&s.b, "rc=$?\nprintf '%s%%s\\n%%d' '%s.rc' \"$rc\"\n", strings.ReplaceAll(sectionMark, "\n", `\n`), name)
}

func (s *shellScript) String() string { return s.b.String() }

// scriptOutput is a script's output by section.
type scriptOutput map[string]string

// text is a section's output without trailing newlines (the mark after
// it takes one; the comparison ignores them).
func (o scriptOutput) text(name string) string { return strings.TrimRight(o[name], "\n") }

// rc is a section's exit status, -1 when the section did not run.
func (o scriptOutput) rc(name string) int {
	n, err := strconv.Atoi(strings.TrimSpace(o[name+".rc"]))
	if err != nil {
		return -1
	}
	return n
}

// has reports whether a section ran.
func (o scriptOutput) has(name string) bool { _, ok := o[name+".rc"]; return ok }

// run runs a script in the namespace with sh. The shell is started from
// a thread switched into the namespace (nsthread.Do: a child inherits
// the namespace of the thread that forks it, and the thread is switched
// back afterwards), which spares each script the cost of `ip netns exec`
// (an exec and a mount namespace of its own). Were the switch to fail,
// Do would return before starting anything: no script ever runs in the
// test process's own namespace.
func (s *extSide) run(script *shellScript) (scriptOutput, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", script.String())
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := nsthread.Do(s.fd, cmd.Run)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("script in %s timed out after %v", s.ns.Name, scriptTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("script in %s: %w: %s", s.ns.Name, err, truncate(errb.String(), 300))
	}
	o := scriptOutput{}
	parts := strings.Split(out.String(), sectionMark)
	for _, p := range parts[1:] {
		name, body, _ := strings.Cut(p, "\n")
		o[name] = body
	}
	return o, nil
}

// callResult is the outcome of a guarded in-process call.
type callResult struct {
	err      error
	panicked string // the panic and the top of its stack, when fn panicked
	timedOut bool
}

// failed reports a call that did not return normally.
func (r callResult) failed() bool { return r.panicked != "" || r.timedOut }

// describe is the call's failure as one line of a report.
func (r callResult) describe() string {
	switch {
	case r.panicked != "":
		return "PANIC: " + r.panicked
	case r.timedOut:
		return fmt.Sprintf("no answer within %v", callTimeout)
	case r.err != nil:
		return "error: " + r.err.Error()
	}
	return "ok"
}

// guard runs fn in a goroutine of its own, so that a panic in compat
// becomes a failed case instead of the end of the run, and a call that
// hangs is given up on (leaving its goroutine behind: the caller then
// replaces the namespace it worked in).
func guard(fn func() error) callResult {
	done := make(chan callResult, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- callResult{panicked: fmt.Sprintf("%v [%s]", v, panicSite(debug.Stack()))}
			}
		}()
		done <- callResult{err: fn()}
	}()
	select {
	case r := <-done:
		return r
	case <-time.After(callTimeout):
		return callResult{timedOut: true}
	}
}

// panicSite picks the first frame of a panic's stack that is compat's
// own code (not the runtime's, not this file's), as "file.go:line".
func panicSite(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if !strings.Contains(l, "/compat/") || strings.Contains(l, "_test.go") {
			continue
		}
		if i := strings.LastIndex(l, "/"); i >= 0 {
			l = l[i+1:]
		}
		if i := strings.Index(l, " +0x"); i >= 0 {
			l = l[:i]
		}
		return l
	}
	return "no compat frame"
}

// truncate shortens s to about n bytes, saying so.
func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("… (%d bytes)", len(s))
}
