package compat

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// What go-iptables learns from the iptables binary it would run: its path,
// version and mode. Nothing is run here; the fields are kept so that code
// (and go-iptables' own tests) reading them finds what iptables-nft 1.8.9
// would have reported.

// ErrLegacy is matched (errors.Is) by every call of an IPTables whose Path
// names iptables-legacy: compat writes nf_tables, never the legacy
// x_tables, and does not pretend to.
var ErrLegacy = errors.New("iptables-legacy (x_tables) is not supported: compat writes nf_tables")

// getIptablesCommand is the command go-iptables would run for proto.
func getIptablesCommand(proto Protocol) string {
	if proto == ProtocolIPv6 {
		return "ip6tables"
	}
	return "iptables"
}

// identify fills what go-iptables' New learns by running `PATH --version`:
// the path (found on $PATH when it is there; kept as given when not, since
// nothing needs it), the mode, legacy when the binary it names (through
// Debian's alternatives links) is iptables-legacy, and 1.8.9's features.
func (ipt *IPTables) identify() {
	if ipt.path == "" {
		ipt.path = getIptablesCommand(ipt.proto)
	} else if p, err := exec.LookPath(ipt.path); err == nil {
		ipt.path = p
	}
	ipt.mode = "nf_tables"
	name := ipt.path
	if p, err := filepath.EvalSymlinks(ipt.path); err == nil {
		name = p
	}
	if strings.Contains(filepath.Base(name), "legacy") {
		ipt.mode = "legacy"
	}
	ipt.v1, ipt.v2, ipt.v3 = 1, 8, 9
	ipt.hasCheck, ipt.hasWait, ipt.waitSupportSecond, ipt.hasRandomFully = true, true, true, true
}

// checkBinary fails a call as go-iptables' would when its path names a
// file that is not there (an *os.PathError, as exec gives), and every call
// of a legacy IPTables. A bare command name is never looked up: nothing
// needs the binary.
func (ipt *IPTables) checkBinary() error {
	if ipt.mode == "legacy" {
		return &Error{msg: "iptables: " + ErrLegacy.Error(), exitStatus: exitOtherProblem, cause: ErrLegacy}
	}
	if strings.IndexByte(ipt.path, '/') >= 0 {
		if _, err := os.Stat(ipt.path); errors.Is(err, os.ErrNotExist) {
			return &os.PathError{Op: "fork/exec", Path: ipt.path, Err: syscall.ENOENT}
		}
	}
	return nil
}

// versionPattern reads `iptables --version`: "iptables v1.8.9 (nf_tables)".
var versionPattern = regexp.MustCompile(`v([0-9]+)\.([0-9]+)\.([0-9]+)(?:\s+\((\w+))?`)

// extractIptablesVersion reads the version and mode from `iptables
// --version` output, as go-iptables does ("legacy" when none is named).
func extractIptablesVersion(str string) (int, int, int, string, error) {
	m := versionPattern.FindStringSubmatch(str)
	if m == nil {
		return 0, 0, 0, "", fmt.Errorf("no iptables version found in string: %s", str)
	}
	v := [3]int{}
	for i := range v {
		n, err := strconv.Atoi(m[i+1])
		if err != nil {
			return 0, 0, 0, "", fmt.Errorf("iptables version %q is not a number: %w", m[i+1], err)
		}
		v[i] = n
	}
	mode := "legacy"
	if m[4] != "" {
		mode = m[4]
	}
	return v[0], v[1], v[2], mode, nil
}

// counterPrefix is iptables-save's "[pkts:bytes] " before a rule.
var counterPrefix = regexp.MustCompile(`^\[([0-9]+):([0-9]+)\] `)

// filterRuleOutput turns a rule line with iptables-save's counter prefix
// into -S form ("-A X ... -c pkts bytes"), as go-iptables does with what
// iptables-nft of some versions printed.
func filterRuleOutput(rule string) string {
	if m := counterPrefix.FindStringSubmatch(rule); m != nil {
		return rule[len(m[0]):] + " -c " + m[1] + " " + m[2]
	}
	return rule
}
