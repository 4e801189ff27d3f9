package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"time"
)

// iptablesRestorePeer is the iptables-nft-restore binary fed
// iptables-save text: the usual way to load many rules at once.
var iptablesRestorePeer = &peer{name: "iptables-nft-restore", work: map[string]workFunc{
	workAppend: restoreAppend,
	workLoad:   restoreLoad,
}}

// runStdin runs a command with stdin, failing with its output.
func runStdin(stdin []byte, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %v: %w: %s", name, args, err, bytes.TrimSpace(out))
	}
	return nil
}

// restoreAppend adds one rule with --noflush, as scripts that batch
// through iptables-restore do.
func restoreAppend(int) (map[string]time.Duration, error) {
	texts := map[int][]byte{}
	for _, i := range appendRules() {
		texts[i] = appendText(i)
	}
	return timedAppends(func(i int) func() error {
		return func() error { return runStdin(texts[i], "iptables-nft-restore", "--noflush") }
	})
}

func restoreLoad(size int) (map[string]time.Duration, error) {
	text := saveText(size)
	return one(timed(func() error { return runStdin(text, "iptables-nft-restore") }))
}
