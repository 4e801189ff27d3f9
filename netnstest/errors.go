package netnstest

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is wrapped by every *InputError, for errors.Is.
var ErrInvalid = errors.New("invalid argument")

// ErrDeleted is returned (wrapped) for work asked of a namespace after its
// Delete.
var ErrDeleted = errors.New("namespace already deleted")

// InputError is a bad argument: which one, what it was, and why it cannot
// be used. Nothing was changed in any namespace.
type InputError struct {
	Arg    string // "interface name", "address", "probe destination", ...
	Value  string
	Reason string
}

// Error names the argument, its value and what is wrong with it.
func (e *InputError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("netnstest: %s %s", e.Arg, e.Reason)
	}
	return fmt.Sprintf("netnstest: %s %q %s", e.Arg, e.Value, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InputError) Unwrap() error { return ErrInvalid }

// checkIfName applies the kernel's rules for interface names
// (dev_valid_name), so that a bad name fails here, by name, rather than as
// an EINVAL from the kernel.
func checkIfName(name string) error {
	switch {
	case name == "":
		return &InputError{Arg: "interface name", Reason: "is empty"}
	case len(name) > 15:
		return &InputError{Arg: "interface name", Value: name, Reason: "is longer than 15 bytes (IFNAMSIZ)"}
	case name == "." || name == "..":
		return &InputError{Arg: "interface name", Value: name, Reason: "is reserved"}
	case strings.ContainsAny(name, "/: \t\n\v\f\r"):
		return &InputError{Arg: "interface name", Value: name, Reason: "contains '/', ':' or white space"}
	}
	return nil
}

// checkNSName keeps namespace names to single path elements under
// /run/netns.
func checkNSName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return &InputError{Arg: "namespace name", Value: name, Reason: "is not a file name"}
	case strings.ContainsAny(name, "/\x00"):
		return &InputError{Arg: "namespace name", Value: name, Reason: "contains '/' or NUL"}
	case len(name) > 200:
		return &InputError{Arg: "namespace name", Value: name[:20] + "...", Reason: "is longer than 200 bytes"}
	}
	return nil
}
