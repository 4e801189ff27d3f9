package netnstest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/xtnl/xtnl/internal/nsthread"
)

// A process can end without running any cleanup: `go test -timeout`
// panics the test binary (and kills it with SIGQUIT if that does not end
// it), and SIGKILL cannot be caught. What it made stays: namespaces bound
// under /run/netns, and veth ends it put in namespaces it did not make.
// So everything carries its maker: namespace names end in -PID-START and
// such veth ends carry the alias "xtnl-netnstest PID START", START being
// the process's start time (/proc/PID/stat field 22), so that a PID used
// again by another process is not taken for the maker. Sweep removes what
// a dead process made; the first Create of every process runs it.

// linkTagPrefix starts the alias of every veth end netnstest makes in a
// namespace it does not own.
const linkTagPrefix = "xtnl-netnstest "

// ownedPattern matches the names OwnedName makes, capturing PID and START.
var ownedPattern = regexp.MustCompile(`^xtnl-[A-Za-z0-9_.-]+-([0-9]+)-([0-9]+)$`)

var sweepOnce sync.Once

// OwnedName returns "xtnl-LABEL-PID-START": a namespace name that Sweep
// recognizes as this process's and removes once the process is gone.
// Create("") uses "test-RANDOM" as label. label should be short and made
// of letters, digits, '-', '_' and '.'.
func OwnedName(label string) string {
	return fmt.Sprintf("xtnl-%s-%d-%d", label, os.Getpid(), selfStart())
}

// linkTag is the alias of veth ends this process makes in namespaces it
// does not own.
func linkTag() string {
	return fmt.Sprintf("%s%d %d", linkTagPrefix, os.Getpid(), selfStart())
}

var self struct {
	once  sync.Once
	start uint64
}

func selfStart() uint64 {
	self.once.Do(func() { self.start, _ = startTime(os.Getpid()) })
	return self.start
}

// startTime is the process's start time in clock ticks after boot.
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold anything.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 { // state is field 3, starttime field 22
		return 0, fmt.Errorf("/proc/%d/stat: %d fields after the name", pid, len(f))
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// alive reports whether the process pid, started at start, still runs.
func alive(pid int, start uint64) bool {
	got, err := startTime(pid)
	return err == nil && got == start
}

// Sweep removes what netnstest made in processes that have ended without
// cleaning up: namespaces under /run/netns named by OwnedName (all those
// Create("") makes), and veth ends in the caller's namespace tagged by
// their maker. What a running process made is left alone. It returns what
// it removed. Create runs it once per process; call it yourself after a
// run that was killed, or see what is left with
// `ip netns list | grep ^xtnl-` and `ip -d link | grep xtnl-netnstest`.
func Sweep() ([]string, error) {
	removed, err := sweepNamespaces()
	cur, cerr := Current()
	if cerr != nil {
		return removed, errors.Join(err, cerr)
	}
	defer cur.Delete()
	links, lerr := sweepLinks(cur)
	return append(removed, links...), errors.Join(err, lerr)
}

func sweepNamespaces() ([]string, error) {
	entries, err := os.ReadDir(runDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netnstest: sweep: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		pid, start, ok := maker(ownedPattern.FindStringSubmatch(e.Name()))
		if !ok || alive(pid, start) {
			continue
		}
		if err := unbind(filepath.Join(runDir, e.Name())); err != nil {
			errs = append(errs, fmt.Errorf("netnstest: sweep namespace %s: %w", e.Name(), err))
			continue
		}
		removed = append(removed, "namespace "+e.Name())
	}
	return removed, errors.Join(errs...)
}

// maker parses PID and START out of a match of ownedPattern (or of a link
// tag split in fields).
func maker(m []string) (pid int, start uint64, ok bool) {
	if len(m) != 3 {
		return 0, 0, false
	}
	p, err1 := strconv.Atoi(m[1])
	s, err2 := strconv.ParseUint(m[2], 10, 64)
	return p, s, err1 == nil && err2 == nil
}

// sweepLinks deletes the veth ends in ns tagged by dead processes.
func sweepLinks(ns *NS) ([]string, error) {
	var removed []string
	err := ns.rtnl(func(c *rtnetlink.Conn) error {
		msgs, err := c.Link.List()
		if err != nil {
			return err
		}
		var errs []error
		for _, m := range msgs {
			if m.Attributes == nil || m.Attributes.Alias == nil || !strings.HasPrefix(*m.Attributes.Alias, linkTagPrefix) {
				continue
			}
			pid, start, ok := maker(strings.Fields(*m.Attributes.Alias))
			if !ok || alive(pid, start) {
				continue
			}
			if err := c.Link.Delete(m.Index); err != nil {
				errs = append(errs, fmt.Errorf("delete %s: %w", m.Attributes.Name, err))
				continue
			}
			removed = append(removed, "link "+m.Attributes.Name)
		}
		return errors.Join(errs...)
	})
	if err != nil {
		return removed, fmt.Errorf("netnstest: sweep links in %s: %w", ns, err)
	}
	return removed, nil
}

// foreignEnd is a veth end netnstest made in a namespace it does not own:
// deleting the namespaces it made would not remove it (the caller's
// namespace lives on), so it is deleted by itself, by name and tag.
type foreignEnd struct {
	fd   int // the namespace, held open (a dup of the NS's)
	name string
	tag  string
}

func (e *foreignEnd) release() error {
	if e.fd < 0 {
		return nil
	}
	defer func() { closeFd(e.fd); e.fd = -1 }()
	err := nsthread.Do(e.fd, func() error {
		c, err := rtnetlink.Dial(nil)
		if err != nil {
			return err
		}
		defer c.Close()
		msgs, err := c.Link.List()
		if err != nil {
			return err
		}
		for _, m := range msgs {
			a := m.Attributes
			if a != nil && a.Name == e.name && a.Alias != nil && *a.Alias == e.tag {
				return c.Link.Delete(m.Index)
			}
		}
		return nil // gone already (its peer's namespace went first)
	})
	if err != nil {
		return fmt.Errorf("netnstest: delete %s: %w", e.name, err)
	}
	return nil
}
