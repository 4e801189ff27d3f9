package compat

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for errors.Is. Every rejection of a rulespec is a *SpecError
// matching ErrBadSpec; the kernel's refusals keep their xtnl sentinels
// (xtnl.ErrNotExist, ...).
var (
	// ErrBadSpec: the rulespec is not valid iptables syntax or values
	// (iptables exits with status 2 for these).
	ErrBadSpec = errors.New("bad rule specification")
	// ErrNotIptables: a rule in the kernel uses expressions iptables cannot
	// express (written by nft or another tool); it is never misprinted.
	ErrNotIptables = errors.New("rule cannot be expressed in iptables syntax")
)

// SpecError reports a rejected rulespec and the token at fault.
type SpecError struct {
	// Token is the offending option or value as given ("--dport", "65536").
	Token string
	// Msg says what is wrong, in iptables' words where it has them.
	Msg string
	// Kernel tells that iptables leaves this check to the kernel, whose
	// refusal (EINVAL) makes it exit with status 4, not 2; Msg is then
	// the kernel's reason, as it logs it.
	Kernel bool
}

func (e *SpecError) Error() string {
	if e.Token == "" {
		return "iptables: " + e.Msg
	}
	return fmt.Sprintf("iptables: %s: %s", e.Token, e.Msg)
}

// Is makes errors.Is(err, ErrBadSpec) true.
func (e *SpecError) Is(target error) bool { return target == ErrBadSpec }

// badSpec makes a SpecError. The token is copied: it is often a piece of
// a restore's input, which may be the caller's bytes, read in place.
func badSpec(token, format string, args ...any) error {
	return &SpecError{Token: strings.Clone(token), Msg: fmt.Sprintf(format, args...)}
}

// kernelRefuses makes the SpecError of a rule that iptables sends and the
// kernel refuses (a match used with the wrong -p).
func kernelRefuses(token, format string, args ...any) error {
	return &SpecError{Token: strings.Clone(token), Msg: fmt.Sprintf(format, args...), Kernel: true}
}

// NotIptablesError reports a kernel rule that has no iptables form.
type NotIptablesError struct {
	Table, Chain string
	Handle       uint64
	Why          string
}

func (e *NotIptablesError) Error() string {
	return fmt.Sprintf("rule %d in %s %s: %s: %v", e.Handle, e.Table, e.Chain, e.Why, ErrNotIptables)
}

// Is makes errors.Is(err, ErrNotIptables) true.
func (e *NotIptablesError) Is(target error) bool { return target == ErrNotIptables }
